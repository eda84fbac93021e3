"""A report sent twice with the same client-made id (the phone's offline queue replaying, a
retry after a lost answer) is stored once, by the form and by the API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from layers.incidents.models import Incident, IncidentPhoto
from tests.factories import category
from tests.fixtures_world import client_for
from tests.incidents.test_photos import gps_jpeg

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _form(client_id, **extra):
    return {"category": category("street_order").id, "description": "路灯不亮", "lon": "104.065",
            "lat": "30.656", "client_id": str(client_id), **extra}


def test_form_report_sent_twice_is_stored_once_with_its_photo(world):
    c = client_for(world.worker_w)
    cid = uuid.uuid4()
    first = c.post("/incidents/new/", {**_form(cid), "photos": [SimpleUploadedFile("a.jpg", gps_jpeg(300, 200, 1))]})
    second = c.post("/incidents/new/", {**_form(cid), "photos": [SimpleUploadedFile("a.jpg", gps_jpeg(300, 200, 1))]})
    incident = Incident.objects.get(description="路灯不亮")
    assert incident.client_id == cid and incident.reporter == world.worker_w
    assert first["Location"] == second["Location"] == f"/incidents/{incident.pk}/"
    assert IncidentPhoto.objects.filter(incident=incident).count() == 1
    assert incident.transitions.count() == 1


def test_offline_queue_gets_json_created_then_the_same_record(world):
    c = client_for(world.worker_w)
    cid = uuid.uuid4()
    first = c.post("/incidents/new/", _form(cid), **JSON)
    second = c.post("/incidents/new/", _form(cid), **JSON)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and second.json()["created"] is False
    assert first.json()["url"] == f"/incidents/{first.json()['id']}/"
    assert Incident.objects.filter(description="路灯不亮").count() == 1


def test_offline_queue_gets_the_reason_as_json(world):
    c = client_for(world.worker_w)
    response = c.post("/incidents/new/", _form(uuid.uuid4(), lon="104.075"), **JSON)  # the east grid
    assert response.status_code == 400 and "不在您负责的网格内" in response.json()["error"]
    response = c.post("/incidents/new/", _form(uuid.uuid4(), description=""), **JSON)
    assert response.status_code == 400 and "事件描述" in response.json()["error"]


def test_someone_elses_client_id_is_refused(world):
    cid = uuid.uuid4()
    client_for(world.worker_w).post("/incidents/new/", _form(cid), **JSON)
    other = client_for(world.admin).post("/incidents/new/", _form(cid, description="别人的"), **JSON)
    assert other.status_code == 400 and "提交编号" in other.json()["error"]
    assert not Incident.objects.filter(description="别人的").exists()


def test_queued_time_is_kept_when_plausible(world):
    c = client_for(world.worker_w)
    two_hours_ago = timezone.now() - timedelta(hours=2)
    c.post("/incidents/new/", _form(uuid.uuid4(), queued_at=two_hours_ago.isoformat()), **JSON)
    incident = Incident.objects.get(description="路灯不亮")
    assert abs(incident.reported_at - two_hours_ago) < timedelta(seconds=1)
    assert incident.transitions.get().note.startswith("离线上报，")
    # A phone whose clock says 2001: the time of arrival instead.
    c.post("/incidents/new/", _form(uuid.uuid4(), description="钟不准", queued_at="2001-01-01T08:00:00+08:00"),
           **JSON)
    assert timezone.now() - Incident.objects.get(description="钟不准").reported_at < timedelta(minutes=1)
    note = Incident.objects.get(description="钟不准").transitions.get().note
    assert "离线上报" not in note
    # The queue cannot be asked which case it repeats: the first step names the cases nearby.
    assert note.startswith("附近可能重复：") and f"事件 {incident.pk}" in note


def _api(client, cid, description="垃圾堆放"):
    return client.post("/api/incidents/", {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [104.062, 30.657]},
        "properties": {"category": category("city_appearance").id, "description": description,
                       "client_id": str(cid)}}, content_type="application/json")


def test_api_report_sent_twice_is_stored_once(world):
    c = client_for(world.worker_w)
    cid = uuid.uuid4()
    first, second = _api(c, cid), _api(c, cid)
    assert (first.status_code, second.status_code) == (201, 200), second.content
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["properties"]["client_id"] == str(cid)
    assert Incident.objects.filter(description="垃圾堆放").count() == 1
    other = _api(client_for(world.admin), cid, description="他人")
    assert other.status_code == 400 and "client_id" in other.json()
    bad = c.post("/api/incidents/", {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [104.062, 30.657]},
        "properties": {"category": category("city_appearance").id, "description": "x", "client_id": "abc"}},
        content_type="application/json")
    assert bad.status_code == 400 and "client_id" in bad.json()
