"""The demo district: the committed fixture, loaded through ``load_demo`` into real PostGIS,
meets the requirements (hierarchy, tiling, households off parks/water/roads, every
category and status, synthetic flags, consistent lifecycles, users) and loads idempotently.

The demo is loaded once for this module and removed afterwards (other tests build their
own 510104 hierarchy). Tests that need it are marked ``slow``: they run in CI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import stat
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from layers.demo import DISTRICT_CODE, METRIC_CRS, fixture
from layers.demo.land import BUILDING_KINDS, Sites
from layers.demo.people import id_check_digit, make_households
from layers.facilities.catalogue import school_type
from layers.facilities.models import Facility
from layers.grids.models import Community, Grid, GridAssignment
from layers.incidents.models import Incident, IncidentCategory, IncidentStatus, IncidentTransition
from layers.people.models import Household, HouseholdTag

FIXTURE_DIR = settings.BASE_DIR / "fixtures" / "demo"
OSM_FILE = settings.BASE_DIR / "fixtures" / "osm" / "chengdu_center_2018.osm.bz2"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Half widths (m) households must keep from a road's centre line: the figures.
ROAD_CLEARANCE_M = {"motorway": 12, "trunk": 12, "primary": 12, "secondary": 10, "tertiary": 8, "unclassified": 4,
                    "residential": 4, "living_street": 4, "service": 4, "pedestrian": 2, "footway": 2, "cycleway": 2,
                    "path": 2, "steps": 2}
FINAL_OK = {IncidentStatus.EVALUATED, IncidentStatus.CLOSED, IncidentStatus.CANCELLED}


def _load(logins: Path, *, force: bool = False) -> str:
    out = io.StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        call_command("load_demo", logins=str(logins), force=force, skip_network=True, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded (committed) for this module; what it added is removed at the end."""
    from layers.demo.loader import delete_demo, demo_exists

    logins = tmp_path_factory.mktemp("demo") / "demo_logins.txt"
    with django_db_blocker.unblock():
        User = get_user_model()
        users_before = set(User.objects.values_list("username", flat=True))
        owned = not demo_exists()
        started = time.perf_counter()
        output = _load(logins) if owned else ""
        seconds = time.perf_counter() - started
    yield {"logins": logins, "output": output, "seconds": seconds}
    if owned:
        with django_db_blocker.unblock():
            delete_demo(FIXTURE_DIR)
            User.objects.exclude(username__in=users_before).delete()


def _sql(query: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(query, params or [])
        return cur.fetchall()


# --- the fixture on disk ---------------------------------------------------------------------


def test_fixture_files_match_manifest_and_are_small():
    manifest = fixture.read_manifest(FIXTURE_DIR)  # raises when a checksum differs
    for name in manifest["files"]:
        assert (FIXTURE_DIR / name).stat().st_size < 5 * 1024 * 1024, name
    assert manifest["osm"]["attribution"] == "Map data © OpenStreetMap contributors, ODbL 1.0"
    assert manifest["counts"]["areas"]["grid"] >= 40
    assert manifest["planted_hotspots"]


def test_id_check_digit_follows_gb11643():
    assert id_check_digit("11010519491231002") == "X"  # the standard's worked example
    assert id_check_digit("51010419800101123") == "6"  # weighted sum 160, 160 mod 11 = 6


def test_school_level_by_name():
    assert school_type("成都市回民小学") == "primary_school"
    assert school_type("第十七中学（初中部）") == "middle_school"
    assert school_type("成都双语实验学校") == "primary_school"
    assert school_type("千里马大地幼儿园") == "kindergarten"
    assert school_type("成都广播电视大学") is None
    assert school_type("") is None


def _tiny_sites() -> Sites:
    return Sites(xy=np.asarray([[0.0, 0.0], [50.0, 0.0]]), households=np.asarray([12, 40]),
                 kind=np.asarray([1, 2]), street=["梨花街", "红星路二段"], number=np.asarray([3, 8]),
                 building=np.asarray([1, 1]))


def test_households_are_reproducible_from_the_seed():
    sites = _tiny_sites()
    xy = np.repeat(sites.xy, sites.households, axis=0)
    site_of = np.repeat(np.arange(2), sites.households)
    anchor = dt.date(2026, 11, 22)
    first = make_households(sites, xy, site_of, np.random.default_rng([7, 2]), anchor)
    again = make_households(sites, xy, site_of, np.random.default_rng([7, 2]), anchor)
    other = make_households(sites, xy, site_of, np.random.default_rng([8, 2]), anchor)
    assert first.to_csv() == again.to_csv()
    assert first.to_csv() != other.to_csv()
    assert len(set(first["address"])) == len(first)  # one flat per household
    assert len(BUILDING_KINDS) == 3


@pytest.mark.slow
def test_build_reproduces_the_committed_fixture(tmp_path):
    """The same seed gives byte-identical files (and the committed fixture is current)."""
    manifest = fixture.read_manifest(FIXTURE_DIR)
    call_command("build_demo", seed=manifest["seed"], out=str(tmp_path), osm=str(OSM_FILE), stdout=io.StringIO())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest, name
    assert (tmp_path / "manifest.json").read_bytes() == (FIXTURE_DIR / "manifest.json").read_bytes()


# --- the loaded demo -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db
def test_hierarchy_and_codes(demo):
    communities = Community.objects.filter(street__district__code=DISTRICT_CODE)
    grids = Grid.objects.filter(community__in=communities)
    assert communities.count() >= 5
    assert communities.values("street").distinct().count() >= 1
    assert grids.count() >= 40
    for community in communities:
        assert re.fullmatch(r"510104\d{6}", community.code) and community.code.startswith(community.street.code)
        assert community.name.endswith("社区")
    for grid in grids:
        assert re.fullmatch(r"\d{15}", grid.code) and grid.code.startswith(grid.community.code)
    # Every area is a valid MultiPolygon in WGS84.
    for table in ("grids_district", "grids_street", "grids_community", "grids_grid"):
        bad = _sql(f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4326 "  # noqa: S608
                   "OR GeometryType(geom) <> 'MULTIPOLYGON'")
        assert bad == [(0,)], table


@pytest.mark.slow
@pytest.mark.django_db
def test_grids_tile_their_community(demo):
    overlaps = _sql("""
        SELECT a.code, b.code, ST_Area(ST_Intersection(a.geom, b.geom)::geography)
          FROM grids_grid a JOIN grids_grid b
            ON a.community_id = b.community_id AND a.id < b.id AND ST_Intersects(a.geom, b.geom)
         WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1.0""")
    assert overlaps == []
    gaps = _sql("""
        SELECT c.code, ST_Area(ST_SymDifference(ST_Union(g.geom), c.geom)::geography)
          FROM grids_community c JOIN grids_grid g ON g.community_id = c.id
         GROUP BY c.id HAVING ST_Area(ST_SymDifference(ST_Union(g.geom), c.geom)::geography) > 1.0""")
    assert gaps == []
    district_gap = _sql("""
        SELECT ST_Area(ST_SymDifference(ST_Union(c.geom), d.geom)::geography)
          FROM grids_district d JOIN grids_street s ON s.district_id = d.id
          JOIN grids_community c ON c.street_id = s.id WHERE d.code = %s GROUP BY d.id""", [DISTRICT_CODE])
    assert district_gap[0][0] < 1.0


@pytest.mark.slow
@pytest.mark.django_db
def test_households_per_grid_and_none_unassigned(demo):
    households = Household.objects.filter(external_id__startswith="DEMO-H-")
    assert 18_000 <= households.count() <= 22_000
    assert not households.filter(grid__isnull=True).exists()
    per_grid = dict(_sql("""SELECT g.code, count(h.id) FROM grids_grid g
                              LEFT JOIN people_household h ON h.grid_id = g.id GROUP BY g.code"""))
    assert min(per_grid.values()) >= 150 and max(per_grid.values()) <= 700, per_grid
    assert not Incident.objects.filter(external_id__startswith="DEMO-E-", grid__isnull=True).exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_households_avoid_parks_water_and_roads(demo):
    from layers.demo.osm import read_osm

    osm = read_osm(OSM_FILE).to_crs(METRIC_CRS)
    rows = _sql("SELECT ST_X(ST_Transform(geom, 32648)), ST_Y(ST_Transform(geom, 32648)) FROM people_household "
                "WHERE external_id LIKE 'DEMO-H-%%'")
    xy = np.asarray(rows)
    box = shapely.box(*xy.min(axis=0) - 100, *xy.max(axis=0) + 100)
    roads = osm.highways[osm.highways.intersects(box) & osm.highways["highway"].isin(ROAD_CLEARANCE_M)]
    road_area = shapely.union_all(shapely.buffer(roads.geometry.values,
                                                 roads["highway"].map(ROAD_CLEARANCE_M).to_numpy(dtype=float)))
    for name, area in (("roads", road_area), ("green", shapely.union_all(osm.green.geometry.values)),
                       ("water", shapely.union_all(osm.water.geometry.values))):
        inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        assert not inside.any(), f"{inside.sum()} households in {name}"


@pytest.mark.slow
@pytest.mark.django_db
def test_household_fields_are_realistic(demo):
    rows = list(Household.objects.filter(external_id__startswith="DEMO-H-").values_list(
        "external_id", "id_number", "phone", "residents", "tags", "synthetic", "address"))
    assert all(r[5] for r in rows)
    for external_id, id_number, phone, residents, _, _, address in rows[:: 37]:
        assert re.fullmatch(r"DEMO-H-\d{6}", external_id)
        assert re.fullmatch(r"510104(\d{8})\d{3}[\dX]", id_number) and id_check_digit(id_number[:17]) == id_number[17]
        dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))  # a real date
        assert re.fullmatch(r"1[3-9]\d{9}|028-8\d{7}", phone)
        assert 1 <= residents <= 6
        assert re.fullmatch(r"\S+ \d+ 号 \d+ 栋 \d+ 单元 \d{3,4}", address)
    assert len({r[1] for r in rows}) == len(rows)
    rates = {tag: sum(tag in r[4] for r in rows) / len(rows) for tag in HouseholdTag.values}
    expected = {"低保": 0.03, "特困": 0.005, "残疾": 0.06, "独居老人": 0.08, "高龄": 0.05, "流动人口": 0.20,
                "下岗失业": 0.03, "慢性病": 0.15, "有幼儿": 0.12}
    for tag, rate in expected.items():
        assert rate * 0.5 <= rates[tag] <= rate * 1.5, (tag, rates[tag])


@pytest.mark.slow
@pytest.mark.django_db
def test_facilities_real_and_synthetic(demo):
    osm = Facility.objects.filter(source=Facility.Source.OSM)
    synthetic = Facility.objects.filter(source=Facility.Source.SYNTHETIC)
    assert osm.count() >= 30 and not osm.filter(synthetic=True).exists()
    assert all(re.fullmatch(r"(node|way|relation)/\d+", s) for s in osm.values_list("source_id", flat=True))
    assert synthetic.exists() and not synthetic.filter(synthetic=False).exists()
    assert all(name.endswith("（演示）") for name in synthetic.values_list("name", flat=True))
    n_communities = Community.objects.filter(street__district__code=DISTRICT_CODE).count()
    for code in ("service_station", "police", "elderly_daycare"):
        assert synthetic.filter(type__code=code).count() >= n_communities, code
    for code in ("primary_school", "middle_school", "health_centre", "market", "park"):
        assert osm.filter(type__code=code).exists(), code
    inside = _sql("""SELECT count(*) FROM facilities_facility f JOIN grids_community c ON ST_Covers(c.geom, f.geom)
                        WHERE f.synthetic""")
    assert inside[0][0] == synthetic.count()  # every synthetic facility lies inside a community


@pytest.mark.slow
@pytest.mark.django_db
def test_incidents_cover_every_category_and_status(demo):
    incidents = Incident.objects.filter(external_id__startswith="DEMO-E-")
    assert 4_000 <= incidents.count() <= 6_000
    assert not incidents.filter(synthetic=False).exists()
    assert set(incidents.values_list("category__code", flat=True)) == set(
        IncidentCategory.objects.values_list("code", flat=True))
    assert set(incidents.values_list("status", flat=True)) == set(IncidentStatus.values)
    # Old incidents are mostly finished, open ones are recent.
    month_ago = timezone.now() - dt.timedelta(days=30)
    old = incidents.filter(reported_at__lt=month_ago)
    assert old.filter(status__in=FINAL_OK).count() / old.count() > 0.95
    open_statuses = set(IncidentStatus.values) - FINAL_OK
    assert incidents.filter(status__in=open_statuses, reported_at__gte=month_ago).count() > incidents.filter(
        status__in=open_statuses, reported_at__lt=month_ago).count()


@pytest.mark.slow
@pytest.mark.django_db
def test_lifecycles_are_consistent(demo):
    steps: dict[int, list] = {}
    for t in IncidentTransition.objects.filter(incident__external_id__startswith="DEMO-E-").order_by(
            "incident_id", "at", "id").values_list("incident_id", "from_status", "to_status", "at"):
        steps.setdefault(t[0], []).append(t[1:])
    loops = 0
    now = timezone.now()
    for inc in Incident.objects.filter(external_id__startswith="DEMO-E-"):
        chain = steps[inc.pk]
        assert chain[0][:2] == ("", "reported") and chain[0][2] == inc.reported_at
        assert all(a[1] == b[0] and a[2] <= b[2] for a, b in zip(chain, chain[1:], strict=False))
        assert chain[-1][1] == inc.status and chain[-1][2] <= now
        dispatched = [at for _, to, at in chain if to == "dispatched"]
        assert inc.dispatched_at == (dispatched[0] if dispatched else None)
        assert (inc.closed_at is not None) == (inc.status in ("closed", "evaluated"))
        assert (inc.satisfaction in ("满意", "不满意")) == (inc.status == "evaluated")
        if inc.status == "cancelled":
            assert [to for _, to, _ in chain] == ["reported", "cancelled"]
        loops += any(f == "evaluated" and to == "handling" for f, to, _ in chain)
    assert loops > 50  # 回访 不满意 sent back to handling


@pytest.mark.slow
@pytest.mark.django_db
def test_timestamps_end_on_the_day_of_loading(demo):
    newest = Incident.objects.filter(external_id__startswith="DEMO-E-").latest("reported_at").reported_at
    now = timezone.now()
    assert newest <= now
    assert timezone.localdate(now) - timezone.localtime(newest).date() <= dt.timedelta(days=1)
    assert Incident.objects.filter(reported_at__gte=now - dt.timedelta(days=7)).count() > 30
    assert not IncidentTransition.objects.filter(at__gt=now).exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_planted_hot_spots_are_findable(demo):
    manifest = fixture.read_manifest(FIXTURE_DIR, verify=False)
    district_m2 = _sql("SELECT ST_Area(geom::geography) FROM grids_district WHERE code = %s", [DISTRICT_CODE])[0][0]
    total = Incident.objects.filter(external_id__startswith="DEMO-E-").count()
    for spot in manifest["planted_hotspots"]:
        near = _sql("""SELECT count(*) FROM incidents_incident WHERE external_id LIKE 'DEMO-E-%%'
                         AND ST_DWithin(geom::geography, ST_MakePoint(%s, %s)::geography, %s)""",
                    [spot["lon"], spot["lat"], spot["radius_m"]])[0][0]
        expected = total * np.pi * spot["radius_m"] ** 2 / district_m2
        assert near > 3 * expected, (spot["name"], near, expected)
    # Nightlife: security risks cluster in the evening and at night.
    night = _sql("""SELECT avg((extract(hour FROM reported_at AT TIME ZONE 'Asia/Shanghai') >= 20
                             OR extract(hour FROM reported_at AT TIME ZONE 'Asia/Shanghai') < 2)::int)
                      FROM incidents_incident i JOIN incidents_incidentcategory c ON c.id = i.category_id
                     WHERE c.code = 'security_risk' AND i.external_id LIKE 'DEMO-E-%%'""")[0][0]
    assert night > 0.5


@pytest.mark.slow
@pytest.mark.django_db
def test_users_groups_and_logins(demo):
    User = get_user_model()
    assert User.objects.get(username="admin").is_superuser
    for username, group in (("planner", "规划人员"), ("patrol", "巡防"), ("admin", "管理员"), ("wangge01", "网格员")):
        assert User.objects.get(username=username).groups.filter(name=group).exists(), username
    for username in ("planner", "patrol"):
        assert User.objects.get(username=username).has_perm("grids.view_grid")
    workers = User.objects.filter(username__regex=r"^wangge\d{2}$")
    assert workers.count() >= 14
    for worker in workers:
        assert 1 <= GridAssignment.objects.filter(user=worker).count() <= 3
    demo_grids = Grid.objects.filter(community__street__district__code=DISTRICT_CODE)
    assert not demo_grids.filter(assignments__isnull=True).exists()
    logins = demo["logins"]
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    passwords = {line.split("\t")[0]: line.split("\t")[1] for line in logins.read_text().splitlines()
                 if line and not line.startswith("#") and not line.startswith("username")}
    assert {"admin", "planner", "patrol", "wangge01"} <= set(passwords)
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        assert User.objects.get(username="wangge01").check_password(passwords["wangge01"])
    out = io.StringIO()
    call_command("demo_logins", logins=str(logins), stdout=out)
    assert "wangge01" in out.getvalue() and passwords["admin"] in out.getvalue()
    # Worker-reported incidents name the grid's worker.
    assert Incident.objects.filter(external_id__startswith="DEMO-E-", reporter__username__startswith="wangge").exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_departments_command_centre_and_their_cases(demo):
    from layers.accounts import visibility
    from layers.incidents import lifecycle
    from layers.incidents.models import Department

    User = get_user_model()
    departments = Department.objects.filter(district__code=DISTRICT_CODE)
    assert {"城管", "环卫", "市政", "物业", "派出所", "民政"} <= set(departments.values_list("kind", flat=True))
    assert not departments.filter(users__isnull=True).exists()
    demo_cases = Incident.objects.filter(external_id__startswith="DEMO-E-")
    # every dispatched case names the department of its 派遣 step; none before 派遣
    assert not demo_cases.filter(dispatched_at__isnull=False, department__isnull=True).exists()
    assert not demo_cases.filter(dispatched_at__isnull=True, department__isnull=False).exists()
    for t in IncidentTransition.objects.filter(incident__in=demo_cases, to_status="dispatched").select_related(
            "incident__department", "by")[:200]:
        assert t.note == f"派遣至{t.incident.department.name}" and t.by.username == "zhihui"
    # cases in every stage of the flow, with their department where dispatched
    for stage in ("reported", "accepted", "dispatched", "handling", "feedback", "closed", "evaluated"):
        assert demo_cases.filter(status=stage).exists(), stage
    assert User.objects.get(username="zhihui").groups.filter(name="指挥中心").exists()
    chengguan = User.objects.get(username="chengguan")
    assert chengguan.groups.filter(name="处置部门").exists()
    mine = visibility.visible_incidents(chengguan)
    assert mine.exists() and set(mine.values_list("department__name", flat=True)) == {"街道城管执法中队"}
    assert not visibility.visible_households(chengguan).exists()
    handling = demo_cases.filter(status="dispatched", department__users=chengguan).first()
    assert handling is not None and lifecycle.steps_for(handling, chengguan) == ["handling"]
    out = io.StringIO()
    call_command("demo_logins", logins=str(demo["logins"]), stdout=out)
    for username in ("zhihui", "chengguan", "huanwei", "shizheng", "wuye", "minjing", "minzheng", "lingdao"):
        assert username in out.getvalue(), username
    assert "指挥中心" in out.getvalue() and "处置部门" in out.getvalue() and "领导" in out.getvalue()
    # The leader opens the district's summary and sees no full ID number.
    leader = User.objects.get(username="lingdao")
    assert leader.has_perm("summaries.view_summary") and not visibility.can_see_pii(leader)


@pytest.mark.slow
@pytest.mark.django_db
def test_load_is_idempotent(demo):
    counts = (Household.objects.count(), Incident.objects.count(), Grid.objects.count(), Facility.objects.count())
    started = time.perf_counter()
    output = _load(demo["logins"])
    assert time.perf_counter() - started < 1.0
    assert "already loaded" in output
    assert counts == (Household.objects.count(), Incident.objects.count(), Grid.objects.count(),
                      Facility.objects.count())


@pytest.mark.slow
@pytest.mark.django_db
def test_force_reloads_and_keeps_passwords(demo):
    User = get_user_model()
    before = User.objects.get(username="patrol").password
    counts = (Household.objects.count(), Incident.objects.count(), Grid.objects.count())
    output = _load(demo["logins"], force=True)
    assert "deleted:" in output and "unassigned: {'households': 0, 'incidents': 0}" in output
    assert counts == (Household.objects.count(), Incident.objects.count(), Grid.objects.count())
    assert User.objects.get(username="patrol").password == before
