"""Household walking times to the nearest facility of each type, coverage shares, completeness,
gap areas and coverage_report, checked against known answers and an independent computation."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from importers.network import NetworkImporter
from layers.facilities.models import AccessMethod, Facility, HouseholdAccess
from layers.facilities.walking import reports
from layers.facilities.walking.refresh import refresh_pending
from layers.people.models import Household
from tests.facilities.walk_fixtures import (
    add_facility,
    add_household,
    build_network,
    ftype,
    point,
    reference_walks,
    walk_digraph,
)
from tests.factories import box, make_community, make_grid

pytestmark = pytest.mark.django_db

SPEED = 1000 / 15
ONE_SECOND_M = SPEED / 60
# A main street A—B—C along y = 0 and a side street B—D going north.
STREET = {"A": (-1000, 0), "B": (0, 0), "C": (1000, 0), "D": (0, 500)}
STREET_EDGES = [("A", "B"), ("B", "C"), ("B", "D")]


def access(h: Household, code: str = "kindergarten") -> HouseholdAccess:
    return HouseholdAccess.objects.get(household=h, facility_type__code=code)


def xmins(households: list[Household]) -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT household_id, facility_type_id, xmin::text FROM facilities_householdaccess"
                    " WHERE household_id = ANY(%s)", [[h.pk for h in households]])
        return {(h, t): x for h, t, x in cur.fetchall()}


def test_known_walking_times_and_the_nearest_facility():
    build_network(STREET, STREET_EDGES)
    east = add_facility(200, -10, name="东幼儿园")
    west = add_facility(-900, 10, name="西幼儿园")
    h_west = add_household(-300, 15)  # 500 m to the east one via B, 600 m to the west one
    h_same_edge = add_household(250, 20)  # 50 m along the edge it shares with the east one
    h_side = add_household(0, 300)  # 300 m down the side street, then 200 m
    h_far = add_household(900, 0)  # 700 m back along the same edge
    refresh_pending()
    expected = {h_west: (500, east), h_same_edge: (50, east), h_side: (500, east), h_far: (700, east)}
    for h, (metres, facility) in expected.items():
        a = access(h)
        assert a.method == AccessMethod.NETWORK
        assert a.distance_m == pytest.approx(metres, abs=0.5)  # UTM vs the ellipsoid: < 0.05 %
        assert a.minutes == pytest.approx(a.distance_m / SPEED, abs=1e-3)
        assert a.facility_id == facility.pk
    assert access(h_west).snap_distance_m == pytest.approx(15, abs=0.05)
    # Every type gets a row; a type without facilities has none reachable.
    assert HouseholdAccess.objects.filter(household=h_side).count() == 15
    assert access(h_side, "police").distance_m is None
    # The independent reference (networkx, PostGIS snapping) agrees within one second.
    points = [(h.geom.x, h.geom.y) for h in expected]
    ref = reference_walks([(f.geom.x, f.geom.y) for f in (east, west)], points)
    for h, metres in zip(expected, ref, strict=True):
        assert abs(access(h).distance_m - metres) < ONE_SECOND_M


def test_off_network_households_and_the_straight_line_fallback():
    add_facility(200, -10)
    h = add_household(-250, 400)
    refresh_pending()
    a = access(h)  # no network: straight line, marked so
    assert a.method == AccessMethod.BUFFER
    assert a.distance_m == pytest.approx((450**2 + 410**2) ** 0.5, abs=1)
    build_network(STREET, STREET_EDGES)
    far = add_household(0, 3000)  # 2.5 km from every street
    refresh_pending()
    assert access(h).method == AccessMethod.NETWORK
    a = access(far)
    assert a.method == AccessMethod.OFF_NETWORK and a.distance_m is None and a.snap_distance_m > 2000


def test_changes_rewrite_only_the_rows_they_affect():
    build_network(STREET, STREET_EDGES)
    add_facility(200, -10)
    moved, stays, far = add_household(-300, 15), add_household(250, 20), add_household(900, 0)
    refresh_pending()
    before = xmins([stays, far])
    moved.geom = add_household(-800, 5).geom  # a move queues just this household
    moved.save()
    with connection.cursor() as cur:
        cur.execute("SELECT kind FROM facilities_accessqueue ORDER BY kind")
        assert [r[0] for r in cur.fetchall()] == ["household", "households"]
    refresh_pending()
    assert access(moved).distance_m == pytest.approx(1000, abs=1)
    assert xmins([stays, far]) == before
    # A new kindergarten near `far` rewrites its kindergarten row and nothing else.
    add_facility(950, 10)
    refresh_pending()
    after = xmins([stays, far])
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {(far.pk, ftype().pk)}
    assert access(far).distance_m == pytest.approx(50, abs=0.5)


def test_a_bulk_load_queues_one_item_and_is_computed_in_one_pass():
    build_network(STREET, STREET_EDGES)
    add_facility(200, -10)
    refresh_pending()
    Household.objects.bulk_create([Household(geom=point(-900 + 6 * k, 10),
                                              address=f"{k}", head_name="王五") for k in range(300)])
    with connection.cursor() as cur:
        cur.execute("SELECT kind, key FROM facilities_accessqueue")
        assert cur.fetchall() == [("households", 0)]
    result = refresh_pending()
    assert result.households == 300 and HouseholdAccess.objects.count() == 300 * 15


def test_focus_groups_completeness_and_gap_areas():
    community = make_community(code="510104001001", geom=box(104.0, 30.6, 104.2, 30.7))
    make_grid(community, box(104.0, 30.6, 104.2, 30.7))
    build_network(STREET, STREET_EDGES)
    for code in ("kindergarten", "health_station", "elderly_daycare"):
        add_facility(-950, 10, code=code)
    add_facility(-950, -10, code="kindergarten")
    near = [add_household(-800 + 20 * k, 10, tags=["独居老人"] if k < 2 else []) for k in range(5)]
    far_east = [add_household(800 + 10 * k, 10, tags=["高龄"] if k == 0 else []) for k in range(3)]
    far_north = [add_household(0, 450 + 10 * k) for k in range(2)]
    refresh_pending()
    rows = {r.type_code: r for r in reports.coverage_rows(level="community") if r.code == "510104001001"}
    daycare = rows["elderly_daycare"]
    assert (daycare.households, daycare.covered_households) == (10, 5)
    assert (daycare.focus_households, daycare.focus_covered) == (3, 2)  # 独居老人 ×2 near, 高龄 ×1 far
    assert rows["kindergarten"].focus_households == 0  # 有幼儿 is the kindergarten's priority tag
    (complete,) = [c for c in reports.completeness_rows(level="community") if c.code == "510104001001"]
    assert complete.households == 10
    assert complete.level_shares[5] == pytest.approx(0.0)  # fitness/service stations: none built
    assert complete.all_share == 0.0
    gaps = reports.gap_areas("kindergarten")
    assert sorted(g.households for g in gaps) == [2, 3]  # the east and north clusters
    assert sum(g.focus_households for g in gaps) == 0
    assert not any(g.geom.covers(_shp(h)) for g in gaps for h in near)
    assert all(any(g.geom.covers(_shp(h)) for g in gaps) for h in far_east + far_north)


def _shp(h: Household):
    import shapely

    return shapely.Point(h.geom.x, h.geom.y)


def test_completeness_of_a_level_when_every_type_is_reached():
    community = make_community(code="510104001001", geom=box(104.0, 30.6, 104.2, 30.7))
    make_grid(community, box(104.0, 30.6, 104.2, 30.7))
    build_network(STREET, STREET_EDGES)
    level5 = ["health_station", "elderly_daycare", "kindergarten", "fitness_point", "service_station"]
    for code in level5:
        add_facility(-950, 10, code=code)
    add_facility(950, 10, code="kindergarten")
    add_household(-900, 5)  # reaches every 5-minute type
    add_household(900, 5)  # only the second kindergarten
    refresh_pending()
    (complete,) = [c for c in reports.completeness_rows() if c.code == "510104001001"]
    assert complete.level_shares[5] == pytest.approx(0.5)
    assert complete.level_shares[10] == 0.0 and complete.all_share == 0.0


def test_chengdu_coverage_shares_match_an_independent_count():
    NetworkImporter().run("fixtures/osm/chengdu_center_2018.osm.bz2")
    community = make_community(code="510104001001", geom=box(104.05, 30.655, 104.09, 30.69))
    grids = [make_grid(community, box(x0, y0, x0 + 0.02, y0 + 0.0175))
             for x0 in (104.05, 104.07) for y0 in (30.655, 30.6725)]
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.7)")
        cur.execute("""SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(geom, random()) AS p
                         FROM facilities_walkedge WHERE geom && ST_MakeEnvelope(104.05, 30.655, 104.09, 30.69, 4326)
                        ORDER BY id) a ORDER BY random() LIMIT 160""")
        spots = cur.fetchall()
    Household.objects.bulk_create([Household(geom=f"SRID=4326;POINT({x + 3e-4} {y - 2e-4})", address=str(k),
                                             head_name="李四", residents=1 + k % 4) for k, (x, y) in enumerate(spots)])
    facilities = {}
    for k, code in enumerate(["kindergarten"] * 3 + ["market"] * 3):
        x, y = spots[(37 * k + 5) % len(spots)]
        facilities.setdefault(code, []).append(
            Facility.objects.create(type=ftype(code), name=f"{code}{k}", geom=f"SRID=4326;POINT({x - 4e-4} {y + 1e-4})"))
    out = StringIO()
    call_command("coverage_report", "--level", "grid", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    g = walk_digraph()
    households = list(Household.objects.filter(grid__isnull=False).select_related("grid"))
    for code, fs in facilities.items():
        threshold_m = ftype(code).threshold_minutes * SPEED
        everything = [(f.geom.x, f.geom.y) for f in Facility.objects.all()]
        ref = reference_walks([(f.geom.x, f.geom.y) for f in fs], [(h.geom.x, h.geom.y) for h in households], g,
                              anchors=everything)
        stored = {a.household_id: a.distance_m for a in HouseholdAccess.objects.filter(facility_type__code=code)}
        for h, metres in zip(households, ref, strict=True):
            assert (stored[h.pk] is None and metres == float("inf")) or abs(stored[h.pk] - metres) < ONE_SECOND_M
        for grid in grids:
            mine = [(h, m) for h, m in zip(households, ref, strict=True) if h.grid_id == grid.pk]
            row = next(r for r in report["coverage"] if r["type_code"] == code and r["code"] == grid.code)
            assert row["households"] == len(mine)
            assert row["covered_households"] == sum(m <= threshold_m for _, m in mine)
            assert row["covered_residents"] == sum(h.residents for h, m in mine if m <= threshold_m)
    assert len(grids) == 4 and sum(r["households"] for r in report["coverage"] if r["code"] == "*"
                                   and r["type_code"] == "market") == 160


def test_coverage_report_formats_and_the_gap_file(tmp_path):
    community = make_community(code="510104001001", geom=box(104.0, 30.6, 104.2, 30.7))
    make_grid(community, box(104.0, 30.6, 104.2, 30.7))
    add_facility(-950, 10)  # no network: straight lines, flagged in the table
    for k in range(4):
        add_household(-900 + 600 * k, 10)
    table = StringIO()
    call_command("coverage_report", "--type", "kindergarten", stdout=table)
    assert "幼儿园" in table.getvalue() and "直线距离" in table.getvalue() and "生活圈完整度" in table.getvalue()
    out = StringIO()
    call_command("coverage_report", "--type", "kindergarten", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(StringIO(out.getvalue())))
    assert [(r["code"], r["households"], r["covered_households"]) for r in rows] == [
        ("510104001001", "4", "1"), ("*", "4", "1")]
    gaps_file = tmp_path / "gaps.geojson"
    call_command("coverage_report", "--type", "kindergarten", "--gaps", str(gaps_file), stdout=StringIO(),
                 stderr=StringIO())
    collection = json.loads(gaps_file.read_text(encoding="utf-8"))
    assert sum(f["properties"]["households"] for f in collection["features"]) == 3
    assert {f["geometry"]["type"] for f in collection["features"]} == {"Polygon"}
