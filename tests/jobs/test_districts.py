"""Batch work per district on Dask (layers/jobs/districts.py): the same rows as the
single-process functions, a failing district retried then reported while the others are
written, and a scheduler given by address doing the work.

Transactional: the Dask workers are other processes with their own connections, which see only
what the test has committed."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from layers.facilities.catalogue import seed_facility_types
from layers.facilities.models import FacilityCircle, HouseholdAccess
from layers.facilities.walking.refresh import rebuild
from layers.facilities.walking.reports import compute_coverage_rows
from layers.grids.models import Community, District, Street
from layers.incidents.catalogue import seed_incident_categories, seed_stage_limits
from layers.incidents.models import Incident
from layers.jobs.districts import run_per_district
from layers.jobs.models import Job
from layers.jobs.tasks import run_job
from layers.patrols.filters import IncidentFilter
from layers.patrols.hotspots import hotspots
from tests.facilities.walk_fixtures import (
    HARBIN,
    add_facility,
    add_household,
    build_network,
    origin_at,
)
from tests.factories import box, category, make_grid

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
STREET = {"A": (-1000, 0), "B": (0, 0), "C": (1000, 0), "D": (0, 500)}
STREET_EDGES = [("A", "B"), ("B", "C"), ("B", "D")]
SIDE = 3  # each district split into 3 × 3 grids
# Two districts side by side across 106.5°E, the border of two Gauss–Krüger zones: 西区 in the
# 105°E zone (EPSG:4544), 东区 in the 108°E zone (EPSG:4545); one street runs through both.
BORDER, SOUTH, NORTH, WIDTH = 106.5, 30.50, 30.53, 0.03
WEST_PLACE, EAST_PLACE = (BORDER - WIDTH / 2, 30.515), (BORDER + WIDTH / 2, 30.515)
STREET = {"A": (-2500, 0), "B": (-1000, 0), "C": (0, 0), "D": (1000, 0), "E": (2500, 0), "F": (-1000, 600)}
STREET_EDGES = [("A", "B"), ("B", "C"), ("C", "D"), ("D", "E"), ("B", "F")]


def district_with_grids(west: float, code: str, name: str, *, south: float = SOUTH, grids: bool = True) -> District:
    """District → street → community (one box from ``west``, WIDTH° wide), tiled by SIDE × SIDE grids."""
    geom = box(west, south, west + WIDTH, south + WIDTH)
    district = District.objects.create(code=code, name=name, geom=geom)
    street = Street.objects.create(district=district, code=f"{code}001", name="测试街道", geom=geom)
    community = Community.objects.create(street=street, code=f"{code}001001", name="测试社区", geom=geom)
    step = WIDTH / SIDE
    for row in range(SIDE):
        for col in range(SIDE) if grids else ():
            x, y = west + col * step, south + row * step
            make_grid(community, box(x, y, x + step, y + step), name=f"格{col}-{row}")
    return district


def incidents(west: float, per_cell: dict[tuple[int, int], int]) -> None:
    """Incidents reported yesterday, ``per_cell[(col, row)]`` of them in that grid."""
    step = WIDTH / SIDE
    when = timezone.now() - dt.timedelta(days=1)
    rows = []
    for (col, row), n in per_cell.items():
        for k in range(n):
            x = west + (col + 0.2 + 0.6 * (k % 5) / 5) * step
            y = SOUTH + (row + 0.2 + 0.6 * (k // 5 % 5) / 5) * step
            rows.append(Incident(category=category("security_risk"), description="测试事件",
                                 geom=f"SRID=4326;POINT({x} {y})", reported_at=when, status="reported"))
    Incident.objects.bulk_create(rows)


@pytest.fixture
def world(settings):
    """西区 (510198, EPSG:4544) and 东区 (510199, EPSG:4545) side by side on one street, a
    kindergarten in the west and a primary school in the east, 9 households each, incidents;
    道里区 (230102) in Harbin without grids."""
    settings.GRIDMAP_ACCESS_REFRESH = "queue"  # nothing computed until the batch runs
    seed_facility_types(apps)
    seed_incident_categories(apps)
    seed_stage_limits(apps)
    district_with_grids(BORDER - WIDTH, "510198", "西区")
    district_with_grids(BORDER, "510199", "东区")
    with origin_at(BORDER, 30.515):
        build_network(STREET, STREET_EDGES)
        add_facility(-1200, -10, name="西区幼儿园")
        add_facility(900, 40, code="primary_school", name="东区小学")
        for x in range(-2400, 2401, 300):
            if abs(x) > 100:  # 8 households west of the border, 8 east
                add_household(x, 20, tags=["elderly_alone"] if x < 0 else [])
    for west in (BORDER - WIDTH, BORDER):
        incidents(west, {(1, 1): 12, (2, 1): 9, (1, 2): 8, (0, 0): 1})
    district_with_grids(HARBIN[0] - WIDTH / 2, "230102", "道里区", south=HARBIN[1], grids=False)
    assert list(District.objects.order_by("code").values_list("metric_srid", flat=True)) == [4551, 4544, 4545]


def access_rows() -> list[tuple]:
    return sorted(HouseholdAccess.objects.values_list(
        "household_id", "facility_type_id", "facility_id", "distance_m", "minutes", "snap_distance_m", "method"))


def circle_rows() -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute("SELECT facility_id, minutes, ST_AsEWKB(geom), method, reach_m, snap_distance_m, snapped_edge_id,"
                    " area_m2, reached_nodes FROM facilities_facilitycircle ORDER BY facility_id, minutes")
        return [(*r[:2], bytes(r[2]), *r[3:]) for r in cur.fetchall()]


def test_the_batch_writes_what_the_single_process_functions_write_and_reports_a_failed_district(world):
    # 2 worker processes of a LocalCluster (spawned; the processes Dask starts by default).
    outcomes = run_per_district(["walking", "coverage", "hotspots"], workers=2, scheduler="", retries=1)
    by = {(o.code, o.step): o for o in outcomes}
    assert [(o.code, o.step) for o in outcomes] == [(c, s) for c in ("230102", "510198", "510199")
                                                    for s in ("walking", "coverage", "hotspots")]
    # Harbin has no grids: its hot spots are refused, retried once, then reported with the reason…
    failed = by[("230102", "hotspots")]
    assert not failed.ok and failed.attempts == 2 and "没有网格" in failed.error
    assert [o for o in outcomes if not o.ok] == [failed]
    # …while every other district and step ran once, each in a worker of the cluster.
    assert all(o.attempts == 1 and o.summary["worker"].startswith("tcp://") for o in outcomes if o.ok)
    assert by[("510198", "walking")].summary["households"] == 8
    batch_access, batch_circles = access_rows(), circle_rows()
    assert len(batch_access) == 16 * len(apps.get_model("facilities", "FacilityType").objects.all())
    assert {r[6] for r in batch_access} == {"network"} and len(batch_circles) == 2 * 3
    # The west's households walk to the school across the border (in the east's district).
    school = HouseholdAccess.objects.filter(facility_type__code="primary_school",
                                            household__grid__community__street__district__code="510198")
    assert school.count() == 8 and {a.facility.name for a in school} == {"东区小学"}

    # The same rows as one process computing everything.
    HouseholdAccess.objects.all().delete()
    FacilityCircle.objects.all().delete()
    rebuild()
    assert access_rows() == batch_access
    assert circle_rows() == batch_circles

    for code in ("510198", "510199"):
        expected = {r.type_code: [r.households, r.covered_households, r.fragment_households]
                    for r in compute_coverage_rows(district=code) if r.total == "all"}
        assert by[(code, "coverage")].summary["types"] == expected
        assert expected["kindergarten"][0] == 8
        result = hotspots(IncidentFilter.last_days(30, district=code))
        summary = by[(code, "hotspots")].summary
        assert summary["incidents"] == result.n_incidents == 30 and summary["cells"] == 9
        assert summary["classes"] == {str(k): v for k, v in result.class_counts().items()}
        assert summary["hot_cells"] == sorted(result.cells.loc[result.cells["gi_class"] > 0, "cell_id"])


@pytest.fixture(scope="module")
def remote_cluster(tmp_path_factory):
    """A Dask scheduler and one worker started as separate programs (`dask scheduler`,
    `dask worker`), as on other machines: the worker runs in the project folder."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "gridmap.settings"}
    processes = [subprocess.Popen([*dask, "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 30
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(scheduler_file),
             "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--name", "remote-1"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=30)
            worker = next(iter(client.scheduler_info()["workers"]))
        yield address, worker
    finally:
        for p in reversed(processes):  # only the processes started here
            p.terminate()
            p.wait(timeout=30)


def test_the_scheduler_setting_sends_the_work_to_that_cluster(world, settings, remote_cluster):
    address, worker = remote_cluster
    settings.GRIDMAP_DASK_SCHEDULER = address
    outcomes = run_per_district(["walking", "hotspots"], ["510198", "510199"])
    assert [o.ok for o in outcomes] == [True] * 4
    assert {o.summary["worker"] for o in outcomes} == {worker}  # not a LocalCluster of this process
    assert HouseholdAccess.objects.filter(household__grid__community__street__district__code="510199").count() == 8 * 15


def test_the_queue_job_counts_districts_and_names_the_failed_one_in_chinese(world, settings, remote_cluster):
    settings.GRIDMAP_DASK_SCHEDULER = remote_cluster[0]
    job = Job.objects.create(kind="jobs.batch_districts", params={"steps": ["hotspots"], "codes": None})
    run_job(job.pk)
    job.refresh_from_db()
    assert job.state == "done" and job.progress == 100
    assert job.message.startswith("3 / 3 个区；失败：道里区（巡防热点：研究区内没有网格")
    assert job.result["failed"] == ["230102"] and "西区" not in job.message and "东区" not in job.message


def test_the_command_reports_each_district(world, settings, remote_cluster, capsys):
    settings.GRIDMAP_DASK_SCHEDULER = remote_cluster[0]
    call_command("batch_districts", "walking", "coverage", "--district", "510198")
    out = capsys.readouterr().out
    assert "✓ 西区 (510198) 步行时间与服务圈" in out and "✓ 西区 (510198) 覆盖统计" in out
    assert "完成 2 / 2 项，1 个区" in out and "东区" not in out
    with pytest.raises(Exception, match="区划代码不存在：999999"):
        call_command("batch_districts", "walking", "--district", "999999")
