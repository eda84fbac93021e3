import math

import numpy as np
import pytest
from scipy import stats

from layers.patrols.stats.emerging import (
    CATEGORIES,
    CATEGORY_LABELS_ZH,
    classify_emerging,
    emerging_hotspots,
    mann_kendall,
)
from layers.patrols.stats.gistar import distance_band_weights

N_BINS = 10


def brute_force_s(x):
    return sum(np.sign(x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x)))


def test_mann_kendall_known_values_for_a_strict_increase():
    result = mann_kendall(np.arange(10.0))
    assert result.s == 45
    assert result.var_s == pytest.approx(10 * 9 * 25 / 18)  # 125
    assert result.z == pytest.approx(44 / math.sqrt(125))
    assert result.p == pytest.approx(2 * stats.norm.sf(44 / math.sqrt(125)))


def test_mann_kendall_matches_kendall_tau_against_time_with_ties():
    # S and Var(S) with tie correction give scipy's asymptotic tau-b z-score when time has no
    # ties: z_scipy = S / sqrt(Var(S)) (scipy has no continuity correction).
    rng = np.random.default_rng(0)
    series = rng.integers(0, 5, size=(24, 50)).astype(float)
    series[:, 0] = np.linspace(0, 3, 24).round()  # heavy ties, upward
    result = mann_kendall(series)
    for k in range(series.shape[1]):
        x = series[:, k]
        tau, p = stats.kendalltau(np.arange(len(x)), x, method="asymptotic")
        assert result.s[k] == brute_force_s(x)
        z_scipy = math.copysign(stats.norm.isf(p / 2), tau) if tau != 0 else 0.0
        assert result.s[k] / math.sqrt(result.var_s[k]) == pytest.approx(z_scipy, abs=1e-9)


def test_mann_kendall_flat_and_missing_series():
    result = mann_kendall(np.column_stack([np.full(12, 3.0), np.r_[np.arange(11.0), np.nan]]))
    assert result.s[0] == 0 and result.z[0] == 0 and result.p[0] == 1
    assert np.isnan(result.s[1]) and np.isnan(result.p[1])


def series(hot_bins=(), cold_bins=(), n=N_BINS):
    hot, cold = np.zeros(n, bool), np.zeros(n, bool)
    hot[list(hot_bins)] = True
    cold[list(cold_bins)] = True
    return hot, cold


ALL = tuple(range(N_BINS))
CASES = {
    # name: (hot bins, cold bins, trend: +1 up / -1 down / 0 none, expected)
    "new hot": ((9,), (), 0, "new_hot"),
    "consecutive hot": ((7, 8, 9), (), 0, "consecutive_hot"),
    "intensifying hot": (ALL, (), 1, "intensifying_hot"),
    "persistent hot (9 of 10)": (tuple(b for b in ALL if b != 3), (), 0, "persistent_hot"),
    "persistent hot despite trend sign with p too high": (ALL, (), 0, "persistent_hot"),
    "diminishing hot": (ALL, (), -1, "diminishing_hot"),
    "sporadic hot": ((2, 5, 9), (), 0, "sporadic_hot"),
    "sporadic hot, final run of two": ((1, 8, 9), (), 0, "sporadic_hot"),
    "sporadic hot (8 of 10)": (tuple(b for b in ALL if b not in (2, 5)), (), 0, "sporadic_hot"),
    "oscillating hot": ((6, 9), (2,), 0, "oscillating_hot"),
    "earlier cold then hot once is oscillating, not new": ((9,), (1,), 0, "oscillating_hot"),
    "historical hot": (tuple(range(9)), (), 1, "historical_hot"),
    "new cold": ((), (9,), 0, "new_cold"),
    "consecutive cold": ((), (8, 9), 0, "consecutive_cold"),
    "intensifying cold (z falling)": ((), ALL, -1, "intensifying_cold"),
    "persistent cold": ((), ALL, 0, "persistent_cold"),
    "diminishing cold (z rising)": ((), ALL, 1, "diminishing_cold"),
    "sporadic cold": ((), (0, 4, 9), 0, "sporadic_cold"),
    "oscillating cold": ((3,), (5, 9), 0, "oscillating_cold"),
    "cold now after 90 % hot is oscillating cold": (tuple(range(9)), (9,), 0, "oscillating_cold"),
    "historical cold": ((), tuple(range(1, 9)) + (0,), 0, "historical_cold"),
    "nothing": ((), (), 0, "no_pattern"),
    "hot in the past only, below 90 %": ((2, 3, 4), (), 0, "no_pattern"),
    "cold in the past only, below 90 %": ((), (0, 1), 0, "no_pattern"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_classifier_on_hand_built_series(case):
    hot_bins, cold_bins, trend, expected = CASES[case]
    hot, cold = series(hot_bins, cold_bins)
    p = 0.01 if trend else 0.5
    got = classify_emerging(hot[:, None], cold[:, None], trend_s=np.array([trend or 1.0]),
                            trend_p=np.array([p]), trend_alpha=0.1)
    assert got.tolist() == [expected]


def test_classifier_vectorised_over_cells_and_ninety_percent_boundary():
    # 20 bins: 18 hot including the last is exactly 90 % (persistent); 17 is sporadic.
    h18, c18 = series([b for b in range(20) if b not in (3, 7)], n=20)
    h17, c17 = series([b for b in range(20) if b not in (3, 7, 11)], n=20)
    got = classify_emerging(np.column_stack([h18, h17]), np.column_stack([c18, c17]),
                            trend_s=np.zeros(2), trend_p=np.ones(2), trend_alpha=0.1)
    assert got.tolist() == ["persistent_hot", "sporadic_hot"]


def test_classifier_refuses_a_bin_both_hot_and_cold():
    hot, _ = series((9,))
    with pytest.raises(ValueError, match="never both"):
        classify_emerging(hot[:, None], hot[:, None], trend_s=np.zeros(1), trend_p=np.ones(1),
                          trend_alpha=0.1)


def test_chinese_labels_cover_every_category():
    assert set(CATEGORY_LABELS_ZH) == set(CATEGORIES)
    assert len(set(CATEGORY_LABELS_ZH.values())) == 17
    assert CATEGORY_LABELS_ZH["new_hot"] == "新热点"
    assert CATEGORY_LABELS_ZH["no_pattern"] == "无模式"


def lattice_weights(n_side):
    ys, xs = np.meshgrid(np.arange(n_side) * 100.0, np.arange(n_side) * 100.0, indexing="ij")
    return distance_band_weights(np.column_stack([xs.ravel(), ys.ravel()]), threshold_m=150.0)


BLOCK_RATE = {
    # extra incidents per cell and month in a 3 x 3 block, month b = 0..11
    "consecutive_hot": lambda b: 20 if b >= 9 else 0,
    "new_hot": lambda b: 25 if b == 11 else 0,
    "intensifying_hot": lambda b: 2 + 1.5 * b,
    "persistent_hot": lambda b: 12,
    "historical_hot": lambda b: 12 if b < 11 else 0,
}


@pytest.mark.parametrize("expected", list(BLOCK_RATE))
def test_emerging_hotspots_end_to_end(expected):
    # 12 monthly bins on a 15 x 15 lattice with a background of 2 incidents per cell and month.
    # (Checked stable over data seeds 0-5 at alpha = 0.01; at 0.10 stray 90 % bins occur.)
    n_side, n_bins = 15, 12
    rng = np.random.default_rng(0)
    cube = rng.poisson(2, (n_bins, n_side, n_side)).astype(float)
    for b in range(n_bins):
        cube[b, 6:9, 6:9] += rng.poisson(BLOCK_RATE[expected](b), (3, 3))
    result = emerging_hotspots(cube.reshape(n_bins, -1), lattice_weights(n_side), permutations=999,
                               seed=0, alpha=0.01)
    centre = 7 * n_side + 7
    assert result.categories[centre] == expected
    assert result.labels_zh[centre] == CATEGORY_LABELS_ZH[expected]
    assert result.z.shape == result.classes.shape == (n_bins, n_side * n_side)
    assert set(result.categories) <= set(CATEGORIES)


def test_emerging_hotspots_refuses_bad_options():
    w = lattice_weights(4)
    with pytest.raises(ValueError, match="alpha"):
        emerging_hotspots(np.ones((12, 16)), w, alpha=0.2)
    with pytest.raises(ValueError, match="at least 10 bins"):
        emerging_hotspots(np.ones((9, 16)), w)
