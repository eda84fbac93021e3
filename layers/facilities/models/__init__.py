"""Facilities and walking access to them.

facilities: facility types (the catalogue) and facilities.
network: the walkable street network for pgRouting.
access: walking service circles, household walking times, suggested sites.
completeness: life-circle completeness as last computed.
scenarios: planning scenarios (facilities added, moved, closed on paper).
"""

from layers.facilities.models.access import (
    AccessMethod,
    AccessQueue,
    FacilityCircle,
    HouseholdAccess,
    NetworkState,
    SuggestedSite,
)
from layers.facilities.models.completeness import CompletenessSnapshot
from layers.facilities.models.facilities import Facility, FacilityType
from layers.facilities.models.network import WalkEdge, WalkNode
from layers.facilities.models.scenarios import Scenario, ScenarioChange

__all__ = [
    "AccessMethod", "AccessQueue", "CompletenessSnapshot", "Facility", "FacilityCircle", "FacilityType", "HouseholdAccess",
    "NetworkState", "Scenario", "ScenarioChange", "SuggestedSite", "WalkEdge", "WalkNode",
]
