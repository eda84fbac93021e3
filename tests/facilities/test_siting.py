"""suggest_sites: the maximal covering problem on walking distances, solved exactly."""

from __future__ import annotations

import itertools
import json
from io import StringIO

import numpy as np
import pulp
import pytest
import scipy.sparse as sp
from django.core.management import CommandError, call_command
from spopt.locate import MCLP

from layers.facilities.analysis.siting import marginal_order, reduce_problem, solve_mclp
from layers.facilities.models import SuggestedSite
from layers.facilities.walking.refresh import refresh_pending
from layers.facilities.walking.sites import suggest
from tests.facilities.walk_fixtures import add_facility, add_household, build_network, lonlat

# One street from x = -1500 to 1500 with a node every 500 m; 5 minutes = 333.3 m.
NODES = {f"n{x}": (x, 0) for x in range(-1500, 1501, 500)}
EDGES = [(f"n{x}", f"n{x + 500}") for x in range(-1500, 1500, 500)]


def clusters(*, r_tags: list[str] | None = None) -> None:
    """P (10 households) at x ≈ -1200, already served; Q (6) at x ≈ 0; R (4) at x ≈ 1200."""
    build_network(NODES, EDGES)
    add_facility(-1200, 10)
    for k in range(10):
        add_household(-1250 + 10 * k, 15)
    for k in range(6):
        add_household(-50 + 20 * k, -15)
    for k in range(4):
        add_household(1150 + 30 * k, 15, tags=r_tags)
    refresh_pending()


@pytest.mark.django_db
def test_sites_cover_the_largest_uncovered_clusters_in_order():
    clusters()
    one = suggest("kindergarten", 1)
    assert (one.households, one.covered_before, one.covered_after) == (20, 10, 16)
    (site,) = one.sites
    assert site.newly_covered_households == 6 and abs(site.lon - lonlat(0, 0)[0]) < 1e-5  # the node at x = 0
    two = suggest("kindergarten", 2)
    assert [s.newly_covered_households for s in two.sites] == [6, 4] and two.covered_after == 20
    # Only two sites can add anything: asking for five returns those two.
    assert len(suggest("kindergarten", 5).sites) == 2
    stored = SuggestedSite.objects.filter(facility_type__code="kindergarten").order_by("rank")
    assert [s.newly_covered_households for s in stored] == [6, 4]  # the latest run replaced the others


@pytest.mark.django_db
def test_priority_households_weigh_more():
    clusters(r_tags=["有幼儿"])  # R's 4 households have young children
    assert suggest("kindergarten", 1, focus_weight=1.0).sites[0].newly_covered_households == 6
    assert suggest("kindergarten", 1, focus_weight=2.0).sites[0].newly_covered_households == 4  # 4 × 2 > 6


@pytest.mark.django_db
def test_candidates_from_a_file_of_parcels(tmp_path):
    clusters()
    parcels = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name},
         "geometry": {"type": "Polygon", "coordinates": [[lonlat(x - 20, 30), lonlat(x + 20, 30), lonlat(x + 20, 70),
                                                          lonlat(x - 20, 70), lonlat(x - 20, 30)]]}}
        for name, x in (("西地块", -600), ("中地块", 200), ("远地块", 9000))]}
    path = tmp_path / "parcels.geojson"
    path.write_text(json.dumps(parcels, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("suggest_sites", "--type", "kindergarten", "--count", "1", "--candidates", str(path), stdout=out)
    text = out.getvalue()
    assert "中地块" in text and "西地块" not in text
    assert "建设前 10/20 (50.0%) → 建设后 16/20 (80.0%)" in text
    assert "候选 2 个" in text  # the parcel 9 km away is off the network


@pytest.mark.django_db
def test_command_errors():
    with pytest.raises(CommandError, match="未加载步行路网"):
        call_command("suggest_sites", "--type", "kindergarten", "--count", "1")
    build_network(NODES, EDGES)
    with pytest.raises(CommandError, match="unknown facility type 'nope'"):
        call_command("suggest_sites", "--type", "nope", "--count", "1")
    with pytest.raises(CommandError, match="file not found"):
        call_command("suggest_sites", "--type", "kindergarten", "--count", "1", "--candidates", "/nonexistent.gpkg")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PuLP's, raised through spopt
def test_mclp_is_exact_against_brute_force_and_spopt():
    rng = np.random.default_rng(7)
    cost = rng.uniform(0, 1000, (40, 12))
    weights = rng.integers(1, 6, 40).astype(float)
    covers = cost <= 333.3
    for count in (1, 2, 3, 4):
        solution = solve_mclp(sp.csr_matrix(covers), weights, count)
        brute = max(weights[covers[:, list(combo)].any(axis=1)].sum()
                    for combo in itertools.combinations(range(12), count))
        assert solution.covered_weight == pytest.approx(brute)
        assert len(solution.columns) == count
        model = MCLP.from_cost_matrix(cost, weights, service_radius=333.3, p_facilities=count)
        model.solve(pulp.PULP_CBC_CMD(msg=False))
        assert pulp.value(model.problem.objective) == pytest.approx(brute)


def test_merging_identical_rows_and_columns_keeps_the_optimum():
    rng = np.random.default_rng(3)
    base = rng.random((15, 6)) < 0.3
    covers = np.vstack([base, base[:5]])  # repeated demand rows
    covers = np.hstack([covers, covers[:, :2], np.zeros((20, 1), dtype=bool)])  # repeated and useless columns
    weights = rng.integers(1, 4, 20).astype(float)
    reduced = reduce_problem(sp.csr_matrix(covers), weights)
    assert reduced.matrix.shape[1] <= 6 and reduced.matrix.shape[0] <= 15
    assert reduced.weights.sum() == weights[covers.any(axis=1)].sum()
    for count in (1, 2, 3):
        full = solve_mclp(sp.csr_matrix(covers), weights, count).covered_weight
        small = solve_mclp(reduced.matrix, reduced.weights, count)
        assert small.covered_weight == pytest.approx(full)
        chosen = reduced.column_candidate[small.columns]
        assert weights[covers[:, chosen].any(axis=1)].sum() == pytest.approx(full)


def test_marginal_order_counts_each_household_once():
    # Columns 0 and 1 overlap on rows 2–3; column 2 covers rows already covered by 0 and 1.
    covers = np.zeros((7, 3), dtype=bool)
    covers[[0, 1, 2, 3], 0] = True
    covers[[2, 3, 4], 1] = True
    covers[[1, 4], 2] = True
    order = marginal_order(sp.csr_matrix(covers), np.array([1, 2, 0]))
    assert [j for j, _ in order] == [0, 1, 2]
    assert [rows.tolist() for _, rows in order] == [[0, 1, 2, 3], [4], []]
    assert sum(len(rows) for _, rows in order) == covers.any(axis=1).sum()


@pytest.mark.django_db
def test_overlapping_sites_add_households_once_with_communities_and_priority():
    clusters(r_tags=["有幼儿"])
    for k in range(3):  # three more between Q and R, within reach of both candidate nodes at 500 and 1000
        add_household(750 + 10 * k, 15, tags=["有幼儿"] if k == 0 else None)
    refresh_pending()
    result = suggest("kindergarten", 3, focus_weight=1.0)
    gains = [s.newly_covered_households for s in result.sites]
    assert sum(gains) == result.covered_after - result.covered_before
    assert gains == sorted(gains, reverse=True)
    assert sum(s.newly_covered_focus for s in result.sites) == 5  # R's 4 and one between, once
    # Outside every community here: the gains are kept under "".
    assert sum(s.community_gains[""][0] for s in result.sites) == sum(gains)
    stored = SuggestedSite.objects.filter(facility_type__code="kindergarten").order_by("rank")
    assert [s.newly_covered_households for s in stored] == gains
    assert all(s.place.startswith("路网节点附近 (") and s.metric_srid == 4544 and s.x_m for s in stored)
