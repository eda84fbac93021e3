import math

import numpy as np
import pytest

from layers.patrols.stats.density import kde_quartic, silverman_bandwidth_m


def brute_force_per_km2(points, x, y, h, weights=None):
    w = np.ones(len(points)) if weights is None else weights
    d2 = (points[:, 0] - x) ** 2 + (points[:, 1] - y) ** 2
    k = np.where(d2 < h * h, 3 / (math.pi * h * h) * (1 - d2 / (h * h)) ** 2, 0.0)
    return float((w * k).sum() * 1e6)


def clustered_points(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([
        rng.normal([1000.0, 2000.0], 150.0, (n // 2, 2)),
        rng.uniform([0.0, 0.0], [3000.0, 4000.0], (n - n // 2, 2)),
    ])


def test_single_point_gives_the_kernel_peak_at_its_cell():
    grid = kde_quartic(np.array([[25.0, 25.0]]), bandwidth_m=200.0, cell_size_m=10.0,
                       bounds_m=(-500.0, -500.0, 500.0, 500.0))
    i, j = np.searchsorted(grid.y_m, 25.0), np.searchsorted(grid.x_m, 25.0)
    assert (grid.x_m[j], grid.y_m[i]) == (25.0, 25.0)
    assert grid.density_per_km2[i, j] == pytest.approx(3 / (math.pi * 200.0**2) * 1e6)
    assert grid.density_per_km2.max() == grid.density_per_km2[i, j]
    far = np.hypot(*np.meshgrid(grid.x_m - 25.0, grid.y_m - 25.0)) >= 200.0
    assert (grid.density_per_km2[far] == 0).all()


def test_matches_brute_force_everywhere():
    points = clustered_points(300)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(points))
    grid = kde_quartic(points, bandwidth_m=250.0, cell_size_m=100.0, weights=weights)
    xs, ys = np.meshgrid(grid.x_m, grid.y_m)
    expected = [brute_force_per_km2(points, x, y, 250.0, weights) for x, y in zip(xs.ravel(), ys.ravel())]
    np.testing.assert_allclose(grid.density_per_km2.ravel(), expected, rtol=1e-9, atol=1e-9)


def test_integrates_to_the_number_of_incidents():
    points = clustered_points(2000)
    grid = kde_quartic(points, cell_size_m=10.0)
    assert grid.total_incidents() == pytest.approx(2000, rel=5e-3)
    weighted = kde_quartic(points, bandwidth_m=300.0, cell_size_m=20.0, weights=np.full(2000, 2.5))
    assert weighted.total_incidents() == pytest.approx(5000, rel=5e-3)


def test_rows_run_south_to_north():
    grid = kde_quartic(np.array([[0.0, 900.0]]), bandwidth_m=100.0, cell_size_m=50.0,
                       bounds_m=(-500.0, 0.0, 500.0, 1000.0))
    i, _ = np.unravel_index(np.argmax(grid.density_per_km2), grid.density_per_km2.shape)
    assert grid.y_m[i] == pytest.approx(875.0) or grid.y_m[i] == pytest.approx(925.0)
    assert i > grid.density_per_km2.shape[0] // 2


def test_points_outside_the_bounds_still_count():
    grid = kde_quartic(np.array([[-30.0, 50.0]]), bandwidth_m=100.0, cell_size_m=10.0,
                       bounds_m=(0.0, 0.0, 100.0, 100.0))
    # cell (row 5, column 0) is centred at (5, 55), 35.4 m from the point outside the bounds
    expected = brute_force_per_km2(np.array([[-30.0, 50.0]]), 5.0, 55.0, 100.0)
    assert expected > 0
    assert grid.density_per_km2[5, 0] == pytest.approx(expected)
    assert grid.bounds_m == (0.0, 0.0, 100.0, 100.0)


def test_bandwidth_rule_known_values():
    # Four points 100 m from their mean centre: SD = Dm = 100 m, n = 4.
    square = np.array([[100.0, 0.0], [-100.0, 0.0], [0.0, 100.0], [0.0, -100.0]])
    assert silverman_bandwidth_m(square) == pytest.approx(0.9 * 100.0 * 4**-0.2)
    # Four points at the origin and one at 1 km: centre (200, 0), distances 200 x4 and 800,
    # SD = 400, Dm = 200, so the median term sqrt(1/ln 2) * 200 = 240.2 wins.
    outlier = np.array([[0.0, 0.0]] * 4 + [[1000.0, 0.0]])
    assert silverman_bandwidth_m(outlier) == pytest.approx(0.9 * math.sqrt(1 / math.log(2)) * 200.0 * 5**-0.2)
    # Weights: n is their sum, centre and distances weighted (weight 4 at the origin = same as above).
    weighted = silverman_bandwidth_m(np.array([[0.0, 0.0], [1000.0, 0.0]]), weights=np.array([4.0, 1.0]))
    assert weighted == pytest.approx(0.9 * math.sqrt(1 / math.log(2)) * 200.0 * 5**-0.2)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="pass bandwidth_m"):
        kde_quartic(np.array([[1.0, 1.0], [1.0, 1.0]]), cell_size_m=10.0)
    with pytest.raises(ValueError, match="finite"):
        kde_quartic(np.array([[1.0, np.nan]]), bandwidth_m=10.0, cell_size_m=1.0)
    with pytest.raises(ValueError, match="too many"):
        kde_quartic(np.array([[0.0, 0.0]]), bandwidth_m=10.0, cell_size_m=0.1, bounds_m=(0, 0, 1e4, 1e4))
    empty = kde_quartic(np.empty((0, 2)), bandwidth_m=10.0, cell_size_m=1.0, bounds_m=(0, 0, 5, 5))
    assert empty.density_per_km2.shape == (5, 5) and not empty.density_per_km2.any()
