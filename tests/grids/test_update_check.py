"""The district check on UPDATE of households runs once per statement over the rows whose
position, grid or district it changed (layers/grids/sql/0007_update_check_per_statement.sql):
every way of moving a household out of its district is still refused with the same message,
and a re-link of many rows is checked by one join instead of row by row."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from layers.grids.models import District
from layers.people.models import Household
from tests.factories import box, make_household, point, two_grids

pytestmark = pytest.mark.django_db

IN_510105 = "ST_SetSRID(ST_MakePoint(104.30, 30.65), 4326)"
REFUSED_INTO_510105 = "people_household: 区划代码 510104 与位置不符，该点属于 510105"


@pytest.fixture
def world():
    _, west, east = two_grids()
    District.objects.create(code="510105", name="青羊区", geom=box(104.2, 30.6, 104.4, 30.7))
    homes = [make_household(point(104.065, 30.655), address=f"锦江路{i}号") for i in range(3)]
    return west, east, homes


def _rows() -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute("SELECT id, district_code, grid_id, ST_AsText(geom) FROM people_household ORDER BY id")
        return cur.fetchall()


@pytest.mark.parametrize("table", ["people_household", "people_household_p510104"])
def test_one_household_of_a_statement_moved_out_of_its_district_refuses_the_whole_statement(world, table):
    """The parent's statement and one naming the district's partition directly (its copy of the
    trigger) are both refused, and nothing of either is written."""
    _, _, homes = world
    before = _rows()
    with pytest.raises(IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET geom = CASE WHEN id = %s THEN {IN_510105} ELSE geom END,"
                    " residents = residents + 1", [homes[1].pk])
    assert REFUSED_INTO_510105 in str(e.value)
    assert _rows() == before


def test_the_orm_moving_households_without_their_district_is_refused(world):
    _, _, homes = world
    with pytest.raises(IntegrityError) as e, transaction.atomic():
        Household.objects.filter(pk__in=[h.pk for h in homes]).update(geom=point(104.30, 30.65))
    assert REFUSED_INTO_510105 in str(e.value)


def test_a_district_code_that_is_not_the_points_is_refused(world):
    _, _, homes = world
    with pytest.raises(IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE people_household SET district_code = '510105' WHERE id = %s", [homes[0].pk])
    assert "people_household: 区划代码 510105 与位置不符，该点属于 510104" in str(e.value)


def test_a_household_on_the_district_border_may_move_to_either_district(world):
    """A point both districts cover (the meridian 104.2), outside every grid: kept in 510104
    (the smaller code) or moved to 510105, as the rule allows; a third district is refused."""
    _, _, homes = world
    border = "ST_SetSRID(ST_MakePoint(104.2, 30.65), 4326)"
    with connection.cursor() as cur:
        cur.execute(f"UPDATE people_household SET geom = {border} WHERE id = %s", [homes[0].pk])
        cur.execute("UPDATE people_household SET district_code = '510105' WHERE id = %s", [homes[0].pk])
        cur.execute("SELECT tableoid::regclass::text, grid_id FROM people_household WHERE id = %s", [homes[0].pk])
        assert cur.fetchone() == ("people_household_p510105", None)
    District.objects.create(code="510106", name="金牛区", geom=box(104.0, 30.7, 104.4, 30.8))
    with pytest.raises(IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE people_household SET district_code = '510106' WHERE id = %s", [homes[0].pk])
    assert "区划代码 510106 与位置不符，该点属于 510104" in str(e.value)


def test_a_re_link_of_many_households_is_checked_once_per_statement(world):
    """The plan of an UPDATE writing grid ids: the district check is the statement trigger,
    called once, and no district check runs per row."""
    west, east, homes = world
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT set_config('gridmap.set_based_linking', 'on', true)")
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF) UPDATE people_household SET grid_id = %s", [east.pk])
        plan = "\n".join(r[0] for r in cur.fetchall())
        transaction.set_rollback(True)
    triggers = [line for line in plan.splitlines() if line.startswith("Trigger ")]
    assert any(t.startswith("Trigger household_z_district_check_updated on people_household:") and t.endswith("calls=1")
               for t in triggers), plan
    assert not [t for t in triggers if "district" in t and not t.endswith("calls=1")], plan
    assert Household.objects.filter(grid=west).count() == len(homes)
