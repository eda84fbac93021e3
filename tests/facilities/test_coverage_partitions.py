"""A district's coverage reads only the partitions holding its grids' households
(gridmap_household_coverage_in, layers/facilities/sql/0004_coverage_by_district.sql): one
district's figures cost that district's rows, not the province's, and a border household kept in
the neighbouring district's partition is still counted with its grid."""

from __future__ import annotations

import pytest
from django.db import connection

from layers.facilities.models import Facility, FacilityType
from layers.facilities.walking import reports
from layers.facilities.walking.households import refresh_access
from layers.grids.models import District
from tests.factories import box, make_household, point, two_grids

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two households of 510104's west grid, one of them kept in 510105's partition (a border
    household: the district check allows either district covering its point), and one household
    in each of 510105 and 510106, in no grid. One type with a facility next to the west grid,
    one type without any facility."""
    _, west, _ = two_grids()
    District.objects.create(code="510105", name="青羊区", geom=box(104.2, 30.6, 104.4, 30.7))
    District.objects.create(code="510106", name="金牛区", geom=box(104.0, 30.7, 104.2, 30.8))
    make_household(point(104.065, 30.655), address="锦江路1号", residents=3)
    border = make_household(point(104.066, 30.656), address="锦江路2号", residents=4)
    make_household(point(104.30, 30.65), address="青羊路1号")
    make_household(point(104.10, 30.75), address="金牛路1号")
    kinds = list(FacilityType.objects.order_by("id")[:2])
    Facility.objects.create(type=kinds[0], name="卫生站", geom=point(104.066, 30.655))
    refresh_access([k.pk for k in kinds])
    with connection.cursor() as cur:
        # The state the check allows on a shared border, made by moving the row: the check is
        # off for that statement only, inside the test's transaction. The walking times follow
        # it (ON UPDATE CASCADE on the composite key).
        cur.execute("ALTER TABLE people_household DISABLE TRIGGER household_z_district_check_updated")
        cur.execute("UPDATE people_household SET district_code = '510105' WHERE id = %s", [border.pk])
        cur.execute("ALTER TABLE people_household ENABLE TRIGGER household_z_district_check_updated")
        cur.execute("SELECT h.tableoid::regclass::text, h.grid_id, a.tableoid::regclass::text"
                    " FROM people_household h JOIN facilities_householdaccess a ON a.household_id = h.id"
                    " WHERE h.id = %s AND a.facility_type_id = %s", [border.pk, kinds[0].pk])
        assert cur.fetchone() == ("people_household_p510105", west.pk, "facilities_householdaccess_p510105")
    return kinds


def _total(rows: list[reports.CoverageRow], type_code: str) -> reports.CoverageRow:
    return next(r for r in rows if r.type_code == type_code and r.total == "all")


def test_a_districts_coverage_counts_its_grids_households_wherever_they_are_kept(world):
    served, unserved = world
    rows = reports.compute_coverage_rows(district="510104")
    total = _total(rows, served.code)
    assert (total.households, total.covered_households, total.residents, total.covered_residents) == (2, 2, 7, 7)
    assert (_total(rows, unserved.code).households, _total(rows, unserved.code).covered_households) == (2, 0)
    units = [r for r in rows if r.type_code == served.code and not r.total]
    assert [(r.code, r.households) for r in units] == [("510104001001", 2)]
    # Both households of the west grid, in the grid's district, not in the one it is kept in.
    assert [r.households for r in reports.completeness_rows(district="510104")] == [2]
    assert reports.compute_coverage_rows(district="510105") == []
    assert sum(a.households for a in reports.gap_areas(unserved.code, district="510104")) == 2
    # Every district: the four households, the two outside every grid as 未关联网格.
    everyone = reports.compute_coverage_rows()
    assert _total(everyone, served.code).households == 4


def test_a_districts_coverage_reads_only_the_partitions_holding_its_households(world):
    served, _ = world
    queries = []

    def capture(execute, sql, params, many, context):
        text = sql if isinstance(sql, str) else sql.as_string(connection.connection)
        if "gridmap_household_coverage_in" in text:
            queries.append(context["cursor"].mogrify(text, params).decode())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        reports.compute_coverage_rows(district="510104")
        reports.completeness_rows(district="510104")
        reports.gap_areas(served.code, district="510104")
        reports.fragment_areas(served.code, district="510104")
    assert len(queries) == 4
    for query in queries:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN " + query)
            plan = "\n".join(r[0] for r in cur.fetchall())
        for table in ("people_household", "facilities_householdaccess"):
            # 510104's and 510105's partitions (the border household is kept there); neither
            # 510106's nor the default one.
            assert f"{table}_p510104" in plan and f"{table}_p510105" in plan, plan
            assert f"{table}_p510106" not in plan and f"{table}_pdefault" not in plan, plan
