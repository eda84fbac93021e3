"""The priority-group ledger and the district check on multi-row statements (issue #15): the
statement triggers of people/sql/0007 and grids/sql/0005 record exactly what the row trigger
recorded, on every write path that inserts or changes many households at once."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import psycopg2
import pytest
from django.db import IntegrityError, connection, transaction

from layers.people.models import Household, PriorityMembership
from tests.factories import make_household, point, two_grids
from tests.summaries.conftest import ledger_day

pytestmark = pytest.mark.django_db

COLUMNS = "geom, address, residents, head_name, id_number, phone, tags, synthetic, external_id, district_code"
ROW_TRIGGER = ("CREATE TRIGGER household_record_memberships AFTER INSERT OR UPDATE OF tags ON people_household "
               "FOR EACH ROW EXECUTE FUNCTION gridmap_record_memberships()")
"""The ledger trigger as layers/people/sql/0005_priority_membership.sql made it: one call per row."""


def _values(prefix: str, n: int, x0: float = 104.061) -> str:
    tags = ["{低保}", "{残疾,低保,残疾}", "{}", "{高龄,独居老人}"]
    return ", ".join(f"(ST_SetSRID(ST_MakePoint({x0 + i * 0.0005}, 30.655), 4326), '多行路{i}号', 1, '王五', '', '', "
                     f"'{tags[i % len(tags)]}', false, '{prefix}{i}', '510104')" for i in range(n))


def _writes(prefix: str) -> None:
    """Every multi-row write path to households' tags, on three ledger days."""
    with ledger_day(dt.date(2026, 3, 1)):
        Household.objects.bulk_create([
            Household(geom=point(104.062 + i * 0.001, 30.652), address=f"批量路{i}号", head_name="李四", residents=2,
                      tags=[["流动人口"], ["低保", "低保"], []][i % 3], external_id=f"{prefix}b{i}", district_code="510104")
            for i in range(6)])
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO people_household ({COLUMNS}) VALUES {_values(prefix + 'v', 8)}")
            cur.execute(f"INSERT INTO people_household ({COLUMNS}) SELECT ST_Translate(geom, 0, 0.002), address, residents,"
                        f" head_name, id_number, phone, tags || '{{特困}}'::varchar[], synthetic, %s || external_id,"
                        " district_code FROM people_household WHERE external_id LIKE %s", [prefix + "s", prefix + "v%"])
            rows = "\n".join(f"SRID=4326;POINT({104.075 + i * 0.001} 30.66)\t复制路{i}号\t1\t赵六\t\t\t"
                             f"{{慢性病,有幼儿}}\tf\t{prefix}c{i}\t510104" for i in range(5))
            cur.copy_expert(f"COPY people_household ({COLUMNS}) FROM STDIN", StringIO(rows + "\n"))
    with ledger_day(dt.date(2026, 5, 6)), connection.cursor() as cur:
        cur.execute("UPDATE people_household SET tags = array_remove(tags, '低保') || '{高龄}'::varchar[]"
                    " WHERE external_id LIKE %s", [prefix + "%"])
        cur.execute(f"INSERT INTO people_household ({COLUMNS}) VALUES {_values(prefix + 'v', 3)}, {_values(prefix + 'w', 2)}"
                    " ON CONFLICT (external_id, district_code) WHERE external_id <> '' DO UPDATE SET tags = EXCLUDED.tags")
        # A household deleted and written again under its id: its history went with it, the
        # new row's tags open memberships anew.
        cur.execute("SELECT id FROM people_household WHERE external_id = %s", [prefix + "c0"])
        pk = cur.fetchone()[0]
        cur.execute("DELETE FROM people_household WHERE id = %s", [pk])
        cur.execute(f"INSERT INTO people_household (id, {COLUMNS}) VALUES (%s, ST_SetSRID(ST_MakePoint(104.075, 30.66), 4326),"
                    " '复制路0号', 1, '赵六', '', '', '{慢性病}', false, %s, '510104')", [pk, prefix + "c0"])
    with ledger_day(dt.date(2026, 7, 1)):
        Household.objects.filter(external_id__startswith=prefix + "b").update(tags=["特困"])
        Household.objects.filter(external_id__startswith=prefix + "s").delete()


def _ledger(prefix: str) -> list[tuple]:
    return sorted((m.household.external_id.removeprefix(prefix), m.group, m.entered_on, m.left_on)
                  for m in PriorityMembership.objects.select_related("household")
                  .filter(household__external_id__startswith=prefix))


def test_multi_row_statements_record_what_the_row_trigger_recorded():
    two_grids()
    with connection.cursor() as cur:  # the ledger as the row trigger kept it (rolled back with the test)
        cur.execute("DROP TRIGGER household_record_memberships_inserted ON people_household;"
                    "DROP TRIGGER household_record_memberships ON people_household;" + ROW_TRIGGER)
    _writes("r")
    by_row = _ledger("r")
    sql = (Path(__file__).resolve().parents[2] / "layers/people/sql/0007_membership_statement.sql").read_text()
    with connection.cursor() as cur:  # back to the migrated triggers
        cur.execute("DROP TRIGGER household_record_memberships ON people_household")
        cur.execute(sql[sql.index("CREATE TRIGGER household_record_memberships\n"):])
    _writes("n")
    by_statement = _ledger("n")
    assert by_statement == by_row
    assert len(by_row) > 40  # every path above wrote entries
    assert ("b1", "低保", dt.date(2026, 3, 1), dt.date(2026, 5, 6)) in by_row  # a repeated tag counts once
    assert ("v1", "残疾", dt.date(2026, 3, 1), dt.date(2026, 7, 1)) not in by_row
    assert ("w0", "低保", dt.date(2026, 5, 6), None) in by_row  # ON CONFLICT: inserted
    assert ("v0", "低保", dt.date(2026, 5, 6), None) in by_row  # ON CONFLICT: updated back into 低保
    assert [r for r in by_row if r[0] == "c0"] == [("c0", "慢性病", dt.date(2026, 5, 6), None)]  # re-inserted under its id


def test_a_multi_row_insert_with_one_wrong_district_code_is_refused_whole():
    two_grids()
    wrong = _values("x", 1).replace("'510104')", "'510105')")
    with pytest.raises(IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"INSERT INTO people_household ({COLUMNS}) VALUES {_values('ok', 50)}, {wrong}")
    assert "people_household: 区划代码 510105 与位置不符，该点属于 510104" in str(e.value)
    rows = "SRID=4326;POINT(104.065 30.655)\t复制路\t1\t赵六\t\t\t{}\tf\tcp\t000000\n"
    with pytest.raises(psycopg2.IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.copy_expert(f"COPY people_household ({COLUMNS}) FROM STDIN", StringIO(rows))
    assert "区划代码 000000 与位置不符，该点属于 510104" in str(e.value)
    assert not Household.objects.exists()
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO people_household ({COLUMNS}) VALUES {_values('ok', 50)}")
    assert Household.objects.filter(district_code="510104").count() == 50


def test_the_ledger_rows_carry_their_household_district():
    two_grids()
    h = make_household(point(104.065, 30.655), tags=["低保"])
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO people_household ({COLUMNS}) VALUES {_values('d', 4)}")
        cur.execute("SELECT DISTINCT m.district_code FROM people_prioritymembership m")
        assert cur.fetchall() == [("510104",)]
    assert PriorityMembership.objects.filter(household=h).count() == 1
