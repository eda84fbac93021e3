"""Reporting into someone else's grid: the database links a point on a shared border to
the grid with the smaller code, so a report is accepted only when that grid is the
reporter's — on the page form, over the API and in the page's grid lookup (/grid-at/)."""

from __future__ import annotations

import json

import pytest

from layers.incidents.models import Incident
from tests.factories import MIDDLE, category
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

BORDER = (MIDDLE, 30.655)  # on the meridian shared by the west and east grids
INSIDE_EAST = (104.075, 30.657)


def page_report(user, lon: float, lat: float):
    return client_for(user).post("/incidents/new/", {"category": category("street_order").id, "description": "越界测试",
                                                     "lon": lon, "lat": lat})


def api_report(user, lon: float, lat: float):
    return client_for(user).post("/api/incidents/", json.dumps({
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"category": category("street_order").id, "description": "越界测试"}}),
        content_type="application/json")


def test_border_point_owned_by_the_neighbour_is_refused_on_the_page_with_a_hint_to_move(world):
    assert world.west.code < world.east.code  # the border goes to the west grid
    before = Incident.objects.count()
    response = page_report(world.worker_e, *BORDER)
    body = response.content.decode()
    assert response.status_code == 200 and "分界线" in body and "稍微移动" in body
    assert world.west.code in body and world.east.code in body
    assert Incident.objects.count() == before


def test_border_point_owned_by_the_neighbour_is_refused_over_the_api(world):
    before = Incident.objects.count()
    response = api_report(world.worker_e, *BORDER)
    assert response.status_code == 400 and "分界线" in response.json()["geom"][0]
    assert Incident.objects.count() == before


def test_point_inside_a_neighbours_grid_is_refused_naming_that_grid(world):
    for response in (page_report(world.worker_w, *INSIDE_EAST), api_report(world.worker_w, *INSIDE_EAST)):
        text = response.content.decode() if response.status_code == 200 else response.json()["geom"][0]
        assert f"该位置属于网格 {world.east.name}（{world.east.code}），不在您负责的网格内" in text


def test_point_outside_every_grid_is_refused(world):
    response = api_report(world.worker_w, 104.100, 30.690)
    assert response.status_code == 400 and "不在任何网格内" in response.json()["geom"][0]


def test_border_point_owned_by_the_reporter_is_accepted_and_stays_visible(world):
    response = api_report(world.worker_w, *BORDER)
    assert response.status_code == 201 and response.json()["properties"]["grid_code"] == world.west.code
    pk = response.json()["id"]
    assert client_for(world.worker_w).get(f"/incidents/{pk}/").status_code == 200


def test_grid_lookup_of_the_report_page_agrees_with_the_rule(world):
    east = client_for(world.worker_e).get("/grid-at/?lon={}&lat={}".format(*BORDER))
    assert east.status_code == 404 and "分界线" in east.json()["error"]
    assert client_for(world.worker_w).get("/grid-at/?lon={}&lat={}".format(*BORDER)).json()["code"] == world.west.code
    inside = client_for(world.worker_e).get("/grid-at/?lon={}&lat={}".format(*INSIDE_EAST))
    assert inside.json()["code"] == world.east.code


def test_not_a_number_coordinates_are_refused_not_a_server_error(world):
    response = client_for(world.worker_w).get("/grid-at/?lon=nan&lat=inf")
    assert response.status_code == 404 and "坐标无效" in response.json()["error"]
