"""A visit sent twice with the same client-made id (the offline queue replaying) is stored once."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from layers.people.models import Visit
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _visit(client, world, cid, **headers):
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    return client.post(f"/households/{world.hw.pk}/visits/", {"kind": "routine", "visited_at": when, "note": "一切正常",
                                                              "client_id": str(cid)}, **headers)


def test_form_visit_sent_twice_is_stored_once(world):
    c = client_for(world.worker_w)
    cid = uuid.uuid4()
    first, second = _visit(c, world, cid), _visit(c, world, cid)
    assert first.status_code == second.status_code == 302
    visit = Visit.objects.get()
    assert (visit.client_id, visit.user, visit.household) == (cid, world.worker_w, world.hw)
    page = c.get(f"/households/{world.hw.pk}/").content.decode()
    assert page.count("一切正常") == 1 and "该走访记录已保存过，未重复保存" in page


def test_offline_queue_gets_json_and_no_duplicate(world):
    c = client_for(world.worker_w)
    cid = uuid.uuid4()
    first = _visit(c, world, cid, HTTP_ACCEPT="application/json")
    second = _visit(c, world, cid, HTTP_ACCEPT="application/json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and second.json()["created"] is False
    assert Visit.objects.count() == 1
    # A different id is a second visit.
    assert _visit(c, world, uuid.uuid4(), HTTP_ACCEPT="application/json").status_code == 201
    assert Visit.objects.count() == 2


def test_offline_queue_gets_the_reason_as_json(world):
    c = client_for(world.worker_w)
    response = c.post(f"/households/{world.hw.pk}/visits/", {"kind": "routine", "visited_at": "2999-01-01T10:00",
                                                             "client_id": str(uuid.uuid4())},
                      HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "走访时间" in response.json()["error"]
    assert not Visit.objects.exists()


def test_visit_without_client_id_still_works_and_ids_are_not_shared(world):
    c = client_for(world.worker_w)
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    c.post(f"/households/{world.hw.pk}/visits/", {"kind": "care", "visited_at": when})
    c.post(f"/households/{world.hw.pk}/visits/", {"kind": "care", "visited_at": when})
    assert Visit.objects.filter(client_id__isnull=True).count() == 2
    cid = uuid.uuid4()
    _visit(c, world, cid)
    admin = client_for(world.admin)
    response = _visit(admin, world, cid, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "提交编号" in response.json()["error"]
    assert Visit.objects.filter(client_id=cid).get().user == world.worker_w
