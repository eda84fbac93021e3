"""Order in which a patrol visits a set of places, from a matrix of distances in metres.

Nearest neighbour builds a first order; 2-opt then reverses stretches of it while that
shortens the route (each accepted move strictly shortens it, so the result is never longer
than the nearest-neighbour order). The matrix may be asymmetric (one-way streets): a
reversed stretch is re-costed in its new direction. This is a heuristic, not an exact
solver; it is meant for the tens of stops of a patrol.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _check_matrix(dist_m: np.ndarray) -> np.ndarray:
    d = np.asarray(dist_m, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        msg = "dist_m must be a square (n, n) matrix"
        raise ValueError(msg)
    if not np.isfinite(d).all():
        msg = "dist_m must be finite; give unreachable pairs a large finite distance"
        raise ValueError(msg)
    return d


def path_length_m(dist_m: np.ndarray, order: Sequence[int], *, closed: bool = False) -> float:
    """Length in metres of visiting ``order``; ``closed`` adds the way back to the first stop."""
    d = _check_matrix(dist_m)
    idx = np.asarray(order, dtype=np.int64)
    if idx.size < 2:
        return 0.0
    total = float(d[idx[:-1], idx[1:]].sum())
    return total + float(d[idx[-1], idx[0]]) if closed else total


def _nearest_neighbour(d: np.ndarray, start: int) -> list[int]:
    n = d.shape[0]
    visited = np.zeros(n, dtype=bool)
    order = [start]
    visited[start] = True
    for _ in range(n - 1):
        row = np.where(visited, np.inf, d[order[-1]])
        nxt = int(np.argmin(row))  # ties: lowest index
        order.append(nxt)
        visited[nxt] = True
    return order


def _two_opt(d: np.ndarray, path: list[int], *, first: int, last: int) -> list[int]:
    """Improve ``path`` by reversing stretches path[i..j] with first <= i < j <= last.

    Positions outside [first, last] stay fixed (the start, or the start repeated at the end
    of a closed tour).
    """
    p = np.asarray(path, dtype=np.int64)
    size = len(p)
    tol = 1e-12 * max(1.0, float(d[p[:-1], p[1:]].sum()))
    improved = True
    while improved:
        improved = False
        # Prefix sums of edge costs walked forwards and backwards along the current path.
        fwd = np.concatenate([[0.0], np.cumsum(d[p[:-1], p[1:]])])
        bwd = np.concatenate([[0.0], np.cumsum(d[p[1:], p[:-1]])])
        for i in range(first, last):
            j = np.arange(i + 1, last + 1)
            inner = (bwd[j] - bwd[i]) - (fwd[j] - fwd[i])
            before = np.zeros(j.size)
            after = np.zeros(j.size)
            if i > 0:
                before += d[p[i - 1], p[i]]
                after += d[p[i - 1], p[j]]
            has_next = j + 1 < size
            nxt = p[np.minimum(j + 1, size - 1)]
            before += np.where(has_next, d[p[j], nxt], 0.0)
            after += np.where(has_next, d[p[i], nxt], 0.0)
            delta = after - before + inner
            k = int(np.argmin(delta))
            if delta[k] < -tol:
                p[i : j[k] + 1] = p[i : j[k] + 1][::-1].copy()
                improved = True
                break
    return p.tolist()


def visiting_order(
    dist_m: np.ndarray, *, start: int | None = 0, return_to_start: bool = False
) -> list[int]:
    """Visiting order of the n places of ``dist_m`` (metres, row = from, column = to).

    Args:
        dist_m: (n, n) finite distances in metres; the diagonal is ignored.
        start: index of the first stop, or None to let the open route start anywhere
            (nearest neighbour is then tried from every place). A closed tour with
            start=None starts at 0.
        return_to_start: plan a closed tour back to the first stop; the returned list does
            not repeat it at the end.

    Returns:
        A permutation of 0..n-1 as Python ints.
    """
    d = _check_matrix(dist_m)
    n = d.shape[0]
    if n == 0:
        return []
    if start is not None and not 0 <= start < n:
        msg = f"start must be in 0..{n - 1}, got {start}"
        raise ValueError(msg)
    if n == 1:
        return [0]
    if return_to_start:
        first_stop = 0 if start is None else start
        tour = _nearest_neighbour(d, first_stop)
        return _two_opt(d, [*tour, first_stop], first=1, last=n - 1)[:-1]
    if start is None:
        candidates = [_nearest_neighbour(d, s) for s in range(n)]
        nn = min(candidates, key=lambda o: path_length_m(d, o))
        return _two_opt(d, nn, first=0, last=n - 1)
    return _two_opt(d, _nearest_neighbour(d, start), first=1, last=n - 1)
