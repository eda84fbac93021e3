import itertools

import numpy as np
import pytest

from layers.patrols.stats.routing_order import path_length_m, visiting_order


def euclidean(points):
    return np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))


def nearest_neighbour(d, start):
    order, left = [start], set(range(len(d))) - {start}
    while left:
        nxt = min(left, key=lambda j: (d[order[-1], j], j))
        order.append(nxt)
        left.remove(nxt)
    return order


def brute_force(d, *, start, closed):
    n = len(d)
    starts = range(n) if start is None else [start]
    best = min(
        ([s, *rest] for s in starts for rest in itertools.permutations([i for i in range(n) if i != s])),
        key=lambda o: path_length_m(d, o, closed=closed),
    )
    return path_length_m(d, best, closed=closed)


CONFIGS = [(0, False), (5, False), (None, False), (0, True), (3, True)]


@pytest.mark.parametrize(("start", "closed"), CONFIGS)
def test_result_is_a_permutation_and_never_longer_than_nearest_neighbour(start, closed):
    for seed in range(5):
        d = euclidean(np.random.default_rng(seed).uniform(0, 5000, (30, 2)))
        order = visiting_order(d, start=start, return_to_start=closed)
        assert sorted(order) == list(range(30))
        assert all(type(i) is int for i in order)
        if start is not None:
            assert order[0] == start
            nn = path_length_m(d, nearest_neighbour(d, start), closed=closed)
        elif closed:
            nn = path_length_m(d, nearest_neighbour(d, 0), closed=True)
        else:
            nn = min(path_length_m(d, nearest_neighbour(d, s)) for s in range(30))
        assert path_length_m(d, order, closed=closed) <= nn + 1e-9


def test_closed_tour_on_convex_points_is_optimal():
    # For points in convex position the only tour without crossing edges is the hull order,
    # and a 2-opt local optimum has no crossings: 2-opt must find the optimum.
    rng = np.random.default_rng(1)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 8))
    points = np.column_stack([np.cos(angles), np.sin(angles)]) * 1000.0
    shuffle = rng.permutation(8)
    d = euclidean(points[shuffle])
    order = visiting_order(d, start=0, return_to_start=True)
    assert path_length_m(d, order, closed=True) == pytest.approx(brute_force(d, start=0, closed=True))


@pytest.mark.parametrize(("start", "closed"), CONFIGS[:1] + CONFIGS[2:4])
def test_small_cases_between_optimum_and_nearest_neighbour(start, closed):
    for seed in range(10):
        rng = np.random.default_rng(seed)
        d = rng.uniform(100, 1000, (7, 7))  # asymmetric: one-way streets
        order = visiting_order(d, start=start, return_to_start=closed)
        length = path_length_m(d, order, closed=closed)
        assert length >= brute_force(d, start=start, closed=closed) - 1e-9
        first = 0 if start is None else start
        assert length <= path_length_m(d, nearest_neighbour(d, first), closed=closed) + 1e-9


def test_reversal_is_costed_in_its_new_direction():
    d = np.array([[0.0, 5.0], [1.0, 0.0]])
    assert visiting_order(d, start=None) == [1, 0]
    assert visiting_order(d, start=0) == [0, 1]


def test_trivial_and_bad_inputs():
    assert visiting_order(np.zeros((0, 0))) == []
    assert visiting_order(np.zeros((1, 1))) == [0]
    with pytest.raises(ValueError, match="square"):
        visiting_order(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="start"):
        visiting_order(np.zeros((3, 3)), start=3)
    with pytest.raises(ValueError, match="finite"):
        visiting_order(np.array([[0.0, np.inf], [1.0, 0.0]]))
