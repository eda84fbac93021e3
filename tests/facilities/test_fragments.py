"""Networks in pieces: households and facilities join the part of the network that reaches
facilities when it lies within GRIDMAP_SNAP_PREFER_CONNECTED_M (50 m) even if a cut-off
fragment lies nearer; what is left on a fragment is reported as 路网不连通, not as uncovered."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from layers.facilities.models import AccessMethod, FacilityCircle, HouseholdAccess
from layers.facilities.walking import reports
from layers.facilities.walking.refresh import refresh_pending
from layers.maps.base import render
from layers.maps.planner import planner_map
from layers.people.models import Household
from tests.facilities.walk_fixtures import add_facility, add_household, build_network, reference_walks
from tests.factories import box, make_community, make_grid

pytestmark = pytest.mark.django_db

SPEED = 1000 / 15
# The main street A—B—C along y = 0 with a side street B—D; fragment F (200 m) runs 30 m north
# of the main street, fragment G (200 m) 400 m north of it: neither touches anything.
NODES = {"A": (-1000, 0), "B": (0, 0), "C": (1000, 0), "D": (0, 500),
         "F1": (300, 30), "F2": (500, 30), "G1": (600, 400), "G2": (800, 400)}
EDGES = [("A", "B"), ("B", "C"), ("B", "D"), ("F1", "F2"), ("G1", "G2")]


def _shown(text: str, page: str) -> bool:
    return text in page or json.dumps(text)[1:-1] in page


def access(h: Household, code: str = "kindergarten") -> HouseholdAccess:
    return HouseholdAccess.objects.get(household=h, facility_type__code=code)


@pytest.fixture
def pieces():
    community = make_community(code="510104001001", geom=box(104.0, 30.6, 104.2, 30.7))
    make_grid(community, box(104.0, 30.6, 104.2, 30.7))
    build_network(NODES, EDGES)
    west = add_facility(-500, -10, name="西幼儿园")
    # 2 m from fragment F but 28 m from the main street: placed on the main street.
    beside = add_facility(450, 28, name="路边幼儿园")
    # Only fragment G is near (405 m to the main street): the market stays on G.
    island = add_facility(700, 405, code="market", name="孤岛菜市场")
    near = add_household(400, 25)  # 5 m from F, 25 m from the main street
    cut_off = add_household(700, 420)  # 20 m from G, 420 m from the main street
    on_main = add_household(-300, 10)
    refresh_pending()
    return {"west": west, "beside": beside, "island": island, "near": near, "cut_off": cut_off,
            "on_main": on_main}


def test_households_within_50_m_of_the_connected_part_join_it(pieces):
    a = access(pieces["near"])
    assert a.method == AccessMethod.NETWORK
    assert a.distance_m == pytest.approx(50, abs=0.5)  # along the main street to 路边幼儿园 at x = 450
    assert a.snap_distance_m == pytest.approx(25, abs=0.05)  # not the 5 m to the fragment
    assert a.facility_id == pieces["beside"].pk
    # The independent reference (networkx, PostGIS snapping) with the same rule agrees.
    h = pieces["near"]
    facilities = [(f.geom.x, f.geom.y) for f in (pieces["west"], pieces["beside"])]
    ref = reference_walks(facilities, [(h.geom.x, h.geom.y)], anchors=[*facilities, (pieces["island"].geom.x,
                                                                                      pieces["island"].geom.y)])
    assert a.distance_m == pytest.approx(ref[0], abs=1.2)


def test_a_facility_beside_a_fragment_gets_a_full_circle(pieces):
    c15 = FacilityCircle.objects.get(facility=pieces["beside"], minutes=5)
    assert c15.method == AccessMethod.NETWORK and c15.snap_distance_m == pytest.approx(28, abs=0.05)
    assert c15.reach_m == pytest.approx(5 * SPEED)
    # Its 5-minute circle runs 333 m along the main street both ways: far longer than fragment F.
    assert c15.area_m2 > 2 * 333 * 2 * 50 * 0.9


def test_households_only_near_a_fragment_are_cut_off_not_uncovered(pieces):
    a = access(pieces["cut_off"])
    assert a.method == AccessMethod.FRAGMENT and a.distance_m is None and a.minutes is None
    assert a.snap_distance_m == pytest.approx(20, abs=0.05)
    # The market is on its fragment: for markets the household does walk, and is covered.
    m = access(pieces["cut_off"], "market")
    assert m.method == AccessMethod.NETWORK and m.distance_m == pytest.approx(0, abs=0.5)
    # Those on the main street have no market to walk to: not covered, not 路网不连通.
    assert access(pieces["on_main"], "market").method == AccessMethod.NETWORK
    assert access(pieces["on_main"], "market").distance_m is None
    total = next(r for r in reports.coverage_rows(type_code="kindergarten") if r.code == "*")
    assert (total.households, total.covered_households, total.fragment_households, total.straight_line) == (3, 2, 1, 0)
    market = next(r for r in reports.coverage_rows(type_code="market") if r.code == "*")
    assert (market.covered_households, market.fragment_households) == (1, 0)
    # Gap areas leave the cut-off household out; it has its own areas.
    assert sum(g.households for g in reports.gap_areas("kindergarten")) == 0
    assert [f.households for f in reports.fragment_areas("kindergarten")] == [1]


def test_coverage_report_and_planner_map_show_the_cut_off_households(pieces):
    out = StringIO()
    call_command("coverage_report", "--type", "kindergarten", stdout=out)
    text = out.getvalue()
    assert "路网不连通" in text and "路网不连通: 1 户" in text
    out = StringIO()
    call_command("coverage_report", "--type", "kindergarten", "--format", "json", stdout=out)
    total = next(r for r in json.loads(out.getvalue())["coverage"] if r["code"] == "*")
    assert total["fragment_households"] == 1 and total["covered_households"] == 2
    page = render(planner_map("kindergarten", with_streets=False))
    assert _shown("路网不连通的住户", page) and _shown("路网不连通户数", page)
    assert not _shown("路网不连通（灰色边线）", page)
    market = render(planner_map("market", with_streets=False))
    assert _shown("路网不连通（灰色边线）", market)  # the island market's circles, in the legend


def test_build_circles_warns_for_facilities_on_fragments(pieces):
    err = StringIO()
    call_command("build_circles", stdout=StringIO(), stderr=err)
    text = err.getvalue()
    assert "孤岛菜市场" in text and "该片段全长 200 m" in text and "路网不连通" in text
    assert "路边幼儿园" not in text and "西幼儿园" not in text
    assert FacilityCircle.objects.get(facility=pieces["island"], minutes=10).method == AccessMethod.FRAGMENT


def test_without_the_preference_the_nearest_street_is_kept(pieces, settings):
    full = FacilityCircle.objects.get(facility=pieces["beside"], minutes=5).area_m2
    settings.GRIDMAP_SNAP_PREFER_CONNECTED_M = 0
    err = StringIO()
    call_command("build_circles", stdout=StringIO(), stderr=err)
    # The old behaviour: 路边幼儿园 sits on fragment F, its circle ends with the fragment's 200 m.
    c5 = FacilityCircle.objects.get(facility=pieces["beside"], minutes=5)
    assert c5.method == AccessMethod.FRAGMENT and c5.area_m2 < full / 2
    assert "路边幼儿园" in err.getvalue()
    a = access(pieces["near"])
    assert a.snap_distance_m == pytest.approx(5, abs=0.05) and a.distance_m == pytest.approx(50, abs=0.5)
