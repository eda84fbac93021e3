"""The walk network as arrays: snapping points to streets and walking distances to them.

Conventions (all distances in metres, in a metric CRS such as EPSG:32648)
    Edge k runs from node ``u[k]`` to node ``v[k]``; ``cost_m[k]`` is the walk u→v and
    ``reverse_cost_m[k]`` the walk v→u, negative when that direction cannot be walked
    (pgRouting's convention). A point on edge k at ``fraction`` t of its geometry splits
    each directional cost in proportion: t·cost to/from u, (1−t)·cost to/from v.

Direction
    Every distance here is the walk *from* a street point *to* a source (a facility): the
    resident's trip. It is computed by one Dijkstra from the sources over the reversed graph.
    On a network without one-way footways this equals the walk from the source outward.

Sources are points on edges, not nodes: each gets a virtual vertex joined to the two ends
of its edge by the partial costs, so distances are exact, not rounded to whole edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

# scipy's sparse graphs may drop stored zeros in conversions: a zero-length piece becomes
# this many metres (far below any distance that is reported).
MIN_COST_M = 1e-9


@dataclass(frozen=True)
class EdgePoints:
    """Points placed on the network: ``edge`` index (-1: none within tolerance), ``fraction``
    of the edge's geometry from its u end, and ``snap_distance_m`` from the original point."""

    edge: np.ndarray
    fraction: np.ndarray
    snap_distance_m: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def on_network(self) -> np.ndarray:
        return self.edge >= 0

    def take(self, index: np.ndarray) -> EdgePoints:
        return EdgePoints(self.edge[index], self.fraction[index], self.snap_distance_m[index])


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """A directed walk network in a metric CRS (see the module docstring).

    ``node_ids``/``edge_ids`` are the database ids; ``u``/``v`` index into ``node_ids``;
    ``geoms_m`` are the edges' LineStrings from u to v in metres.
    """

    node_ids: np.ndarray
    edge_ids: np.ndarray
    u: np.ndarray
    v: np.ndarray
    cost_m: np.ndarray
    reverse_cost_m: np.ndarray
    geoms_m: np.ndarray
    version: int = 0

    @classmethod
    def from_edges(cls, edge_ids: np.ndarray, source_ids: np.ndarray, target_ids: np.ndarray, cost_m: np.ndarray,
                   reverse_cost_m: np.ndarray, geoms_m: np.ndarray, *, version: int = 0) -> WalkGraph:
        """Build from edge rows whose ends are node ids (as stored in facilities_walkedge)."""
        node_ids, inverse = np.unique(np.concatenate([source_ids, target_ids]).astype(np.int64), return_inverse=True)
        m = len(edge_ids)
        return cls(node_ids=node_ids, edge_ids=np.asarray(edge_ids, dtype=np.int64), u=inverse[:m], v=inverse[m:],
                   cost_m=np.asarray(cost_m, dtype=float), reverse_cost_m=np.asarray(reverse_cost_m, dtype=float),
                   geoms_m=np.asarray(geoms_m, dtype=object), version=version)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return len(self.edge_ids)

    @cached_property
    def forward_ok(self) -> np.ndarray:
        return self.cost_m >= 0

    @cached_property
    def backward_ok(self) -> np.ndarray:
        return self.reverse_cost_m >= 0

    @cached_property
    def walk_matrix(self) -> sp.csr_matrix:
        """W[i, j] = cheapest single-edge walk from node i to node j (self-loops left out)."""
        rows = np.concatenate([self.u[self.forward_ok], self.v[self.backward_ok]])
        cols = np.concatenate([self.v[self.forward_ok], self.u[self.backward_ok]])
        cost = np.concatenate([self.cost_m[self.forward_ok], self.reverse_cost_m[self.backward_ok]])
        keep = rows != cols
        return _min_csr(rows[keep], cols[keep], cost[keep], self.n_nodes)

    @cached_property
    def to_matrix(self) -> sp.csr_matrix:
        """The reversed graph: a Dijkstra over it from a source gives walks *to* the source."""
        return self.walk_matrix.T.tocsr()

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geoms_m)

    @cached_property
    def snapper(self) -> SegmentSnapper:
        return SegmentSnapper(self.geoms_m)

    # --- connected parts ------------------------------------------------------------------------

    @cached_property
    def node_component(self) -> np.ndarray:
        """Connected part of each node, ignoring walking directions (labels 0..k-1)."""
        if self.n_nodes == 0:
            return np.zeros(0, dtype=np.int64)
        adjacency = sp.coo_matrix((np.ones(self.n_edges), (self.u, self.v)), shape=(self.n_nodes, self.n_nodes))
        return connected_components(adjacency, directed=False)[1].astype(np.int64)

    @cached_property
    def edge_component(self) -> np.ndarray:
        """Connected part of each edge (that of its u end)."""
        return self.node_component[self.u]

    @cached_property
    def component_length_m(self) -> np.ndarray:
        """Total street length (m) of each connected part."""
        k = int(self.node_component.max()) + 1 if self.n_nodes else 0
        return np.bincount(self.edge_component, weights=shapely.length(self.geoms_m), minlength=k)

    @cached_property
    def largest_component(self) -> int:
        """The connected part with the most street length (-1: no network); ties: lowest label."""
        return int(np.argmax(self.component_length_m)) if self.n_edges else -1

    def on_fragment(self, points: EdgePoints) -> np.ndarray:
        """True where a point lies on an edge outside the largest connected part."""
        edge = np.maximum(points.edge, 0)
        return points.on_network & (self.edge_component[edge] != self.largest_component) if self.n_edges else (
            np.zeros(len(points), dtype=bool))

    def connected_edges(self, anchors: EdgePoints | None = None) -> np.ndarray:
        """Edges of the part of the network that reaches facilities: the largest connected
        part, plus the parts holding one of ``anchors`` (e.g. the facilities, placed)."""
        keep = np.zeros(int(self.node_component.max()) + 1 if self.n_nodes else 0, dtype=bool)
        if self.n_edges:
            keep[self.largest_component] = True
        if anchors is not None and anchors.on_network.any():
            keep[self.edge_component[anchors.edge[anchors.on_network]]] = True
        return keep[self.edge_component] if self.n_edges else np.zeros(0, dtype=bool)

    # --- snapping --------------------------------------------------------------------------------

    def snap(self, points_xy_m: np.ndarray, *, snap_tolerance_m: float = np.inf, prefer: np.ndarray | None = None,
             prefer_within_m: float = 0.0) -> EdgePoints:
        """Place points ((n, 2) metres) on their nearest edge; farther than the tolerance: -1.

        ``prefer`` (a mask over the edges, e.g. :meth:`connected_edges`): a point whose
        nearest edge is not preferred goes to the nearest preferred edge instead when that
        one lies within ``prefer_within_m`` (and the tolerance); otherwise it stays on its
        nearest edge (a cut-off fragment: see :meth:`on_fragment`)."""
        points_xy_m = np.asarray(points_xy_m, dtype=float).reshape(-1, 2)
        if len(points_xy_m) == 0 or self.n_edges == 0:
            n = len(points_xy_m)
            return EdgePoints(np.full(n, -1, dtype=np.int64), np.zeros(n), np.full(n, np.inf))
        edge, fraction, distance = self.snapper.nearest(points_xy_m, max_distance_m=snap_tolerance_m)
        if prefer is not None and prefer_within_m > 0 and prefer.any():
            self._prefer(points_xy_m, edge, fraction, distance, prefer, min(prefer_within_m, snap_tolerance_m))
        edge = np.where(distance > snap_tolerance_m, -1, edge)
        return EdgePoints(edge, fraction, distance)

    def _prefer(self, xy: np.ndarray, edge: np.ndarray, fraction: np.ndarray, distance: np.ndarray,
                prefer: np.ndarray, within_m: float) -> None:
        """Move (in place) points not on a preferred edge to the nearest preferred edge within
        ``within_m`` metres (ties: the lowest edge number)."""
        movable = np.flatnonzero(~prefer[edge] & (distance <= within_m))
        if len(movable) == 0:
            return
        preferred = np.flatnonzero(prefer)
        points = shapely.points(xy[movable])
        hit, dist = shapely.STRtree(self.geoms_m[preferred]).query_nearest(
            points, max_distance=within_m, return_distance=True, all_matches=True)
        if len(dist) == 0:
            return
        order = np.lexsort((hit[1], hit[0]))
        first = order[np.unique(hit[0][order], return_index=True)[1]]
        rows, new_edge, new_d = movable[hit[0][first]], preferred[hit[1][first]], dist[first]
        ok = new_d <= within_m
        rows, new_edge, new_d = rows[ok], new_edge[ok], new_d[ok]
        edge[rows], distance[rows] = new_edge, new_d
        fraction[rows] = np.nan_to_num(shapely.line_locate_point(self.geoms_m[new_edge], points[hit[0][first]][ok],
                                                                 normalized=True))

    def partial_costs(self, points: EdgePoints) -> tuple[np.ndarray, np.ndarray]:
        """For points on edges: (walk from the point to u, walk from the point to v), inf
        where that direction cannot be walked. Walking to u goes against the edge (v→u);
        a point exactly on an end node is at that node whatever the edge's direction."""
        e, t = points.edge, points.fraction
        to_u = np.where(t == 0.0, 0.0, np.where(self.backward_ok[e], t * self.reverse_cost_m[e], np.inf))
        to_v = np.where(t == 1.0, 0.0, np.where(self.forward_ok[e], (1.0 - t) * self.cost_m[e], np.inf))
        return to_u, to_v

    def partial_costs_from(self, points: EdgePoints) -> tuple[np.ndarray, np.ndarray]:
        """(walk from u to the point, walk from v to the point): along the edge from u."""
        e, t = points.edge, points.fraction
        from_u = np.where(t == 0.0, 0.0, np.where(self.forward_ok[e], t * self.cost_m[e], np.inf))
        from_v = np.where(t == 1.0, 0.0, np.where(self.backward_ok[e], (1.0 - t) * self.reverse_cost_m[e], np.inf))
        return from_u, from_v

    def same_edge_walk(self, points: EdgePoints, sources: EdgePoints) -> np.ndarray:
        """Walk from each point to the source on the same edge (inf if not walkable), pairwise."""
        ahead = sources.fraction >= points.fraction  # the source lies towards v
        e = points.edge
        forward = np.where(self.forward_ok[e], (sources.fraction - points.fraction) * self.cost_m[e], np.inf)
        backward = np.where(self.backward_ok[e], (points.fraction - sources.fraction) * self.reverse_cost_m[e], np.inf)
        return np.where(ahead, forward, backward)

    def source_matrix(self, sources: EdgePoints, *, towards: bool = True) -> sp.csr_matrix:
        """The graph plus one virtual vertex per source (index n_nodes + k), with arcs to the
        ends of the source's edge. ``towards``: the reversed graph, arcs weighted by the walk
        from each end to the source (Dijkstra gives walks *to* the source); otherwise the
        walk graph, arcs weighted by the walk from the source to each end."""
        on = np.flatnonzero(sources.on_network)
        ends = sources.take(on)
        cost_u, cost_v = self.partial_costs_from(ends) if towards else self.partial_costs(ends)
        virtual = self.n_nodes + on
        rows = np.concatenate([virtual, virtual])
        cols = np.concatenate([self.u[ends.edge], self.v[ends.edge]])
        cost = np.concatenate([cost_u, cost_v])
        ok = np.isfinite(cost)
        n = self.n_nodes + len(sources)
        base = self.to_matrix if towards else self.walk_matrix
        extra = _min_csr(rows[ok], cols[ok], cost[ok], n)
        padded = sp.csr_matrix((base.data, base.indices, np.append(base.indptr, [base.indptr[-1]] * len(sources))),
                               shape=(n, n))
        return (padded + extra).tocsr()

    def walks_to_sources(self, sources: EdgePoints, *, limit_m: float = np.inf, towards: bool = True
                         ) -> tuple[np.ndarray, np.ndarray]:
        """Walk from every node to its nearest source (``towards=False``: from the nearest
        source to every node): (metres, source index or -1)."""
        dist = np.full(self.n_nodes, np.inf)
        nearest = np.full(self.n_nodes, -1, dtype=np.int64)
        on = np.flatnonzero(sources.on_network)
        if len(on) == 0:
            return dist, nearest
        matrix = self.source_matrix(sources, towards=towards)
        d, _, src = dijkstra(matrix, directed=True, indices=self.n_nodes + on, min_only=True,
                             return_predecessors=True, limit=limit_m)
        dist = d[: self.n_nodes]
        nearest = np.where(src[: self.n_nodes] >= 0, src[: self.n_nodes] - self.n_nodes, -1)
        return dist, nearest

    def walks_from_each_source(self, sources: EdgePoints, *, limit_m: float, batch: int = 64):
        """Yield (source index, walk from every node to that source) for each source on the
        network, ``limit_m`` bounding the search. Sources are run ``batch`` at a time."""
        on = np.flatnonzero(sources.on_network)
        if len(on) == 0:
            return
        matrix = self.source_matrix(sources)
        for start in range(0, len(on), batch):
            chunk = on[start:start + batch]
            d = dijkstra(matrix, directed=True, indices=self.n_nodes + chunk, limit=limit_m)
            for k, row in zip(chunk, d, strict=True):
                yield int(k), row[: self.n_nodes]


def _min_csr(rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, n: int) -> sp.csr_matrix:
    """A CSR matrix keeping the smallest cost of parallel arcs (scipy would add them up)."""
    if len(rows) == 0:
        return sp.csr_matrix((n, n))
    order = np.lexsort((cost, cols, rows))
    rows, cols, cost = rows[order], cols[order], cost[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_matrix((np.maximum(cost[first], MIN_COST_M), (rows[first], cols[first])), shape=(n, n))


class SegmentSnapper:
    """Exact nearest-edge search for many points, without a GEOS call per point.

    Edges are cut into straight segments. The plane around the network is divided into
    square cells of ``cell_m`` metres; each cell keeps every segment that can be the
    nearest one for some point inside it: with s0 the distance from the cell's centre to
    a point on the network and h the cell's half diagonal, a point p in the cell has a
    segment within s0 + h, so its nearest segment lies within s0 + 2h of the centre (one
    vectorised GEOS dwithin query finds those). A point then only measures its cell's few
    candidates, exactly, in numpy. Points outside the cells use the STRtree.
    Ties between equidistant segments go to the lowest segment (hence edge) number.
    """

    def __init__(self, lines_m: np.ndarray, *, cell_m: float = 50.0, margin_m: float = 300.0,
                 spacing_m: float = 10.0) -> None:
        from scipy.spatial import cKDTree

        self.lines = lines_m
        coords, index = shapely.get_coordinates(lines_m, return_index=True)
        inner = index[1:] == index[:-1]
        a, b = coords[:-1][inner], coords[1:][inner]
        self.ax, self.ay = a[:, 0].copy(), a[:, 1].copy()
        self.bx, self.by = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        self.seg_edge = index[:-1][inner]
        seg_len = np.hypot(self.bx, self.by)
        self.seg_len = seg_len
        cum = np.concatenate([[0.0], np.cumsum(seg_len)])
        self.seg_start = cum[:-1] - cum[np.searchsorted(self.seg_edge, np.arange(len(lines_m)))][self.seg_edge]
        self.edge_len = np.bincount(self.seg_edge, weights=seg_len, minlength=len(lines_m))
        # Samples every spacing_m along the segments give s0 for each cell centre.
        steps = np.maximum(np.ceil(seg_len / spacing_m).astype(np.int64), 1)
        of = np.repeat(np.arange(len(a)), steps + 1)
        t = (np.arange(len(of)) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)) / np.repeat(steps, steps + 1)
        samples = a[of] + t[:, None] * (b - a)[of]
        self.sample_seg = of
        self.spacing_m = spacing_m
        self.kdtree = cKDTree(samples)
        self.cell_m = cell_m
        xmin, ymin = samples.min(axis=0) - margin_m
        xmax, ymax = samples.max(axis=0) + margin_m
        self.origin = np.array([xmin, ymin])
        self.shape = (int(np.ceil((xmax - xmin) / cell_m)), int(np.ceil((ymax - ymin) / cell_m)))
        ix, iy = np.meshgrid(np.arange(self.shape[0]), np.arange(self.shape[1]), indexing="ij")
        centres = self.origin + (np.column_stack([ix.ravel(), iy.ravel()]) + 0.5) * cell_m
        s0, _ = self.kdtree.query(centres, workers=-1)
        near = np.flatnonzero(s0 <= margin_m)
        segments = shapely.linestrings(np.stack([a, b], axis=1))
        cell, seg = shapely.STRtree(segments).query(shapely.points(centres[near]), predicate="dwithin",
                                                    distance=s0[near] + 2 * cell_m / np.sqrt(2.0) + 1e-6)
        order = np.lexsort((seg, cell))
        cell, seg = near[cell[order]], seg[order]
        self.cell_start = np.searchsorted(cell, np.arange(len(centres) + 1))
        self.cell_seg = seg

    def nearest(self, xy: np.ndarray, *, max_distance_m: float = np.inf, workers: int = 2
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(edge index, fraction along the edge from its start, distance in metres) per point.
        Points certainly farther than ``max_distance_m`` from every edge may get an
        approximate answer (distance still > max_distance_m). Large inputs are split over
        ``workers`` threads (the numpy work releases the GIL)."""
        chunk = max(100_000, -(-len(xy) // max(workers, 1)))
        parts = [xy[i:i + chunk] for i in range(0, len(xy), chunk)] or [xy]
        if len(parts) == 1:
            out = [self._nearest(parts[0], max_distance_m)]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                out = list(pool.map(lambda part: self._nearest(part, max_distance_m), parts))
        return tuple(np.concatenate(p) for p in zip(*out, strict=True))

    def _nearest(self, xy: np.ndarray, max_distance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(xy)
        seg_best = np.zeros(n, dtype=np.int64)
        t_best = np.zeros(n)
        d_best = np.full(n, np.inf)
        cij = np.floor((xy - self.origin) / self.cell_m).astype(np.int64)
        inside = (cij[:, 0] >= 0) & (cij[:, 1] >= 0) & (cij[:, 0] < self.shape[0]) & (cij[:, 1] < self.shape[1])
        cell = np.where(inside, cij[:, 0] * self.shape[1] + cij[:, 1], 0)
        count = np.where(inside, self.cell_start[cell + 1] - self.cell_start[cell], 0)
        for k in np.unique(count[count > 0]):
            rows = np.flatnonzero(count == k)
            seg = self.cell_seg[self.cell_start[cell[rows]][:, None] + np.arange(k)]
            s, t, d = self._closest(xy[rows], seg)
            seg_best[rows], t_best[rows], d_best[rows] = s, t, d
        edge = self.seg_edge[seg_best]
        along = self.seg_start[seg_best] + t_best * self.seg_len[seg_best]
        rest = np.flatnonzero(count == 0)
        if len(rest):
            sample_d, sample = self.kdtree.query(xy[rest], workers=-1)
            far = sample_d - self.spacing_m / 2 > max_distance_m
            edge[rest[far]] = self.seg_edge[self.sample_seg[sample[far]]]
            d_best[rest[far]] = sample_d[far]
            along[rest[far]] = 0.0
            exact = rest[~far]
            if len(exact):
                e, f, d = self._exact(xy[exact])
                edge[exact], d_best[exact], along[exact] = e, d, f * self.edge_len[e]
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.nan_to_num(np.clip(along / self.edge_len[edge], 0.0, 1.0))
        return edge, fraction, d_best

    def _closest(self, xy: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Of the candidate segments ``seg`` (points × k), the nearest: (segment, t, distance)."""
        t, d2, _ = _point_segment(xy[:, None, :], self.ax[seg], self.ay[seg], self.bx[seg], self.by[seg],
                                  squared=True)
        best = d2.argmin(axis=1)  # candidates are sorted by segment: first minimum = lowest number
        rows = np.arange(len(xy))
        return seg[rows, best], t[rows, best], np.sqrt(d2[rows, best])

    def _exact(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        points = shapely.points(xy)
        tree = shapely.STRtree(self.lines)
        hit, dist = tree.query_nearest(points, all_matches=True, return_distance=True)
        # all_matches: every equidistant edge; keep the lowest edge number, like the fast path.
        order = np.lexsort((hit[1], hit[0]))
        first = order[np.unique(hit[0][order], return_index=True)[1]]
        edge = hit[1][first]
        fraction = shapely.line_locate_point(self.lines[edge], points, normalized=True)
        return edge, np.nan_to_num(fraction), dist[first]


def _point_segment(xy: np.ndarray, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, *,
                   squared: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Points ``xy`` (..., 2) against segments from (ax, ay) along (bx, by): the fraction t of
    the nearest point, the squared distance, and the distance unless ``squared``."""
    px, py = xy[..., 0] - ax, xy[..., 1] - ay
    length2 = bx * bx + by * by
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.nan_to_num(np.clip((px * bx + py * by) / length2, 0.0, 1.0))
    dx, dy = px - t * bx, py - t * by
    d2 = dx * dx + dy * dy
    return t, d2, None if squared else np.sqrt(d2)
