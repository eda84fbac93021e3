"""Where households and facilities join the walk network, when the network has cut-off parts.

Imported street networks are rarely in one piece: a courtyard path, a footbridge or a
street cut at the file's edge forms a fragment that reaches nothing. A point snapped to
such a fragment walks nowhere. So points prefer *the part of the network that reaches
facilities*: the largest connected part, plus every part holding a facility that could not
be placed on the largest one. A point whose nearest street lies on another fragment is
placed on the nearest street of that part instead when it lies within
settings.GRIDMAP_SNAP_PREFER_CONNECTED_M (50 m); otherwise it keeps its nearest street and
is reported as 路网不连通 (AccessMethod.FRAGMENT) where that leaves it without a walk.

Facilities are placed first (preferring the largest part), households second (preferring
the largest part and the parts holding a facility), the same way for circles and walking
times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from layers.facilities.analysis.network_graph import EdgePoints, WalkGraph
from layers.facilities.walking.graph import lonlat_to_metric, points_lonlat


@dataclass(frozen=True)
class Placement:
    """The preferred edges (mask) and the distances used to snap to them."""

    prefer: np.ndarray
    prefer_within_m: float
    tolerance_m: float

    def snap(self, graph: WalkGraph, xy_m: np.ndarray) -> EdgePoints:
        return graph.snap(xy_m, snap_tolerance_m=self.tolerance_m, prefer=self.prefer,
                          prefer_within_m=self.prefer_within_m)


def placement(graph: WalkGraph, srid: int) -> Placement:
    """The placement rule for the current facilities on ``graph`` (in metres, EPSG ``srid``;
    see the module docstring)."""
    tolerance = settings.GRIDMAP_SNAP_TOLERANCE_M
    within = settings.GRIDMAP_SNAP_PREFER_CONNECTED_M
    _, lonlat = points_lonlat("SELECT id, ST_X(geom), ST_Y(geom) FROM facilities_facility ORDER BY id")
    main = graph.connected_edges()
    facilities = graph.snap(lonlat_to_metric(lonlat, srid), snap_tolerance_m=tolerance, prefer=main,
                            prefer_within_m=within)
    return Placement(graph.connected_edges(facilities), within, tolerance)


@dataclass(frozen=True)
class FragmentFacility:
    """A facility left on a part of the network cut off from the largest one."""

    facility_id: int
    name: str
    type_name: str
    fragment_length_m: float
    network_length_m: float


def facilities_on_fragments(type_code: str | None = None) -> list[FragmentFacility]:
    """Facilities (of one type, or all) placed on a fragment, with the fragment's length:
    their walking circles end where the fragment ends. Worked out in the metric CRS of
    each facility's district."""
    from django.db import connection

    from layers.facilities.walking.graph import by_metric_srid, load_graph

    with connection.cursor() as cur:
        cur.execute("SELECT f.id, f.name, t.name, ST_X(f.geom), ST_Y(f.geom) FROM facilities_facility f"
                    " JOIN facilities_facilitytype t ON t.id = f.type_id"
                    " WHERE %s::text IS NULL OR t.code = %s ORDER BY t.sort_order, f.id", [type_code, type_code])
        rows = cur.fetchall()
    if not rows:
        return []
    lonlat = np.array([(r[3], r[4]) for r in rows], dtype=float)
    found: list[FragmentFacility] = []
    for srid, members in by_metric_srid(lonlat):
        graph = load_graph(srid)
        if graph is None:
            return []
        placed = placement(graph, srid).snap(graph, lonlat_to_metric(lonlat[members], srid))
        total = float(graph.component_length_m.sum())
        lengths = graph.component_length_m[graph.edge_component[np.maximum(placed.edge, 0)]]
        found += [FragmentFacility(int(rows[members[i]][0]), rows[members[i]][1], rows[members[i]][2],
                                   float(lengths[i]), total)
                  for i in np.flatnonzero(graph.on_fragment(placed))]
    order = {int(r[0]): k for k, r in enumerate(rows)}
    return sorted(found, key=lambda f: order[f.facility_id])
