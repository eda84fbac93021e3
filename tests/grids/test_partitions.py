"""Partitioned storage (issue #15): every district's households, visits, incidents, histories
and walking times live in that district's partition, on every write path."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from layers.facilities.models import FacilityType, HouseholdAccess
from layers.grids.models import District
from layers.grids.partitions import PARTITIONED_TABLES, partition_name, partitions_of
from layers.incidents import lifecycle
from layers.incidents.models import Incident
from layers.people.models import Household, Visit
from tests.factories import box, category, make_household, point, two_grids

pytestmark = pytest.mark.django_db

IN_510104 = point(104.065, 30.655)  # the west grid of tests.factories.two_grids
IN_510105 = point(104.30, 30.65)
NOWHERE = point(105.0, 31.0)


def _second_district() -> District:
    """青羊区 (test boundary) east of the factories' 锦江区, sharing the meridian 104.2."""
    return District.objects.create(code="510105", name="青羊区", geom=box(104.2, 30.6, 104.4, 30.7))


def _partition_of(table: str, pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cur.fetchone()[0]


def _visit(household: Household, user: User) -> Visit:
    return Visit.objects.create(household=household, user=user, visited_at=timezone.now(), note="走访")


def _explain(query: str, params: list) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + query, params)
        return "\n".join(r[0] for r in cur.fetchall())


def test_each_table_is_partitioned_with_a_partition_per_district():
    two_grids()
    _second_district()
    for table in PARTITIONED_TABLES:
        with connection.cursor() as cur:
            cur.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
            assert cur.fetchone()[0] == "p", table
        expected = {"000000": f"{table}_pdefault", "510104": f"{table}_p510104", "510105": f"{table}_p510105"}
        assert expected.items() <= partitions_of(table).items()


def test_households_from_the_orm_bulk_create_and_plain_sql_land_in_their_district_partition():
    two_grids()
    _second_district()
    west = make_household(IN_510104)
    east = make_household(IN_510105, address="青羊路1号")
    nowhere = make_household(NOWHERE, address="辖区外")
    assert (west.district_code, east.district_code, nowhere.district_code) == ("510104", "510105", "000000")
    assert _partition_of("people_household", west.pk) == "people_household_p510104"
    assert _partition_of("people_household", east.pk) == "people_household_p510105"
    assert _partition_of("people_household", nowhere.pk) == "people_household_pdefault"
    bulk = Household.objects.bulk_create([Household(geom=IN_510105, address="批量", head_name="王五")])[0]
    assert bulk.district_code == "510105" and _partition_of("people_household", bulk.pk) == "people_household_p510105"
    with connection.cursor() as cur:
        cur.execute("INSERT INTO people_household (geom, address, residents, head_name, id_number, phone, tags,"
                    " synthetic, external_id, district_code) VALUES (ST_SetSRID(ST_MakePoint(104.3, 30.66), 4326),"
                    " 'SQL路', 1, '赵六', '', '', '{}', false, '', '510105') RETURNING id")
        pk = cur.fetchone()[0]
    assert _partition_of("people_household", pk) == "people_household_p510105"


def test_a_wrong_district_code_from_plain_sql_is_refused_with_a_clear_message():
    two_grids()
    _second_district()
    with pytest.raises(IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO people_household (geom, address, residents, head_name, id_number, phone, tags,"
                    " synthetic, external_id, district_code) VALUES (ST_SetSRID(ST_MakePoint(104.065, 30.655), 4326),"
                    " '错区路', 1, '赵六', '', '', '{}', false, '', '510105')")
    assert "区划代码 510105 与位置不符，该点属于 510104" in str(e.value)
    with pytest.raises(IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO incidents_incident (geom, category_id, description, address, reported_at, status,"
                    " reporter_name, satisfaction, external_id, synthetic, district_code)"
                    " VALUES (ST_SetSRID(ST_MakePoint(104.3, 30.65), 4326), %s, '无区', '', now(), 'reported', '',"
                    " '', '', false, '000000')", [category().pk])
    assert "incidents_incident: 区划代码 000000 与位置不符，该点属于 510105" in str(e.value)


def test_imported_households_land_in_their_district_partition(tmp_path):
    two_grids()
    _second_district()
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("编号,地址,户主姓名,人口数,经度,纬度\nA1,锦江路1号,张三,2,104.065,30.655\n"
                      "B1,青羊路1号,李四,3,104.3,30.65\n", encoding="utf-8")
    call_command("import_households", str(ledger), "--crs", "wgs84", "--no-progress", stdout=StringIO(),
                 stderr=StringIO())
    a, b = Household.objects.get(external_id="A1"), Household.objects.get(external_id="B1")
    assert (a.district_code, b.district_code) == ("510104", "510105")
    assert _partition_of("people_household", a.pk) == "people_household_p510104"
    assert _partition_of("people_household", b.pk) == "people_household_p510105"


def test_a_district_filtered_query_scans_only_its_partition():
    two_grids()
    _second_district()
    for table in ("people_household", "incidents_incident"):
        plan = _explain(f"SELECT count(*) FROM {table} WHERE district_code = %s", ["510105"])
        assert partition_name(table, "510105") in plan, plan
        assert partition_name(table, "510104") not in plan and f"{table}_pdefault" not in plan, plan
    plan = str(Household.objects.filter(district_code="510104", grid__isnull=False).explain())
    assert "people_household_p510104" in plan and "people_household_p510105" not in plan


def test_a_new_district_gets_its_partitions_and_the_rows_it_covers():
    two_grids()
    user = User.objects.create(username="worker")
    early = make_household(IN_510105, address="先于区划")  # no district there yet
    visit = _visit(early, user)
    assert early.district_code == "000000" and visit.district_code == "000000"
    _second_district()
    assert all("510105" in partitions_of(t) for t in PARTITIONED_TABLES)
    early.refresh_from_db()
    assert early.district_code == "510105" and _partition_of("people_household", early.pk) == "people_household_p510105"
    assert _partition_of("people_visit", visit.pk) == "people_visit_p510105"


def test_moving_a_household_across_districts_moves_it_and_its_visits():
    two_grids()
    _second_district()
    user = User.objects.create(username="worker")
    h = make_household(IN_510104)
    visit = _visit(h, user)
    h.geom = IN_510105
    h.save()
    assert h.district_code == "510105" and h.grid is None
    assert _partition_of("people_household", h.pk) == "people_household_p510105"
    visit.refresh_from_db()
    assert visit.district_code == "510105" and _partition_of("people_visit", visit.pk) == "people_visit_p510105"
    assert list(h.visits.all()) == [visit]


def test_an_incident_history_follows_its_incident_into_the_partition():
    two_grids()
    _second_district()
    incident = Incident.objects.create(category=category(), description="占道经营", geom=IN_510105,
                                       reported_at=timezone.now())
    step = lifecycle.start_history(incident)
    assert incident.district_code == step.district_code == "510105"
    assert _partition_of("incidents_incidenttransition", step.pk) == "incidents_incidenttransition_p510105"


def test_deleting_a_household_still_removes_its_visits_and_walking_times():
    two_grids()
    user = User.objects.create(username="worker")
    h = make_household(IN_510104)
    _visit(h, user)
    kind = FacilityType.objects.first()
    HouseholdAccess.objects.create(household=h, facility_type=kind, minutes=5, distance_m=300, method="network",
                                   computed_at=timezone.now())
    h.delete()
    assert not Visit.objects.exists() and not HouseholdAccess.objects.exists()


def test_a_district_is_detached_on_its_own():
    two_grids()
    _second_district()
    user = User.objects.create(username="worker")
    keep, gone = make_household(IN_510104), make_household(IN_510105, address="青羊路")
    _visit(keep, user), _visit(gone, user)
    out = StringIO()
    call_command("district_partitions", "--detach", "510105", stdout=out)
    assert "已分离 (detached): people_household_p510105" in out.getvalue()
    assert "510105" not in partitions_of("people_household") and "510105" not in partitions_of("people_visit")
    assert list(Household.objects.all()) == [keep] and Visit.objects.get().household == keep
    with connection.cursor() as cur:  # the detached tables keep the district's rows (to export or drop)
        cur.execute("SELECT id FROM people_household_p510105")
        assert cur.fetchall() == [(gone.pk,)]
        cur.execute("SELECT count(*) FROM people_visit_p510105")
        assert cur.fetchone()[0] == 1


def test_converting_back_and_forth_keeps_rows_ids_names_and_the_sequence():
    """The migration's function on a database with rows (an installation), both ways."""
    two_grids()
    user = User.objects.create(username="worker")
    h = make_household(IN_510104)
    v = _visit(h, user)
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (a migration runs with no check pending)
        cur.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'people_household'::regclass "
                    "ORDER BY 1")
        indexes = cur.fetchall()
        cur.execute("SELECT gridmap_partition_by_district(t, false) FROM gridmap_partitioned_tables() t")
        cur.execute("SELECT relkind FROM pg_class WHERE oid = 'people_household'::regclass")
        assert cur.fetchone()[0] == "r"
        cur.execute("SELECT gridmap_partition_by_district(t) FROM gridmap_partitioned_tables() t")
        cur.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'people_household'::regclass "
                    "ORDER BY 1")
        assert cur.fetchall() == indexes
    assert _partition_of("people_household", h.pk) == "people_household_p510104"
    assert Visit.objects.get().pk == v.pk
    assert make_household(IN_510104, address="之后").pk > h.pk  # the identity sequence kept its place
