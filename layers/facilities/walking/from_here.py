"""Walking distance from where someone stands to a set of points (a grid worker's position to
the households due for a visit), on the walk network, in metres.

Both ends join the network as households and facilities do (the nearest street within the
snap tolerance, preferring the connected network); without a network, or for a point that
cannot join it, the distance is the straight line in the district's metric CRS and the
method says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from layers.facilities.analysis.coverage import prepare
from layers.facilities.models import AccessMethod
from layers.facilities.walking.graph import load_graph, lonlat_to_metric
from layers.facilities.walking.households import walking_distances_each
from layers.facilities.walking.placement import Placement


@dataclass(frozen=True)
class DistancesFromHere:
    """``distance_m[i]``: metres from here to point i (inf when unreachable on the network);
    ``on_network[i]``: walked along streets (True) or measured as a straight line (False)."""

    distance_m: np.ndarray
    on_network: np.ndarray


def straight_metres(here_lonlat: tuple[float, float], points_lonlat: np.ndarray, srid: int) -> np.ndarray:
    """Straight-line metres from ``here_lonlat`` (degrees) to each point, in EPSG ``srid``."""
    xy = lonlat_to_metric(np.asarray(points_lonlat, dtype=float).reshape(-1, 2), srid)
    here = lonlat_to_metric(np.array([here_lonlat], dtype=float), srid)[0]
    return np.hypot(xy[:, 0] - here[0], xy[:, 1] - here[1])


def walking_metres_from(here_lonlat: tuple[float, float], points_lonlat: np.ndarray, *, srid: int) -> DistancesFromHere:
    """Metres walked from ``here_lonlat`` (lon, lat degrees) to each of ``points_lonlat``
    ((n, 2) degrees), worked out in the metric CRS EPSG ``srid`` (the district's)."""
    points_lonlat = np.asarray(points_lonlat, dtype=float).reshape(-1, 2)
    n = len(points_lonlat)
    straight = straight_metres(here_lonlat, points_lonlat, srid)
    graph = load_graph(srid) if n else None
    if graph is None:
        return DistancesFromHere(straight, np.zeros(n, dtype=bool))
    rule = Placement(graph.connected_edges(), settings.GRIDMAP_SNAP_PREFER_CONNECTED_M,
                     settings.GRIDMAP_SNAP_TOLERANCE_M)
    xy = lonlat_to_metric(points_lonlat, srid)
    here_xy = lonlat_to_metric(np.array([here_lonlat], dtype=float), srid)
    placed = prepare(graph, rule.snap(graph, xy))
    distance, _, method, _ = walking_distances_each(graph, placed, xy, [here_xy], placement=rule)[0]
    walked = (method == AccessMethod.NETWORK.value) & np.isfinite(distance)
    # Off the network or here cannot join it: the straight line, marked as such.
    return DistancesFromHere(np.where(walked, distance, straight), walked)
