"""gridmap's spatial models, one module per domain.

core: the 区 → 街道 → 社区 → 网格 hierarchy, facilities, households, incidents.
network: the walkable street network for pgRouting.
access: walking service circles, household walking times, suggested sites.
"""

from layers.models.access import (
    AccessMethod,
    AccessQueue,
    FacilityCircle,
    HouseholdAccess,
    NetworkState,
    SuggestedSite,
)
from layers.models.core import (
    WGS84,
    Community,
    District,
    Facility,
    FacilityType,
    Grid,
    GridAssignment,
    Household,
    HouseholdTag,
    Incident,
    IncidentCategory,
    IncidentStatus,
    IncidentTransition,
    Street,
)
from layers.models.network import WalkEdge, WalkNode

__all__ = [
    "WGS84", "Community", "District", "Facility", "FacilityType", "Grid", "GridAssignment", "Household",
    "HouseholdTag", "Incident", "IncidentCategory", "IncidentStatus", "IncidentTransition", "Street",
    "WalkEdge", "WalkNode",
    "AccessMethod", "AccessQueue", "FacilityCircle", "HouseholdAccess", "NetworkState", "SuggestedSite",
]
