"""A district's walking times are written reading only that district's households
(layers.facilities.walking.households._write names their districts): a province's rebuild,
one batch per district, then grows with the province, not with its square."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from layers.facilities.models import Facility, FacilityType, HouseholdAccess
from layers.facilities.walking.households import refresh_access
from layers.grids.models import District
from tests.factories import box, make_household, point, two_grids

pytestmark = pytest.mark.django_db

WRITE = "INSERT INTO facilities_householdaccess"


def _world():
    two_grids()
    District.objects.create(code="510105", name="青羊区", geom=box(104.2, 30.6, 104.4, 30.7))
    west = make_household(point(104.065, 30.655))
    east = make_household(point(104.30, 30.65), address="青羊路1号")
    kind = FacilityType.objects.order_by("id").first()
    Facility.objects.create(type=kind, name="卫生站", geom=point(104.066, 30.655))
    return west, east, kind


@pytest.mark.parametrize("scope", ["district", "households"])
def test_a_districts_walking_times_read_only_its_households_partition(scope):
    west, east, kind = _world()
    writes = []

    def capture(execute, sql, params, many, context):
        text = sql if isinstance(sql, str) else sql.as_string(connection.connection)
        if WRITE in text:
            writes.append(context["cursor"].mogrify(text, params).decode())
        return execute(sql, params, many, context)

    with transaction.atomic():
        with connection.execute_wrapper(capture):
            if scope == "district":
                refresh_access([kind.pk], district="510104")
            else:
                refresh_access([kind.pk], [west.pk])
        assert len(writes) == 1
        with connection.cursor() as cur:  # the batch's table is still there: the same plan
            cur.execute("EXPLAIN " + writes[0])
            plan = "\n".join(r[0] for r in cur.fetchall())
    assert "people_household_p510104" in plan and "people_household_p510105" not in plan, plan
    assert "people_household_pdefault" not in plan, plan
    rows = HouseholdAccess.objects.filter(facility_type=kind)
    assert list(rows.values_list("household_id", "district_code")) == [(west.pk, "510104")]
    assert rows.get().distance_m == pytest.approx(96.0, abs=2.0)  # 0.001° of longitude at 30.655° N
    refresh_access([kind.pk])  # every district: both households
    assert sorted(rows.values_list("household_id", flat=True)) == sorted([west.pk, east.pk])
