"""Where to build: the maximal covering location problem on walking distances.

Given the households a facility type leaves uncovered (existing facilities are kept, so the
households they cover are simply out of the problem) and candidate sites on the network,
choose ``count`` sites that cover the largest total demand within ``threshold_m`` metres of
walking (Church & ReVelle's MCLP, DOMAIN.md §6).

:func:`coverage_matrix` builds the demand × candidate incidence from one bounded Dijkstra
per candidate; :func:`reduce_problem` merges identical rows (households covered by the same
candidates) and identical columns, which keeps the integer program small without changing
its optimum; :func:`solve_mclp` solves it exactly with HiGHS (scipy.optimize.milp), the
same model as PySAL spopt's ``MCLP`` (the tests check both give the same optimum).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from layers.facilities.analysis.network_graph import EdgePoints, WalkGraph


def node_points(graph: WalkGraph, nodes: np.ndarray) -> EdgePoints:
    """Network nodes (indices) as points on one of their edges (at fraction 0 or 1)."""
    first_u = np.full(graph.n_nodes, -1, dtype=np.int64)
    first_v = np.full(graph.n_nodes, -1, dtype=np.int64)
    first_u[graph.u[::-1]] = np.arange(graph.n_edges)[::-1]
    first_v[graph.v[::-1]] = np.arange(graph.n_edges)[::-1]
    nodes = np.asarray(nodes, dtype=np.int64)
    edge = np.where(first_u[nodes] >= 0, first_u[nodes], first_v[nodes])
    fraction = np.where(first_u[nodes] >= 0, 0.0, 1.0)
    return EdgePoints(edge, fraction, np.zeros(len(nodes)))


def useful_nodes(graph: WalkGraph, demand: EdgePoints, *, threshold_m: float) -> np.ndarray:
    """Nodes that some demand point walks to within ``threshold_m``: the only node
    candidates that can cover anything."""
    walk_from_demand, _ = graph.walks_to_sources(demand, limit_m=threshold_m, towards=False)
    return np.flatnonzero(walk_from_demand <= threshold_m)


def coverage_matrix(graph: WalkGraph, demand: EdgePoints, candidates: EdgePoints, *,
                    threshold_m: float) -> sp.csr_matrix:
    """Boolean (demand × candidates): demand point i walks to candidate j within threshold_m.

    One Dijkstra per candidate over the reversed graph, bounded by threshold_m; each demand
    point is finished from its edge's ends, or straight along the edge it shares with the
    candidate (as in coverage.nearest_walks)."""
    on = np.flatnonzero(demand.on_network)
    placed = demand.take(on)
    to_u, to_v = graph.partial_costs(placed)
    du, dv = graph.u[placed.edge], graph.v[placed.edge]
    rows, cols = [], []
    for j, walk in graph.walks_from_each_source(candidates, limit_m=threshold_m, batch=128):
        d = np.minimum(to_u + walk[du], to_v + walk[dv])
        same = np.flatnonzero(placed.edge == candidates.edge[j])
        if len(same):
            direct = graph.same_edge_walk(placed.take(same), candidates.take(np.full(len(same), j)))
            d[same] = np.minimum(d[same], direct)
        hit = on[d <= threshold_m]
        rows.append(hit)
        cols.append(np.full(len(hit), j, dtype=np.int64))
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return sp.csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=(len(demand), len(candidates)))


@dataclass(frozen=True)
class ReducedProblem:
    """``matrix`` (groups × columns) with ``weights`` per demand group; ``row_group[i]`` is
    demand point i's group (-1: no candidate covers it); ``column_candidate[k]`` the
    candidate kept for column k (the first of identical columns)."""

    matrix: sp.csr_matrix
    weights: np.ndarray
    row_group: np.ndarray
    column_candidate: np.ndarray


def reduce_problem(matrix: sp.csr_matrix, weights: np.ndarray) -> ReducedProblem:
    """Drop demand nobody can cover and candidates covering nothing; merge identical rows
    (summing weights) and identical columns (keeping the first)."""
    matrix = sp.csr_matrix(matrix, dtype=bool)
    cols_used = np.flatnonzero(matrix.getnnz(axis=0) > 0)
    csc = matrix.tocsc()[:, cols_used]
    col_keys = [csc.indices[csc.indptr[k]:csc.indptr[k + 1]].tobytes() for k in range(csc.shape[1])]
    _, first_col = np.unique(np.array(col_keys, dtype=object), return_index=True)
    first_col = np.sort(first_col)
    kept = csc[:, first_col].tocsr()
    row_keys = [kept.indices[kept.indptr[i]:kept.indptr[i + 1]].tobytes() for i in range(kept.shape[0])]
    covered = kept.getnnz(axis=1) > 0
    row_group = np.full(matrix.shape[0], -1, dtype=np.int64)
    if covered.any():
        keys = np.array(row_keys, dtype=object)[covered]
        _, first_row, inverse = np.unique(keys, return_index=True, return_inverse=True)
        row_group[np.flatnonzero(covered)] = inverse
        group_weights = np.bincount(inverse, weights=np.asarray(weights, dtype=float)[covered])
        group_matrix = kept[np.flatnonzero(covered)[first_row]]
    else:
        group_weights = np.zeros(0)
        group_matrix = sp.csr_matrix((0, kept.shape[1]), dtype=bool)
    return ReducedProblem(group_matrix, group_weights, row_group, cols_used[first_col])


@dataclass(frozen=True)
class MclpSolution:
    """Chosen column indices of the reduced problem and the covered weight (optimal)."""

    columns: np.ndarray
    covered_weight: float


def solve_mclp(matrix: sp.csr_matrix, weights: np.ndarray, count: int, *, time_limit_s: float = 300.0
               ) -> MclpSolution:
    """max Σ w_i y_i  s.t.  y_i ≤ Σ_{j covers i} x_j,  Σ x_j ≤ count,  x binary, 0 ≤ y ≤ 1.

    Solved to optimality by HiGHS (y is integral at the optimum because x is)."""
    n_rows, n_cols = matrix.shape
    if n_rows == 0 or n_cols == 0 or count <= 0:
        return MclpSolution(np.zeros(0, dtype=np.int64), 0.0)
    if count >= n_cols:
        return _pruned(matrix, weights, np.arange(n_cols))
    a = sp.hstack([-sp.csr_matrix(matrix, dtype=float), sp.identity(n_rows, format="csr")]).tocsr()
    budget = sp.csr_matrix(np.concatenate([np.ones(n_cols), np.zeros(n_rows)]))
    result = milp(
        c=np.concatenate([np.zeros(n_cols), -np.asarray(weights, dtype=float)]),
        constraints=[LinearConstraint(a, -np.inf, 0.0), LinearConstraint(budget, 0, count)],
        integrality=np.concatenate([np.ones(n_cols), np.zeros(n_rows)]),
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": time_limit_s, "mip_rel_gap": 0.0},
    )
    if result.x is None:
        msg = f"MCLP solver failed: {result.message}"
        raise RuntimeError(msg)
    return _pruned(matrix, weights, np.flatnonzero(result.x[:n_cols] > 0.5))


def _pruned(matrix: sp.csr_matrix, weights: np.ndarray, chosen: np.ndarray) -> MclpSolution:
    """Drop chosen sites that add nothing the others do not cover (the optimum is kept)."""
    weights = np.asarray(weights, dtype=float)
    cols = sp.csc_matrix(matrix[:, chosen], dtype=np.int64)
    times_covered = np.asarray(cols.sum(axis=1)).ravel()
    keep = np.ones(len(chosen), dtype=bool)
    gains = [weights[cols.indices[cols.indptr[k]:cols.indptr[k + 1]]].sum() for k in range(len(chosen))]
    for k in np.argsort(gains, kind="stable"):  # the least useful first
        rows = cols.indices[cols.indptr[k]:cols.indptr[k + 1]]
        if weights[rows[times_covered[rows] == 1]].sum() == 0:
            keep[k] = False
            times_covered[rows] -= 1
    return MclpSolution(chosen[keep], float(weights[times_covered > 0].sum()))


def marginal_order(matrix: sp.spmatrix, chosen: np.ndarray, weights: np.ndarray | None = None
                   ) -> list[tuple[int, np.ndarray]]:
    """The chosen columns in the order that adds the most at each step, each with the demand
    rows it adds that no earlier column covers (so that the gains of all sites sum to the
    rows covered once, without double counting). ``matrix``: demand rows × candidate columns
    (True: within reach); ``weights``: per row (default 1). Ties go to the lower column."""
    csc = sp.csc_matrix(matrix)
    weights = np.ones(csc.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    taken = np.zeros(csc.shape[0], dtype=bool)
    remaining = [int(j) for j in chosen]
    order: list[tuple[int, np.ndarray]] = []
    while remaining:
        gains = []
        for j in remaining:
            rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
            new = rows[~taken[rows]]
            gains.append((-float(weights[new].sum()), -len(new), j, new))
        _, _, j, new = min(gains, key=lambda g: g[:3])
        taken[new] = True
        order.append((j, np.sort(new)))
        remaining.remove(j)
    return order
