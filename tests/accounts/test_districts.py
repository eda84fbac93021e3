"""A city office runs several districts in one installation: Chengdu 锦江区 (510104, EPSG:4544)
and Shanghai 黄浦区 (310101, EPSG:4549) side by side, each with grids, a grid worker,
households, incidents and a facility. The district is the first filter of pages, maps, reports
and API; counts are checked against direct database counts."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from layers.accounts import visibility
from layers.facilities.models import Facility, FacilityType
from layers.facilities.walking.reports import completeness_rows, coverage_rows
from layers.grids.models import Grid, GridAssignment
from layers.incidents import lifecycle
from layers.incidents.models import Incident
from layers.people.models import Household
from tests.factories import box, category, make_grid, make_household, point
from tests.fixtures_world import _user, client_for
from tests.grids.test_crs import district_at

pytestmark = pytest.mark.django_db

CD, SH = "510104", "310101"
SH_LON, SH_LAT = 121.47, 31.23


@pytest.fixture
def city(world):
    """world (Chengdu: two grids, two workers, a planner, a patrol, an admin) plus Shanghai."""
    from layers.accounts.roles import WORKER

    community = district_at(SH_LON, SH_LAT, SH, "黄浦区")
    world.sh_west = make_grid(community, box(SH_LON - 0.03, SH_LAT - 0.03, SH_LON, SH_LAT + 0.03), name="黄浦西")
    world.sh_east = make_grid(community, box(SH_LON, SH_LAT - 0.03, SH_LON + 0.03, SH_LAT + 0.03), name="黄浦东")
    world.worker_s = _user("wangge_s", WORKER)
    GridAssignment.objects.create(user=world.worker_s, grid=world.sh_west)
    world.both = _user("wangge_both", WORKER)
    GridAssignment.objects.create(user=world.both, grid=world.west)
    GridAssignment.objects.create(user=world.both, grid=world.sh_west)
    for i, (lon, lat) in enumerate([(SH_LON - 0.01, SH_LAT), (SH_LON - 0.02, SH_LAT + 0.01), (SH_LON + 0.01, SH_LAT)]):
        make_household(point(lon, lat), address=f"黄浦路{i}号", head_name="赵六", tags=["高龄"] if i else [])
    for lon, lat in [(SH_LON - 0.011, SH_LAT), (SH_LON - 0.012, SH_LAT), (SH_LON + 0.012, SH_LAT)]:
        lifecycle.report(category=category("dispute"), description="黄浦纠纷", geom=point(lon, lat), at=timezone.now())
    kindergarten = FacilityType.objects.get(code="kindergarten")
    Facility.objects.create(type=kindergarten, name="锦江幼儿园", geom=point(104.064, 30.654), source="manual")
    Facility.objects.create(type=kindergarten, name="黄浦幼儿园", geom=point(SH_LON - 0.01, SH_LAT), source="manual")
    return world


def shown(page: str, text: str) -> bool:
    """Is ``text`` in a page, as text or inside the map's JavaScript (non-ASCII escaped)?"""
    return text in page or json.dumps(text)[1:-1] in page


def _in(code: str):
    return {"grid__community__street__district__code": code}


# --- who holds which district ---------------------------------------------------------------------


def test_visible_districts_follow_the_grids_held(city):
    codes = lambda user: sorted(visibility.visible_districts(user).values_list("code", flat=True))  # noqa: E731
    assert codes(city.planner) == codes(city.patrol) == codes(city.admin) == [SH, CD]
    assert codes(city.worker_w) == [CD] and codes(city.worker_s) == [SH]
    assert codes(city.both) == [SH, CD]
    # Every visible_* takes the district; a district not held leaves nothing.
    assert visibility.visible_households(city.admin, SH).count() == Household.objects.filter(**_in(SH)).count() == 3
    assert visibility.visible_incidents(city.patrol, CD).count() == Incident.objects.filter(**_in(CD)).count()
    assert list(visibility.visible_grids(city.worker_s, SH)) == [city.sh_west]
    assert not visibility.visible_grids(city.worker_s, CD).exists()
    assert not visibility.visible_households(city.worker_w, SH).exists()


# --- API -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["communities", "grids", "facilities", "households", "incidents"])
def test_every_api_list_takes_the_district(city, path):
    c = client_for(city.admin)
    expected = {
        "communities": lambda code: visibility.in_district(city.community.__class__.objects.all(), code).count(),
        "grids": lambda code: Grid.objects.filter(community__street__district__code=code).count(),
        "facilities": lambda code: visibility.in_district(Facility.objects.all(), code).count(),
        "households": lambda code: Household.objects.filter(**_in(code)).count(),
        "incidents": lambda code: Incident.objects.filter(**_in(code)).count(),
    }[path]
    counts = {}
    for code in (CD, SH):
        body = c.get(f"/api/{path}/?district={code}").json()
        counts[code] = body["count"] if "count" in body else len(body["features"])
        assert counts[code] == expected(code) > 0
    total = c.get(f"/api/{path}/").json()
    assert total.get("count", len(total.get("features", []))) >= counts[CD] + counts[SH]


@pytest.mark.parametrize("value", ["999999", "abc", "5101041"])
@pytest.mark.parametrize("path", ["communities", "grids", "facilities", "households", "incidents", "coverage",
                                  "hotspots", "circles"])
def test_a_bad_district_is_a_400_naming_the_parameter(city, path, value):
    user = city.patrol if path == "hotspots" else city.planner if path in ("coverage", "circles") else city.admin
    response = client_for(user).get(f"/api/{path}/?type=kindergarten&district={value}")
    assert response.status_code == 400 and "district" in response.json()


def test_a_worker_asking_for_a_district_not_held_gets_nothing(city):
    c = client_for(city.worker_s)
    assert c.get(f"/api/households/?district={CD}").json()["features"] == []
    assert c.get(f"/api/grids/?district={CD}").json()["features"] == []
    mine = c.get(f"/api/households/?district={SH}").json()["features"]
    assert len(mine) == Household.objects.filter(grid=city.sh_west).count() == 2


def test_coverage_per_district_equals_the_database_and_all_has_a_total_per_district(city):
    c = client_for(city.planner)
    for code in (CD, SH):
        rows = c.get(f"/api/coverage/?type=kindergarten&district={code}").json()
        total = next(r for r in rows if r["code"] == "*")
        assert total["households"] == Household.objects.filter(**_in(code)).count()
        assert all(r["district"] == code for r in rows if r["code"] != "*")
    rows = c.get("/api/coverage/?type=kindergarten").json()
    per_district = {r["code"]: r["households"] for r in rows if r["total"] == "district"}
    assert per_district == {code: Household.objects.filter(**_in(code)).count() for code in (CD, SH)}
    circles = c.get(f"/api/circles/?type=kindergarten&district={SH}").json()["features"]
    assert {f["properties"]["facility_name"] for f in circles} == {"黄浦幼儿园"}


def test_reports_take_a_district(city):
    sh = coverage_rows(type_code="kindergarten", district=SH)
    assert [r.code for r in sh] == ["310101001001", "*"] and sh[-1].households == 3
    everything = coverage_rows(type_code="kindergarten")
    assert [r.code for r in everything if r.total == "district"] == [SH, CD]
    complete = completeness_rows(district=SH)
    assert [r.code for r in complete] == ["310101001001"] and complete[0].households == 3
    assert {r.code for r in completeness_rows()} >= {SH, CD, "310101001001", "510104001001"}
    out = StringIO()
    call_command("coverage_report", "--type", "kindergarten", "--district", SH, "--format", "json", stdout=out)
    assert '"310101001001"' in out.getvalue() and '"510104001001"' not in out.getvalue()


def test_hot_spots_of_the_shanghai_district_in_its_own_zone(city):
    c = client_for(city.patrol)
    assert c.get("/api/hotspots/?days=7").status_code == 400  # two zones: one district at a time
    data = c.get(f"/api/hotspots/?days=7&district={SH}").json()
    assert len(data["features"]) == 2  # the two Shanghai grids
    assert sum(f["properties"]["count"] for f in data["features"]) == Incident.objects.filter(**_in(SH)).count()
    assert len(c.get(f"/api/hotspots/?days=7&district={CD}").json()["features"]) == 2
    out = StringIO()
    call_command("hotspots", "--days", "7", "--district", SH, stdout=out)
    assert out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="未知的区划代码"):
        call_command("hotspots", "--days", "7", "--district", "999999", stdout=StringIO())


# --- pages ---------------------------------------------------------------------------------------


def test_the_planner_chooses_the_district_first(city):
    c = client_for(city.planner)
    page = c.get("/planner/?type=kindergarten").content.decode()
    assert 'name="district"' in page and "黄浦区（310101）" in page and "锦江区" in page
    assert "黄浦区合计" in page and "锦江区合计" in page  # 全部: a total row per district
    page = c.get(f"/planner/?type=kindergarten&district={SH}").content.decode()
    assert f'value="{SH}" selected' in page and "黄浦区合计" not in page
    assert f"district={SH}" in page  # the map frame follows
    frame = c.get(f"/planner/map.html?type=kindergarten&district={SH}").content.decode()
    assert shown(frame, "黄浦幼儿园") and not shown(frame, "锦江幼儿园")


def test_a_province_scale_planner_and_coverage_go_district_by_district(city, settings):
    settings.GRIDMAP_OVERVIEW_MAX_GRIDS = 3  # the city holds 4 grids: as a province holds 25,000
    c = client_for(city.planner)
    page = c.get("/planner/?type=kindergarten").content.decode()
    assert "须逐区查看" in page and '<option value="">全部</option>' not in page
    assert "黄浦区合计" not in page and "锦江区合计" not in page  # one district's rows, not every district's
    assert f'value="{SH}" selected' in page and f"district={SH}" in page  # the first held (by code), and its map
    frame = c.get("/planner/map.html?type=kindergarten").content.decode()
    assert shown(frame, "黄浦幼儿园") and not shown(frame, "锦江幼儿园")  # the frame alone takes the same one
    response = c.get("/api/coverage/?type=kindergarten")
    assert response.status_code == 400 and "district" in response.json()
    assert "辖区共 4 个网格" in response.json()["district"][0]
    assert c.get(f"/api/coverage/?type=kindergarten&district={CD}").status_code == 200
    page = c.get(f"/planner/?type=kindergarten&district={CD}").content.decode()
    assert f'value="{CD}" selected' in page and "须逐区查看" not in page
    settings.GRIDMAP_OVERVIEW_MAX_GRIDS = 4
    assert "须逐区查看" not in c.get("/planner/?type=kindergarten").content.decode()


def test_one_large_district_keeps_its_coverage_in_one_answer(world, settings):
    """One district of more grids than the limit: there is no other district to go by, so the
    coverage of all it holds is that district's, asked without naming it."""
    settings.GRIDMAP_OVERVIEW_MAX_GRIDS = 1  # Chengdu alone, with its two grids
    assert visibility.grids_beyond_overview(world.planner) == 0
    c = client_for(world.planner)
    assert c.get("/api/coverage/").status_code == 200
    page = c.get("/planner/").content.decode()
    assert "须逐区查看" not in page


def test_the_patrol_page_analyses_one_district_when_the_zones_differ(city):
    c = client_for(city.patrol)
    page = c.get("/patrol/?days=7").content.decode()
    assert "须逐区进行" in page and 'name="district"' in page and '<option value="">全部</option>' not in page
    assert c.get(f"/patrol/map.html?days=7&district={SH}").status_code == 200
    assert c.get("/patrol/map.html?days=7").status_code == 200  # the first district, not a refusal
    page = c.get(f"/patrol/?days=7&district={SH}").content.decode()
    assert f'value="{SH}" selected' in page and "须逐区进行" not in page


def test_the_overview_map_per_district(city):
    c = client_for(city.planner)
    assert 'name="district"' in c.get("/").content.decode()
    frame = c.get(f"/maps/overview.html?district={SH}").content.decode()
    assert shown(frame, "黄浦西") and not shown(frame, "西网格")


def test_a_worker_of_one_district_sees_no_select(city):
    page = client_for(city.worker_s).get("/my/").content.decode()
    assert 'name="district"' not in page and "黄浦西" in page
    assert "户（2）" in page
    assert 'name="district"' not in client_for(city.worker_w).get("/").content.decode()


def test_a_worker_holding_two_districts_gets_the_select(city):
    c = client_for(city.both)
    page = c.get("/my/").content.decode()
    assert 'name="district"' in page and "户（3）" in page  # west (1) + 黄浦西 (2)
    page = c.get(f"/my/?district={SH}").content.decode()
    assert "户（2）" in page and "西网格" not in page.split("<h3>")[0]
    frame = c.get(f"/my/map.html?district={CD}").content.decode()
    assert shown(frame, "西网格") and not shown(frame, "黄浦西")
