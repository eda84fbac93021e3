"""Walking access of households to facilities: nearest walks, coverage shares, gap areas.

:func:`nearest_walks` is the core on arrays: for points already placed on the network
(``WalkGraph.snap``) and the facilities of one type, the walk in metres from each point to
its nearest facility and which facility that is. It runs one multi-source Dijkstra from
all facilities (over the reversed graph) and finishes each point from the two ends of its
edge, or straight along the edge when a facility lies on the same edge.

:func:`gap_polygons` groups the households a type leaves uncovered into areas with counts.
Shares per community and grid are aggregated in SQL (layers.facilities.walking.reports).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from layers.facilities.analysis.network_graph import EdgePoints, WalkGraph


@dataclass(frozen=True)
class NearestWalks:
    """``distance_m[i]``: walk from point i to its nearest source (inf: none reachable);
    ``source[i]``: that source's index (-1: none)."""

    distance_m: np.ndarray
    source: np.ndarray


@dataclass(frozen=True)
class PreparedPoints:
    """What the walks of points need whatever the sources: the points on the network
    (``on``, indices), their edge ends ``u``/``v`` (node indices) and the walks to them.

    The walks to the ends are float32: the per-point pass of each type then moves half the
    memory (the bottleneck for a million points); float32 sums of walks under 20 km are
    exact to about a millimetre, far below the centimetre the results are stored with."""

    points: EdgePoints
    on: np.ndarray
    edge: np.ndarray
    u: np.ndarray
    v: np.ndarray
    to_u: np.ndarray
    to_v: np.ndarray


def prepare(graph: WalkGraph, points: EdgePoints) -> PreparedPoints:
    """Precompute the source-independent part of :func:`finish_walks` (once for all types)."""
    on = np.flatnonzero(points.on_network)
    placed = points.take(on)
    to_u, to_v = graph.partial_costs(placed)
    return PreparedPoints(points, on, placed.edge, graph.u[placed.edge], graph.v[placed.edge],
                          to_u.astype(np.float32), to_v.astype(np.float32))


def nearest_walks(graph: WalkGraph, points: EdgePoints | PreparedPoints, sources: EdgePoints, *,
                  limit_m: float = np.inf) -> NearestWalks:
    """Walk from each point to the nearest source, both already on the network (metres).
    ``points`` may be prepared (:func:`prepare`) when several source sets are run."""
    node_walk, node_source = graph.walks_to_sources(sources, limit_m=limit_m)
    return finish_walks(graph, points, sources, node_walk, node_source, limit_m=limit_m)


def nearest_walks_each(graph: WalkGraph, points: EdgePoints | PreparedPoints, source_sets: list[EdgePoints], *,
                       limit_m: float = np.inf, workers: int = 2) -> list[NearestWalks]:
    """:func:`nearest_walks` for several source sets (e.g. one per facility type), the
    points prepared once; ``workers`` threads (numpy and scipy release the GIL here)."""
    prepared = points if isinstance(points, PreparedPoints) else prepare(graph, points)
    if workers <= 1 or len(source_sets) < 2:
        return [nearest_walks(graph, prepared, s, limit_m=limit_m) for s in source_sets]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda s: nearest_walks(graph, prepared, s, limit_m=limit_m), source_sets))


def finish_walks(graph: WalkGraph, points: EdgePoints | PreparedPoints, sources: EdgePoints, node_walk: np.ndarray,
                 node_source: np.ndarray, *, limit_m: float = np.inf) -> NearestWalks:
    """Points' walks from their edge ends' walks (``node_walk``/``node_source`` as returned
    by ``WalkGraph.walks_to_sources``), with sources on a point's own edge walked to directly."""
    prepared = points if isinstance(points, PreparedPoints) else prepare(graph, points)
    n = len(prepared.points)
    if len(prepared.on) == 0:
        return NearestWalks(np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
    walk32 = node_walk.astype(np.float32)
    via_u = prepared.to_u + walk32[prepared.u]
    via_v = prepared.to_v + walk32[prepared.v]
    use_v = via_v < via_u
    best = np.minimum(via_u, via_v).astype(np.float64)
    best_source = np.where(use_v, node_source[prepared.v], node_source[prepared.u])
    if len(prepared.on) == n:  # every point on the network: no scatter needed
        distance, source = best, best_source
    else:
        distance = np.full(n, np.inf)
        source = np.full(n, -1, dtype=np.int64)
        distance[prepared.on], source[prepared.on] = best, best_source
    _same_edge(graph, prepared, sources, distance, source)
    unreachable = ~(distance <= limit_m)  # beyond the limit, or inf
    if unreachable.any():
        distance[unreachable] = np.inf
        source[unreachable] = -1
    return NearestWalks(distance, source)


def _same_edge(graph: WalkGraph, prepared: PreparedPoints, sources: EdgePoints, distance: np.ndarray,
               source: np.ndarray) -> None:
    """Lower ``distance``/``source`` in place where a source on the point's own edge is nearer."""
    src_on = np.flatnonzero(sources.on_network)
    if len(src_on) == 0:
        return
    has_source = np.zeros(graph.n_edges, dtype=bool)
    has_source[sources.edge[src_on]] = True
    sharing = np.flatnonzero(has_source[prepared.edge])  # the few points on an edge with a source
    if len(sharing) == 0:
        return
    pts, edges = prepared.on[sharing], prepared.edge[sharing]
    order = src_on[np.argsort(sources.edge[src_on], kind="stable")]
    src_edges = sources.edge[order]
    lo = np.searchsorted(src_edges, edges, side="left")
    counts = np.searchsorted(src_edges, edges, side="right") - lo
    pt = np.repeat(pts, counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    src = order[np.repeat(lo, counts) + offset]
    walk = graph.same_edge_walk(prepared.points.take(pt), sources.take(src))
    # Several sources on one edge: keep each point's best pair (the first of equal ones).
    best = np.full(len(distance), np.inf)
    np.minimum.at(best, pt, walk)
    wins = np.flatnonzero((walk == best[pt]) & (walk < distance[pt]))
    wins = wins[np.unique(pt[wins], return_index=True)[1]]
    distance[pt[wins]] = walk[wins]
    source[pt[wins]] = src[wins]


# --- gap areas ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapAreas:
    """Areas with uncovered households: ``polygons`` (metric CRS) and per polygon the
    number of ``households``, ``residents`` and priority-group households (``focus``)."""

    polygons: np.ndarray
    households: np.ndarray
    residents: np.ndarray
    focus: np.ndarray


def gap_polygons(points_xy_m: np.ndarray, residents: np.ndarray, focus: np.ndarray, *, buffer_m: float,
                 quad_segs: int = 4) -> GapAreas:
    """Group uncovered households into areas: discs of ``buffer_m`` metres around each,
    merged where they touch; each area counts the households inside it."""
    points = shapely.points(np.asarray(points_xy_m, dtype=float).reshape(-1, 2))
    if len(points) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return GapAreas(np.empty(0, dtype=object), empty, empty, empty)
    merged = shapely.union_all(shapely.buffer(points, buffer_m, quad_segs=quad_segs))
    polygons = shapely.get_parts(merged)
    hit_point, hit_polygon = shapely.STRtree(polygons).query(points, predicate="intersects")
    # A point on the border of two areas cannot happen (areas are disjoint); count once.
    first = np.unique(hit_point, return_index=True)[1]
    owner = np.full(len(points), -1, dtype=np.int64)
    owner[hit_point[first]] = hit_polygon[first]
    k = len(polygons)
    return GapAreas(
        polygons=polygons,
        households=np.bincount(owner, minlength=k),
        residents=np.bincount(owner, weights=np.asarray(residents, dtype=float), minlength=k).astype(np.int64),
        focus=np.bincount(owner, weights=np.asarray(focus, dtype=float), minlength=k).astype(np.int64),
    )
