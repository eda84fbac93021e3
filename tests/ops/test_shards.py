"""Districts moved to other PostgreSQL servers (layers.ops.shards): three districts with
households, walking times, the ledger, visits and cases at every step; the city-wide leaders'
summary (every district, layers.summaries.services.table — the `summary` command's and
/api/summary/'s figures) computed on one server, then with two districts moved to two other
local clusters (postgres_fdw foreign partitions): the same answer. A query filtered on
district_code reads only that district's server.

Runs on the partition schema of issue #15 (layers/grids/sql/0003_district_partitions.sql).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import psycopg2
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from gridmap import pgcluster
from layers.facilities.models import FacilityType, HouseholdAccess
from layers.grids.models import Community, District, Grid, Street
from layers.ops import shards
from layers.people.models import Visit
from layers.summaries import services
from tests.factories import box, make_household, point
from tests.summaries.conftest import OCT, at, case, ledger_day

pytestmark = pytest.mark.django_db

CODES = ("510104", "510105", "510106")
STEPS = ["accepted", "dispatched", "handling", "feedback", "closed"]


@pytest.fixture(scope="module")
def shard_clusters():
    """Two more PostgreSQL clusters on Unix sockets in a temporary folder, stopped by PID and
    removed at the end: name → libpq DSN."""
    base = Path(tempfile.mkdtemp(prefix="gmsh"))
    port0 = 15400 + os.getpid() % 500 * 2
    dirs = {f"shard{i}": (base / f"s{i}", port0 + i) for i in (1, 2)}
    pids = {}
    try:
        for name, (folder, port) in dirs.items():
            pids[name] = pgcluster.start_extra(folder, port)
        yield {name: f"host={folder / 'run'} port={port} dbname={pgcluster.DATABASE} user={pgcluster.SUPERUSER}"
               for name, (folder, port) in dirs.items()}
    finally:
        for folder, _port in dirs.values():
            pgcluster.stop_extra(folder)
        for pid in pids.values():
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        shutil.rmtree(base, ignore_errors=True)


def _district(i: int, code: str, admin: User) -> None:
    """District ``code``: one street, one community of two grids, 12 households (every third
    alone and elderly, visited in October), walking times to every facility type, and five
    October cases of which two closed, one cancelled."""
    west, east = 104.0 + 0.1 * i, 104.09 + 0.1 * i
    district = District.objects.create(code=code, name=f"测试区{i}", geom=box(west, 30.6, east, 30.7))
    street = Street.objects.create(district=district, code=code + "001", name="街道", geom=box(west, 30.6, east, 30.7))
    community = Community.objects.create(street=street, code=code + "001001", name="社区",
                                         geom=box(west, 30.6, east, 30.7))
    middle = west + 0.045
    Grid(community=community, geom=box(west, 30.6, middle, 30.7), name="西").save()
    Grid(community=community, geom=box(middle, 30.6, east, 30.7), name="东").save()
    types = list(FacilityType.objects.all())
    with ledger_day(dt.date(2026, 10, 1)):
        homes = [make_household(point(west + 0.005 + 0.007 * k, 30.65), address=f"测试路{k + 1}号",
                                residents=1 + k % 4 + i, tags=["独居老人"] if k % 3 == 0 else [])
                 for k in range(12)]
    for k, home in enumerate(homes):
        if k % 3 == 0:
            Visit.objects.create(household=home, user=admin, visited_at=at(OCT, 3 + k, 10))
    HouseholdAccess.objects.bulk_create(
        HouseholdAccess(household=home, facility_type=t, distance_m=300.0 * (1 + (k + j) % 5),
                        minutes=4.0 * (1 + (k + j) % 5), snap_distance_m=5.0, method="network",
                        computed_at=timezone.now())
        for k, home in enumerate(homes) for j, t in enumerate(types))
    for k in range(5):
        steps = STEPS if k < 2 else (["cancelled"] if k == 2 else STEPS[:k - 1])
        case("dispute" if k % 2 else "fire_risk", point(west + 0.01 + 0.015 * k, 30.66), at(OCT, 2 + k), steps)


def _partitioned(cur, table: str) -> bool:
    cur.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", [table])
    return cur.fetchone()[0]


def _constraints(cur, table: str) -> set[str]:
    cur.execute("SELECT contype::text || ':' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
                [table])
    return {r[0] for r in cur.fetchall()}


def _city(period=OCT) -> list[tuple]:
    return [(r.unit.code, r.current, r.previous) for r in services.table(None, "district", period)]


def _plan(cur, sql: str, params: list) -> str:
    cur.execute("EXPLAIN (VERBOSE, COSTS OFF) " + sql, params)
    return "\n".join(r[0] for r in cur.fetchall())


@pytest.fixture
def province(db):
    from django.apps import apps

    from layers.facilities.catalogue import seed_facility_types
    from layers.incidents.catalogue import seed_incident_categories

    seed_facility_types(apps)
    seed_incident_categories(apps)
    admin = User.objects.create_user("shards_admin", is_superuser=True)
    for i, code in enumerate(CODES):
        _district(i, code, admin)
    return SimpleNamespace(admin=admin)


def test_city_summary_across_shard_servers_equals_one_server(province, shard_clusters):
    single = _city()
    assert [code for code, _c, _p in single] == list(CODES)
    for code, current, _previous in single:
        assert current["households"] == 12 and current["reported"] == 5 and current["closed"] == 2, code
        assert current["visits_done"] == 4 and current["group:独居老人"] == 4, code
        assert current["circle_reached"] > 0 and current["cancelled"] == 1, code
    with connection.cursor() as cur:
        assert _partitioned(cur, "people_household")
        visit_keys = _constraints(cur, "people_visit_p510104")
    assert any(k.startswith("f:FOREIGN KEY (household_id, district_code)") for k in visit_keys)

    call_command("add_shard_server", "shard1", dsn=shard_clusters["shard1"])
    with connection.cursor() as cur:
        shards.add_server(cur, "shard2", shard_clusters["shard2"])
    call_command("shard_district", "510104", server="shard1")
    move = shards.shard_district("510106", "shard2")
    assert move.rows["people_household"] == 12 and move.rows["facilities_householdaccess"] > 0
    assert move.rows["incidents_incidenttransition"] >= 5 and move.rows["people_visit"] == 4

    with connection.cursor() as cur:
        assert shards.sharded_districts(cur) == {"510104": "shard1", "510106": "shard2"}
        for table in shards.distributed_tables():
            assert shards.partition_of(cur, table, "510104")[1] == "f"
            assert shards.partition_of(cur, table, "510105")[1] == "r"
        # The keys the parents may no longer carry are on the district left here.
        assert any(k.startswith("p:PRIMARY KEY (id, district_code)") for k in _constraints(cur, "people_household_p510105"))
        assert any(k.startswith("f:FOREIGN KEY (household_id, district_code) REFERENCES people_household_p510105(")
                   for k in _constraints(cur, "people_visit_p510105"))
    # The rows are on the other servers, not here, with their keys and co-located foreign keys.
    remote = psycopg2.connect(shard_clusters["shard1"])
    try:
        with remote.cursor() as rc:
            rc.execute("SELECT count(*), sum(residents) FROM people_household_p510104")
            assert rc.fetchone() == (12, sum(1 + k % 4 for k in range(12)))
            rc.execute("SELECT count(*) FROM pg_class WHERE relname = 'people_household_p510106'")
            assert rc.fetchone()[0] == 0
            assert any(k.startswith("p:PRIMARY KEY (id, district_code)") for k in _constraints(rc, "people_household_p510104"))
            assert any(k.startswith("f:FOREIGN KEY (household_id, district_code) REFERENCES people_household_p510104(")
                       for k in _constraints(rc, "people_visit_p510104"))
    finally:
        remote.close()

    assert _city() == single

    with connection.cursor() as cur:
        plan = _plan(cur, "SELECT count(*), sum(residents) FROM people_household WHERE district_code = %s", ["510106"])
        assert "Foreign Scan" in plan and "people_household_p510106" in plan
        assert not any(f"people_household_p{c}" in plan for c in ("510104", "510105")) and "pdefault" not in plan
        plan = _plan(cur, "SELECT count(*) FROM incidents_incident WHERE district_code = %s", ["510105"])
        assert "Foreign Scan" not in plan and "incidents_incident_p510105" in plan
        cur.execute("SELECT district_code, count(*) FROM people_household GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [(c, 12) for c in CODES]
    # The district left on the coordinator is still written here, and counted with the others;
    # a moved district is written on its own server (the walking-time queue's transition
    # tables cannot take rows routed to a foreign partition): refused, not lost.
    make_household(point(104.105, 30.65), address="新增路1号", residents=2)
    with pytest.raises(DatabaseError, match="transition tuples from child foreign tables"), transaction.atomic():
        make_household(point(104.005, 30.65), address="新增路2号", residents=2)
    after = {code: current["households"] for code, current, _p in _city()}
    assert after == {"510104": 12, "510105": 13, "510106": 12}


def test_a_district_cannot_move_twice_or_to_an_unknown_server(province, shard_clusters):
    with connection.cursor() as cur:
        shards.add_server(cur, "shard1", shard_clusters["shard1"])
    shards.shard_district("510105", "shard1")
    with pytest.raises(shards.ShardError, match="已在分片服务器上"):
        shards.shard_district("510105", "shard1")
    # A district added after the keys moved to the partitions gets them as well.
    District.objects.create(code="510107", name="新区", geom=box(104.4, 30.6, 104.49, 30.7))
    with connection.cursor() as cur:
        done = shards.prepare_coordinator(cur)
        assert "people_household_p510107 ← people_household_p510104" in done.moved_down
        assert any(k.startswith("p:PRIMARY KEY (id, district_code)") for k in _constraints(cur, "people_household_p510107"))
        assert any(k.startswith("f:FOREIGN KEY (household_id, district_code) REFERENCES people_household_p510107(")
                   for k in _constraints(cur, "people_visit_p510107"))
        cur.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'incidents_incidenttransition_p510107'::regclass"
                    " AND tgname = 'incident_history_status_of_step'")
        assert cur.fetchone()[0] == 1
        assert shards.prepare_coordinator(cur).moved_down == []
    with pytest.raises(shards.ShardError, match="没有名为 'nowhere' 的分片服务器"):
        shards.shard_district("510104", "nowhere")
    with pytest.raises(shards.ShardError, match="没有该区的分区"):
        shards.shard_district("510199", "shard1")
    with pytest.raises(shards.ShardError, match="应为 6 位数字"):
        shards.shard_district("51010x", "shard1")
    with pytest.raises(CommandError, match="没有名为 'nowhere' 的分片服务器"):
        call_command("shard_district", "510104", server="nowhere")
    with pytest.raises(CommandError, match="应为小写字母"):
        call_command("add_shard_server", "Shard-1", dsn=shard_clusters["shard2"])
    with pytest.raises(CommandError, match="--dsn：需要 dbname 和 user"):
        call_command("add_shard_server", "shard3", dsn="host=/tmp port=5432")
    with pytest.raises(CommandError, match="--dsn：已登记 shard4，但连不上该服务器"):
        call_command("add_shard_server", "shard4", dsn="host=/nonexistent port=5999 dbname=x user=gridmap")
