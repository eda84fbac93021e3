"""A statement that names a partition directly (INSERT INTO people_household_p510104 …) is held to
the same set-based rules as one on the parent: each partition carries its parent's statement
triggers (layers/grids/sql/0006_partition_statement_triggers.sql)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from layers.grids.models import District
from layers.people.models import PriorityMembership
from tests.factories import box, two_grids

pytestmark = pytest.mark.django_db

# (A partition has no identity of its own: a direct writer draws the id from the parent's sequence.)
INSERT = ("INSERT INTO {table} (id, geom, address, residents, head_name, id_number, phone, tags, synthetic, external_id,"
          " district_code) VALUES (nextval(pg_get_serial_sequence('people_household', 'id')), ST_SetSRID(ST_MakePoint(%s, %s), 4326), '直写路', 1, '赵六', '', '',"
          " %s::varchar(10)[], false, '', '510104') RETURNING id")


def _insert(table: str, lon: float, lat: float, tags: list[str]) -> int:
    with connection.cursor() as cur:
        cur.execute(INSERT.format(table=table), [lon, lat, tags])
        return cur.fetchone()[0]


def test_a_row_written_into_its_partition_directly_enters_the_ledger_once():
    two_grids()
    direct = _insert("people_household_p510104", 104.065, 30.655, ["独居老人"])
    via_parent = _insert("people_household", 104.065, 30.655, ["独居老人"])
    for pk in (direct, via_parent):
        # Once each: the parent's statement trigger does not fire the partition's copy.
        assert list(PriorityMembership.objects.filter(household_id=pk).values_list("group", flat=True)) == ["独居老人"]


def test_a_point_of_another_district_is_refused_by_the_partition_too():
    two_grids()
    District.objects.create(code="510105", name="青羊区", geom=box(104.2, 30.6, 104.4, 30.7))
    # The partition's own bound holds district_code = '510104'; the point lies in 510105.
    with pytest.raises(IntegrityError) as e, transaction.atomic():
        _insert("people_household_p510104", 104.30, 30.65, [])
    assert "区划代码 510104 与位置不符，该点属于 510105" in str(e.value)


def test_a_new_district_s_partitions_get_the_statement_triggers():
    two_grids()
    District.objects.create(code="510105", name="青羊区", geom=box(104.2, 30.6, 104.4, 30.7))
    with connection.cursor() as cur:
        cur.execute("SELECT t.tgname FROM pg_trigger t WHERE t.tgrelid = 'people_household'::regclass"
                    " AND NOT t.tgisinternal AND (t.tgtype & 1) = 0 ORDER BY 1")
        parent = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT t.tgname FROM pg_trigger t WHERE t.tgrelid = 'people_household_p510105'::regclass"
                    " AND NOT t.tgisinternal AND (t.tgtype & 1) = 0 ORDER BY 1")
        assert [r[0] for r in cur.fetchall()] == parent
    assert "household_record_memberships_inserted" in parent and "household_z_district_check_inserted" in parent
