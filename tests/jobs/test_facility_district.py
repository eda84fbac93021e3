"""Which district's batch a facility belongs to (layers.jobs.districts.facility_in_district_sql,
read by layers.facilities.walking.circles.facility_ids_for): the district covering it (the
smaller code on a shared border), else the nearest one by true distance, ties to the smaller
code; every facility in exactly one district's batch."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from layers.facilities.models import Facility, FacilityType
from layers.facilities.walking.circles import facility_ids_for
from layers.grids.models import District
from tests.factories import box, point

pytestmark = pytest.mark.django_db


def _facility(x: float, y: float, name: str) -> int:
    return Facility.objects.create(type=FacilityType.objects.order_by("id").first(), name=name,
                                   geom=point(x, y)).pk


def _batches(*codes: str) -> dict[str, list[int]]:
    return {code: facility_ids_for(None, code) for code in codes}


def test_a_facility_goes_to_the_district_nearest_in_truth_not_by_its_box():
    """An L-shaped 510104 whose box holds the facility, while its land is 0.07° away; 510105 is
    0.04° away but its box further than 510104's: the facility is 510105's."""
    ell = MultiPolygon(Polygon(((104.0, 30.0), (104.3, 30.0), (104.3, 30.01), (104.1, 30.01), (104.1, 30.1),
                                (104.0, 30.1), (104.0, 30.0))), srid=4326)
    District.objects.create(code="510104", name="锦江区", geom=ell)
    District.objects.create(code="510105", name="青羊区", geom=box(104.25, 30.12, 104.35, 30.2))
    inside = _facility(104.05, 30.05, "区内")
    across = _facility(104.25, 30.08, "区外")
    assert _batches("510104", "510105") == {"510104": [inside], "510105": [across]}


def test_a_facility_as_near_to_two_districts_goes_to_the_smaller_code_and_a_border_one_too():
    # Dyadic coordinates: both distances are exactly 0.125°.
    District.objects.create(code="510105", name="青羊区", geom=box(104.375, 30.0, 104.5, 30.125))
    District.objects.create(code="510104", name="锦江区", geom=box(104.0, 30.0, 104.125, 30.125))
    District.objects.create(code="510106", name="金牛区", geom=box(104.5, 30.0, 104.625, 30.125))
    between = _facility(104.25, 30.0625, "两区之间")
    border = _facility(104.5, 30.0625, "两区边界")
    east = _facility(104.7, 30.0625, "东侧区外")
    assert _batches("510104", "510105", "510106") == {"510104": [between], "510105": [border], "510106": [east]}
