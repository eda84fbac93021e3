"""Hexagon keys are counted on packed int64 keys: the same rows, order and counts as np.unique."""

import numpy as np

from layers.patrols.counts import _unique_rows


def test_packed_keys_equal_numpy_unique_rows():
    rng = np.random.default_rng(2)
    rows = np.column_stack([rng.integers(-4000, -3900, 50_000), rng.integers(38_000, 38_150, 50_000),
                            rng.integers(0, 13, 50_000)])
    keys, n = _unique_rows(rows)
    ref_keys, ref_n = np.unique(rows, axis=0, return_counts=True)
    np.testing.assert_array_equal(keys, ref_keys)
    np.testing.assert_array_equal(n, ref_n)
    empty_keys, empty_n = _unique_rows(np.zeros((0, 3), dtype=np.int64))
    assert empty_keys.shape == (0, 3) and len(empty_n) == 0


def test_keys_spread_too_wide_for_a_dense_count_give_the_same_rows():
    rng = np.random.default_rng(5)  # hexagons of a whole province: millions of possible keys
    rows = np.column_stack([rng.integers(-900_000, 900_000, 20_000), rng.integers(0, 40, 20_000),
                            rng.integers(0, 3, 20_000)])
    rows[::2] = rows[1::2]  # repeats
    keys, n = _unique_rows(rows)
    ref_keys, ref_n = np.unique(rows, axis=0, return_counts=True)
    np.testing.assert_array_equal(keys, ref_keys)
    np.testing.assert_array_equal(n, ref_n)
