"""Gi* on whole counts (all cells' permutations at once) gives esda's z and p exactly; the
contiguity of grid cells is libpysal's fuzzy contiguity, neighbour for neighbour."""

import warnings

import esda
import geopandas as gpd
import numpy as np
import pytest
import shapely
from libpysal.weights import fuzzy_contiguity

from layers.patrols.stats.cells import hex_centres_m, hex_polygons
from layers.patrols.stats.gistar import contiguity_weights, distance_band_weights, gi_star


def esda_reference(y, w, permutations, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(y, w, transform="B", star=True, permutations=permutations, seed=seed, n_jobs=1)


@pytest.mark.parametrize(("seed", "permutations"), [(0, 999), (123, 99), (9, 1)])
def test_whole_counts_on_hexagons_identical_to_esda(seed, permutations):
    rng = np.random.default_rng(seed)
    q, r = np.meshgrid(np.arange(30), np.arange(25))
    w = distance_band_weights(hex_centres_m(q.ravel(), r.ravel(), size_m=200.0), threshold_m=200.0)
    y = rng.negative_binomial(2, 0.3, q.size).astype(float)  # many ties: zeros and small counts
    y[:40] += 60  # a hot corner
    ours = gi_star(y, w, permutations=permutations, seed=seed)
    ref = esda_reference(y, w, permutations, seed)
    np.testing.assert_array_equal(ours.z, ref.Zs)
    np.testing.assert_array_equal(ours.p_sim, np.minimum(1.0, 2.0 * np.round(ref.p_sim.astype(float) * (permutations + 1))
                                                         / (permutations + 1)))
    assert (ours.classes[:40] > 0).any() == (permutations >= 99)  # one draw cannot reach p < 0.10


def test_fractional_values_still_go_through_esda():
    rng = np.random.default_rng(5)
    q, r = np.meshgrid(np.arange(12), np.arange(12))
    w = distance_band_weights(hex_centres_m(q.ravel(), r.ravel(), size_m=100.0), threshold_m=100.0)
    y = rng.gamma(2.0, 1.5, q.size)  # rates, not counts
    ours = gi_star(y, w, permutations=199, seed=3)
    ref = esda_reference(y, w, 199, 3)
    np.testing.assert_array_equal(ours.z, ref.Zs)
    np.testing.assert_allclose(ours.p_sim, np.minimum(1.0, 2.0 * ref.p_sim.astype(float)))


def test_contiguity_weights_are_fuzzy_contiguity_neighbour_for_neighbour():
    # Irregular cells: hexagons, cut by a street so that borders meet at T-junctions, with a
    # 0.3 m sliver between two of them (joined by the 0.5 m buffer) and one far away (an island).
    q, r = np.meshgrid(np.arange(8), np.arange(6))
    polygons = list(hex_polygons(hex_centres_m(q.ravel(), r.ravel(), size_m=100.0), size_m=100.0))
    cut = shapely.box(-1000, 140, 2000, 2000)
    polygons = [p.difference(cut) if p.intersects(cut) else p for p in polygons]
    polygons += [p.intersection(cut) for p in polygons if not p.intersection(cut).is_empty]
    polygons.append(shapely.affinity.translate(polygons[0], 0, -100.3))
    polygons.append(shapely.box(10_000, 10_000, 10_100, 10_100))
    geoms = np.array(polygons, dtype=object)
    ours = contiguity_weights(geoms, buffer_m=0.5)
    theirs = fuzzy_contiguity(gpd.GeoDataFrame(geometry=geoms), buffering=True, buffer=0.5, predicate="intersects",
                              silence_warnings=True)
    assert ours.neighbors == theirs.neighbors
    assert ours.neighbors[len(geoms) - 1] == [] and ours.neighbors[len(geoms) - 2]
