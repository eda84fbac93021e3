"""Circles, coverage and hot spots over the API, under the pages' rights."""

from __future__ import annotations

import pytest

from layers.facilities.models import Facility, FacilityType
from tests.factories import point
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def test_planner_gets_circles_and_coverage(world):
    Facility.objects.create(type=FacilityType.objects.get(code="kindergarten"), name="测试幼儿园",
                            geom=point(104.064, 30.654), source="manual")
    c = client_for(world.planner)
    circles = c.get("/api/circles/?type=kindergarten").json()["features"]
    assert sorted(f["properties"]["minutes"] for f in circles) == [5, 10, 15]
    # No network is loaded in this test: the circles say they are straight-line buffers.
    assert {f["properties"]["method"] for f in circles} != {"network"}
    rows = c.get("/api/coverage/?type=kindergarten&level=grid").json()
    assert {r["code"] for r in rows} >= {world.west.code, world.east.code}
    assert all(0 <= (r["household_share"] or 0) <= 1 for r in rows)


def test_patrol_gets_hot_spots(world):
    c = client_for(world.patrol)
    data = c.get("/api/hotspots/?days=7").json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2  # the two grids
    assert c.get("/api/hotspots/?days=0").status_code == 400


def test_grid_worker_gets_no_district_wide_analysis(world):
    c = client_for(world.worker_w)
    assert c.get("/api/hotspots/").status_code == 403
    assert c.get("/api/coverage/").status_code == 403
    assert c.get("/api/circles/?type=kindergarten").status_code == 403


def test_bad_query_values_get_a_clear_answer_not_a_crash(world):
    c = client_for(world.planner)
    response = c.get("/api/circles/?type=kindergarten&minutes=abc")
    assert response.status_code == 400 and "minutes" in response.json()
    patrol = client_for(world.patrol)
    page = patrol.get("/patrol/?days=abc")
    assert page.status_code == 200 and "天数应为 1 到" in page.content.decode()


def test_hot_spots_of_districts_in_two_zones_are_asked_one_district_at_a_time(world):
    from layers.grids.models import Community, District, Street
    from tests.factories import box

    geom = box(121.44, 31.20, 121.50, 31.26)  # 黄浦区, Shanghai: zone 120°E
    district = District.objects.create(code="310101", name="黄浦区", geom=geom)
    street = Street.objects.create(district=district, code="310101001", name="测试街道", geom=geom)
    Community.objects.create(street=street, code="310101001001", name="测试社区", geom=geom)
    c = client_for(world.patrol)
    answer = c.get("/api/hotspots/?days=7")
    assert answer.status_code == 400 and "请选择一个区" in answer.json()["detail"]
    data = c.get("/api/hotspots/?days=7&district=510104").json()
    assert len(data["features"]) == 2  # the two Chengdu grids, in Chengdu's zone
    assert c.get("/patrol/map.html?days=7").status_code == 400
    assert c.get("/patrol/map.html?days=7&district=510104").status_code == 200
