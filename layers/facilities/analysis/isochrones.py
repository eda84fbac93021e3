"""Walking service circles: the street area from which a facility is reached in t minutes.

For a facility snapped onto the network (see network_graph), a street point p is inside the
t-minute circle when the walk from p to the facility is at most ``reach_m`` = t × walking
speed. Every edge is cut exactly: from an end node x that lies ``d(x)`` metres from the
facility, the points up to ``(reach_m − d(x)) / cost`` of the edge along it qualify. The
reached pieces are buffered by ``buffer_m`` and unioned; holes smaller than
``hole_fill_m2`` (blocks enclosed on all sides by reached streets) are filled. Land that is
reached by no street piece (across a river or a railway without a crossing in reach) is
never covered: there is no convex or concave hull.

Without a network, :func:`straight_line_circles` gives discs of radius ``reach_m`` instead
(labelled so wherever they are shown).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from layers.facilities.analysis.network_graph import EdgePoints, WalkGraph


@dataclass(frozen=True)
class CirclePieces:
    """The street pieces reached from one facility within ``reach_m`` metres."""

    source: int
    reach_m: float
    lines_m: np.ndarray
    reached_nodes: np.ndarray


def reached_intervals(graph: WalkGraph, node_walk_m: np.ndarray, reach_m: float, facility: EdgePoints | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reached parts of edges as (edge index, start fraction, end fraction), intervals
    merged per edge. ``node_walk_m`` is each node's walk to the facility; ``facility`` (one
    point) adds the pieces of its own edge walked straight to it."""
    du, dv = node_walk_m[graph.u], node_walk_m[graph.v]
    candidates = np.flatnonzero((du <= reach_m) | (dv <= reach_m))
    e = candidates
    with np.errstate(divide="ignore", invalid="ignore"):
        # From u: points at fraction r walk to u (against the edge) then on: r·rev + d(u).
        a = np.where(graph.backward_ok[e] & (du[e] <= reach_m),
                     (reach_m - du[e]) / np.maximum(graph.reverse_cost_m[e], 1e-12), -np.inf)
        # From v: (1 − r)·cost + d(v).
        b = np.where(graph.forward_ok[e] & (dv[e] <= reach_m),
                     1.0 - (reach_m - dv[e]) / np.maximum(graph.cost_m[e], 1e-12), np.inf)
    starts = [np.zeros(len(e)), np.clip(b, 0.0, 1.0)]
    ends = [np.clip(a, 0.0, 1.0), np.ones(len(e))]
    edges = [e, e]
    valid = [a > 0, b < 1]  # an end reached with nothing to spare adds no piece
    if facility is not None and facility.edge[0] >= 0:
        k, t = int(facility.edge[0]), float(facility.fraction[0])
        lo = t - reach_m / max(graph.cost_m[k], 1e-12) if graph.forward_ok[k] else t
        hi = t + reach_m / max(graph.reverse_cost_m[k], 1e-12) if graph.backward_ok[k] else t
        edges.append(np.array([k]))
        starts.append(np.array([max(lo, 0.0)]))
        ends.append(np.array([min(hi, 1.0)]))
        valid.append(np.array([hi > lo]))
    mask = np.concatenate(valid)
    return _merge(np.concatenate(edges)[mask], np.concatenate(starts)[mask], np.concatenate(ends)[mask])


def _merge(edge: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of intervals per edge (sorted by edge, start)."""
    if len(edge) == 0:
        return edge, start, end
    order = np.lexsort((start, edge))
    edge, start, end = edge[order], start[order], end[order]
    out_e, out_s, out_t = [int(edge[0])], [float(start[0])], [float(end[0])]
    for k in range(1, len(edge)):
        if edge[k] == out_e[-1] and start[k] <= out_t[-1]:
            out_t[-1] = max(out_t[-1], float(end[k]))
        else:
            out_e.append(int(edge[k]))
            out_s.append(float(start[k]))
            out_t.append(float(end[k]))
    return np.array(out_e, dtype=np.int64), np.array(out_s), np.array(out_t)


def substrings(lines: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Vectorised ``shapely.ops.substring(line, start, end, normalized=True)`` for start < end."""
    if len(lines) == 0:
        return np.empty(0, dtype=object)
    coords, index = shapely.get_coordinates(lines, return_index=True)
    seg = np.hypot(*np.diff(coords, axis=0).T)
    seg[np.flatnonzero(np.diff(index))] = 0.0  # no segment between two lines
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    first = np.searchsorted(index, np.arange(len(lines)))
    total = shapely.length(lines)
    frac = (cum - cum[first][index]) / np.where(total > 0, total, 1.0)[index]
    keep = (frac > start[index]) & (frac < end[index])
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(lines, start, normalized=True))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(lines, end, normalized=True))
    pieces = np.concatenate([np.arange(len(lines)), index[keep], np.arange(len(lines))])
    order_key = np.concatenate([np.full(len(lines), -1.0), frac[keep], np.full(len(lines), 2.0)])
    xy = np.concatenate([p0, coords[keep], p1])
    order = np.lexsort((order_key, pieces))
    return shapely.linestrings(xy[order], indices=pieces[order])


def circle_pieces(graph: WalkGraph, facilities: EdgePoints, reaches_m: Sequence[float]) -> Iterable[list[CirclePieces]]:
    """For each facility on the network, the reached street pieces for each reach (metres):
    one Dijkstra per facility bounded by the largest reach, all reaches cut from it."""
    max_reach = max(reaches_m)
    for k, walk in graph.walks_from_each_source(facilities, limit_m=max_reach):
        result = []
        for reach in reaches_m:
            e, s, t = reached_intervals(graph, walk, reach, facilities.take(np.array([k])))
            full = (s <= 0.0) & (t >= 1.0)
            lines = np.concatenate([graph.geoms_m[e[full]], substrings(graph.geoms_m[e[~full]], s[~full], t[~full])])
            result.append(CirclePieces(k, reach, lines, graph.node_ids[walk <= reach]))
        yield result


def buffer_pieces(pieces: Sequence[np.ndarray], *, buffer_m: float, hole_fill_m2: float = 0.0,
                  quad_segs: int = 4, workers: int = 2) -> np.ndarray:
    """Polygons of street pieces buffered by ``buffer_m`` metres, holes under ``hole_fill_m2``
    filled. GEOS releases the GIL, so ``workers`` threads share the buffering."""
    def work(chunk: Sequence[np.ndarray]) -> np.ndarray:
        # Buffering each piece and merging the discs (GEOS cascaded union) is about four
        # times faster than buffering one MultiLineString, which nodes all pieces first.
        polygons = np.array([shapely.union_all(shapely.buffer(p, buffer_m, quad_segs=quad_segs)) if len(p)
                             else shapely.Polygon() for p in chunk], dtype=object)
        return fill_holes(polygons, hole_fill_m2) if hole_fill_m2 > 0 else polygons

    if workers <= 1 or len(pieces) < 2 * workers:
        return work(pieces)
    bounds = np.linspace(0, len(pieces), workers * 4 + 1).astype(int)
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(work, [pieces[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
        return np.concatenate(list(parts))


def fill_holes(polygons: np.ndarray, max_hole_m2: float) -> np.ndarray:
    """Polygons (or MultiPolygons) with their interior rings smaller than ``max_hole_m2`` removed."""
    out = np.empty(len(polygons), dtype=object)
    for i, geom in enumerate(polygons):
        parts = shapely.get_parts(geom)
        filled = []
        for part in parts:
            holes = [r for r in part.interiors if shapely.Polygon(r).area >= max_hole_m2]
            filled.append(shapely.Polygon(part.exterior, holes))
        out[i] = shapely.union_all(filled) if len(filled) > 1 else (filled[0] if filled else shapely.Polygon())
    return out


def straight_line_circles(points_xy_m: np.ndarray, reaches_m: Sequence[float], *, quad_segs: int = 16) -> np.ndarray:
    """The fallback without a network: discs of radius ``reach_m`` around each point,
    as an array (points × reaches)."""
    points = shapely.points(np.asarray(points_xy_m, dtype=float).reshape(-1, 2))
    return np.stack([shapely.buffer(points, r, quad_segs=quad_segs) for r in reaches_m], axis=1) if len(points) \
        else np.empty((0, len(reaches_m)), dtype=object)
