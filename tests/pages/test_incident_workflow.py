"""Reporting incidents and moving them along the lifecycle, in pages and API."""

from __future__ import annotations

import pytest

from layers.incidents.models import Incident
from tests.factories import category
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def test_report_by_clicking_fills_in_the_grid(world):
    c = client_for(world.worker_w)
    assert c.get("/grid-at/?lon=104.064&lat=30.652").json()["code"] == world.west.code
    response = c.post("/incidents/new/", {"category": category("street_order").id, "description": "占道经营",
                                          "lon": "104.064", "lat": "30.652", "address": "西路3号"})
    incident = Incident.objects.get(description="占道经营")
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.id}/"
    assert incident.grid == world.west and incident.reporter == world.worker_w
    assert list(incident.transitions.values_list("to_status", flat=True)) == ["reported"]


def test_report_outside_own_grids_is_refused(world):
    c = client_for(world.worker_w)
    response = c.post("/incidents/new/", {"category": category("street_order").id, "description": "别处",
                                          "lon": "104.075", "lat": "30.652"})
    assert response.status_code == 200 and "不在您负责的网格内" in response.content.decode()
    assert not Incident.objects.filter(description="别处").exists()


def test_api_report_and_lifecycle(world):
    c = client_for(world.worker_w)
    created = c.post("/api/incidents/", {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [104.062, 30.657]},
        "properties": {"category": category("city_appearance").id, "description": "垃圾堆放"}},
        content_type="application/json")
    assert created.status_code == 201, created.content
    props = created.json()["properties"]
    assert props["grid_code"] == world.west.code and props["status"] == "reported"
    pk = created.json()["id"]
    bad = c.post(f"/api/incidents/{pk}/transition/", {"to_status": "closed"}, content_type="application/json")
    assert bad.status_code == 400 and "不能从「信息采集」变为「核查结案」" in bad.json()["to_status"][0]
    # 立案 and 派遣 are the command centre's, 处置 and 反馈 the department's (GB/T 30428 roles)
    assert c.post(f"/api/incidents/{pk}/transition/", {"to_status": "accepted"},
                  content_type="application/json").status_code == 403
    command, dept = client_for(world.command), client_for(world.dept_user)
    assert command.post(f"/api/incidents/{pk}/transition/", {"to_status": "accepted"},
                        content_type="application/json").status_code == 201
    no_dept = command.post(f"/api/incidents/{pk}/transition/", {"to_status": "dispatched"},
                           content_type="application/json")
    assert no_dept.status_code == 400 and "派遣需要选择处置部门" in no_dept.json()["to_status"][0]
    sent = command.post(f"/api/incidents/{pk}/transition/", {"to_status": "dispatched", "department": world.dept.id},
                        content_type="application/json")
    assert sent.status_code == 201 and sent.json()["note"] == f"派遣至{world.dept.name}"
    assert c.get(f"/api/incidents/{pk}/").json()["properties"]["department_name"] == world.dept.name
    for step in ("handling", "feedback"):
        assert dept.post(f"/api/incidents/{pk}/transition/", {"to_status": step},
                         content_type="application/json").status_code == 201
    # 核查结案 by someone other than the reporter (GB/T 30428: separation of duties)
    assert client_for(world.admin).post(f"/api/incidents/{pk}/transition/", {"to_status": "closed"},
                                        content_type="application/json").status_code == 201
    back = c.post(f"/api/incidents/{pk}/transition/", {"to_status": "evaluated", "satisfaction": "不满意"},
                  content_type="application/json")
    assert back.json()["to_status"] == "handling"
    history = c.get(f"/api/incidents/{pk}/history/").json()
    assert [h["to_status"] for h in history][-2:] == ["closed", "handling"]


def test_api_report_outside_own_grids_is_refused(world):
    c = client_for(world.worker_w)
    response = c.post("/api/incidents/", {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [104.075, 30.657]},
        "properties": {"category": category("city_appearance").id, "description": "越界"}},
        content_type="application/json")
    assert response.status_code == 400 and "网格" in response.content.decode()


def test_page_transition_buttons_follow_the_lifecycle(world):
    c = client_for(world.command)
    html = c.get(f"/incidents/{world.iw.id}/").content.decode()
    assert 'value="accepted"' in html and 'value="cancelled"' in html and 'value="closed"' not in html
    c.post(f"/incidents/{world.iw.id}/", {"to_status": "accepted", "note": "受理"})
    world.iw.refresh_from_db()
    assert world.iw.status == "accepted"


def test_visit_log_updates_last_visit(world):
    c = client_for(world.worker_w)
    c.post(f"/households/{world.hw.id}/visits/", {"kind": "care", "visited_at": "2026-11-20T09:30", "note": "送米面"})
    world.hw.refresh_from_db()
    assert world.hw.visits.get().note == "送米面" and str(world.hw.last_visit) == "2026-11-20"
    assert "2026-11-20" in c.get("/my/").content.decode()


def test_openapi_schema_is_published(world):
    c = client_for(world.worker_w)
    response = c.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/incidents/{id}/transition/" in paths and "/api/households/" in paths
