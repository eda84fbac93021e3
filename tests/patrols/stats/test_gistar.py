import warnings

import esda
import numpy as np
import pytest
from libpysal.weights import W, lat2W

from layers.patrols.stats.cells import hex_centres_m
from layers.patrols.stats.gistar import (
    NOTE_ALL_NEIGHBOURS,
    benjamini_hochberg,
    classify_gi,
    distance_band_weights,
    exact_p,
    gi_star,
)

SPACING_M = 100.0


def square_lattice(n_side: int) -> np.ndarray:
    """Centres of an n_side x n_side square lattice of 100 m cells, row-major (like lat2W)."""
    ys, xs = np.meshgrid(np.arange(n_side) * SPACING_M, np.arange(n_side) * SPACING_M, indexing="ij")
    return np.column_stack([xs.ravel(), ys.ravel()])


def queen(n_side: int):
    return distance_band_weights(square_lattice(n_side), threshold_m=1.5 * SPACING_M)


def test_distance_band_weights_lattices():
    w = queen(5)
    assert w.cardinalities[0] == 3
    assert w.cardinalities[12] == 8
    q, r = np.meshgrid(np.arange(6), np.arange(6))
    hex_w = distance_band_weights(hex_centres_m(q.ravel(), r.ravel(), size_m=250.0), threshold_m=250.0)
    assert max(hex_w.cardinalities.values()) == 6
    assert not hex_w.sparse.diagonal().any()


def test_z_scores_identical_to_esda():
    rng = np.random.default_rng(3)
    y = rng.poisson(4, 400).astype(float)
    w = queen(20)
    ours = gi_star(y, w, permutations=499, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(y, w, transform="B", star=True, permutations=499, seed=7, n_jobs=1)
    np.testing.assert_array_equal(ours.z, ref.Zs)
    np.testing.assert_allclose(ours.p_sim, np.minimum(1.0, 2.0 * ref.p_sim.astype(float)))
    np.testing.assert_allclose(ours.p_norm, 2.0 * ref.p_norm)


def test_weights_reduced_to_binary_and_not_modified():
    rng = np.random.default_rng(4)
    y = rng.poisson(4, 100).astype(float)
    w_row = lat2W(10, 10, rook=False)
    w_row.transform = "R"
    result = gi_star(y, w_row, permutations=99, seed=1)
    assert w_row.transform == "R"
    np.testing.assert_allclose(result.z, gi_star(y, queen(10), permutations=99, seed=1).z)


def test_planted_cluster_is_a_99_percent_hot_spot():
    rng = np.random.default_rng(5)
    y = rng.poisson(2, (20, 20)).astype(float)
    y[9:12, 9:12] = rng.poisson(25, (3, 3))
    result = gi_star(y.ravel(), queen(20), permutations=999, seed=0)
    assert result.classes.reshape(20, 20)[10, 10] == 3
    assert not result.islands.any()


def test_poisson_field_false_positive_share_within_nominal_rates():
    # Under no clustering about 10 / 5 / 1 % of cells pass at 90 / 95 / 99 % (two-sided).
    # Gi* of neighbouring cells share counts, so the share over one field varies with an SD of
    # about 2 points at 90 %; averaged over 5 fields the bounds sit ~2-3 SD above nominal.
    shares = []
    w = queen(40)
    for seed in range(5):
        y = np.random.default_rng(100 + seed).poisson(5, 1600).astype(float)
        c = np.abs(gi_star(y, w, permutations=999, seed=seed).classes)
        shares.append([(c >= 1).mean(), (c >= 2).mean(), (c >= 3).mean()])
    mean_90, mean_95, mean_99 = np.mean(shares, axis=0)
    assert mean_90 <= 0.12
    assert mean_95 <= 0.07
    assert mean_99 <= 0.02


def test_fdr_keeps_only_cells_passing_benjamini_hochberg():
    rng = np.random.default_rng(6)
    y = rng.poisson(3, (25, 25)).astype(float)
    y[5:10, 5:10] = rng.poisson(15, (5, 5))
    plain = gi_star(y.ravel(), queen(25), permutations=999, seed=0)
    corrected = gi_star(y.ravel(), queen(25), permutations=999, seed=0, fdr=0.05)
    assert plain.fdr_pass is None
    n_plain, n_fdr = np.count_nonzero(plain.classes), np.count_nonzero(corrected.classes)
    assert 0 < n_fdr < n_plain
    kept = corrected.classes != 0
    np.testing.assert_array_equal(corrected.classes[kept], plain.classes[kept])
    assert corrected.fdr_pass[kept].all()
    np.testing.assert_array_equal(corrected.fdr_pass, benjamini_hochberg(plain.p_sim, alpha=0.05))


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        ([0.01, 0.04, 0.03, 0.005], [True, True, True, True]),
        ([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205], [True, True] + [False] * 6),
        ([0.02, 0.03, 0.035, 0.04], [True, True, True, True]),  # step-up: rank 4 passes
        ([0.2, 0.5, 0.9], [False, False, False]),
        ([np.nan, 0.01], [False, True]),  # NaN is left out of the family
    ],
)
def test_benjamini_hochberg_known_cases(p, expected):
    assert benjamini_hochberg(np.array(p), alpha=0.05).tolist() == expected


def test_benjamini_hochberg_agrees_with_esda_fdr():
    rng = np.random.default_rng(8)
    p = np.concatenate([rng.uniform(size=300), rng.uniform(0, 0.002, size=40)])
    assert benjamini_hochberg(p, alpha=0.05).tolist() == (p < esda.fdr(p, 0.05)).tolist()


def test_class_rule_needs_both_z_and_permutation_p():
    z = np.array([2.0, 3.0, -1.7, 1.7, 2.58, 2.59, -3.2, np.nan])
    p = np.array([0.001, 0.03, 0.08, 0.12, 0.001, 0.009, 0.002, 0.001])
    assert classify_gi(z, p).tolist() == [2, 2, -1, 0, 2, 3, -3, 0]


def test_p_exactly_at_a_threshold_is_the_lower_class():
    # esda hands p back as float32: np.float32(0.01) is 0.0099999998 in float64, below 0.01.
    z = np.array([3.0, 3.0, 3.0, 2.0, -2.0, 1.7])
    p = np.array([0.01, 0.0099, 0.011, 0.05, 0.05, 0.10], dtype=np.float32)
    assert classify_gi(z, p).tolist() == [2, 3, 2, 1, -1, 0]
    assert classify_gi(z, p, permutations=99).tolist() == [2, 2, 2, 1, -1, 0]  # 0.0099 is no p of 99 draws
    assert exact_p(np.float32(0.01)) == 0.01 and exact_p(np.float32(0.05), 999) == 0.05


def test_two_sided_p_of_0_01_from_esda_is_95_percent():
    # 199 permutations, no permutation as extreme as the cluster: esda's directed p is
    # 1/200 (float32), two-sided 0.010 exactly: 95 %, not 99 %.
    y = np.ones(64)
    y[[27, 28, 35, 36]] = 21
    result = gi_star(y, lat2W(8, 8, rook=False), permutations=199, seed=0)
    cluster = [27, 28, 35, 36]
    assert result.p_sim[cluster].tolist() == [0.01] * 4 and (result.z[cluster] > 2.58).all()
    assert result.classes[cluster].tolist() == [2, 2, 2, 2]


def test_a_cell_neighbouring_every_other_cell_has_a_note():
    # Cell 0 touches all others (a long strip under a row of cells); the others touch 0 and their row.
    neighbours = {0: [1, 2, 3, 4, 5], 1: [0, 2], 2: [0, 1, 3], 3: [0, 2, 4], 4: [0, 3, 5], 5: [0, 4]}
    y = np.array([9.0, 1, 0, 2, 5, 1])
    result = gi_star(y, W(neighbours, silence_warnings=True), permutations=99)
    assert result.all_neighbours.tolist() == [True, False, False, False, False, False]
    assert np.isnan(result.z[0]) and np.isnan(result.p_sim[0]) and result.classes[0] == 0
    assert result.notes()[0] == NOTE_ALL_NEIGHBOURS == "该单元与全部单元相邻，无法计算热点统计量"
    assert result.notes()[1:] == [""] * 5 and np.isfinite(result.z[1:]).all()


def test_islands_get_class_zero_and_nan_scores():
    xy = np.vstack([square_lattice(10), [[50_000.0, 50_000.0]]])
    y = np.append(np.random.default_rng(9).poisson(3, 100), 80).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gi_star(y, distance_band_weights(xy, threshold_m=150.0), permutations=199, fdr=0.1)
    assert result.islands.tolist() == [False] * 100 + [True]
    assert np.isnan(result.z[-1]) and np.isnan(result.p_sim[-1]) and result.classes[-1] == 0
    assert np.isfinite(result.z[:-1]).all()


def test_flat_field_is_not_significant():
    result = gi_star(np.zeros(100), queen(10), permutations=99)
    assert not result.classes.any()
    assert (result.z == 0).all() and (result.p_sim == 1).all()


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="length 100"):
        gi_star(np.ones(99), queen(10))
    with pytest.raises(ValueError, match="non-negative"):
        gi_star(-np.ones(100), queen(10))


def test_result_arrays_are_read_only():
    result = gi_star(np.arange(100.0), queen(10), permutations=99)
    with pytest.raises(ValueError, match="read-only"):
        result.classes[0] = 3
