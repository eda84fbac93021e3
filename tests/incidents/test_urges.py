"""督办 / 催办: logged with who and when, never as a status move; only those entitled may issue them."""

from __future__ import annotations

import pytest

from layers.incidents import lifecycle, urges
from layers.incidents.models import IncidentStatus as S
from layers.incidents.models import IncidentUrge
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _history(incident) -> list[tuple[str, str]]:
    return list(incident.transitions.values_list("from_status", "to_status"))


def test_worker_urges_and_the_case_page_shows_who_and_when(world):
    world.worker_w.first_name = "王网格"
    world.worker_w.save()
    before = _history(world.iw)
    c = client_for(world.worker_w)
    response = c.post(f"/incidents/{world.iw.id}/urge/", {"kind": "催办", "note": "居民再次来电"})
    assert response.status_code == 302
    urge = IncidentUrge.objects.get(incident=world.iw)
    assert (urge.kind, urge.by, urge.note) == ("催办", world.worker_w, "居民再次来电")
    world.iw.refresh_from_db()
    assert world.iw.status == S.REPORTED and _history(world.iw) == before  # not a status move
    html = c.get(f"/incidents/{world.iw.id}/").content.decode()
    section = html[html.index('id="urges"'):html.index('id="reports"')]
    assert "催办" in section and "王网格" in section and "居民再次来电" in section
    assert "wangge_w" not in section  # the name, not the login


def test_supervision_is_the_command_centres(world):
    c = client_for(world.worker_w)
    assert c.post(f"/incidents/{world.iw.id}/urge/", {"kind": "督办"}).status_code == 403
    assert not IncidentUrge.objects.exists()
    html = c.get(f"/incidents/{world.iw.id}/").content.decode()
    assert 'value="催办"' in html and 'value="督办"' not in html
    admin = client_for(world.admin)
    assert admin.post(f"/incidents/{world.iw.id}/urge/", {"kind": "督办", "note": "请加快"}).status_code == 302
    assert IncidentUrge.objects.get().kind == "督办"


def test_patrol_may_read_but_not_urge_unless_they_reported(world):
    patrol = world.patrol
    assert client_for(patrol).post(f"/incidents/{world.iw.id}/urge/", {"kind": "催办"}).status_code == 403
    assert not urges.may_urge(world.iw, patrol)
    own = lifecycle.report(by=patrol, category=world.iw.category, description="巡防发现", geom=world.iw.geom)
    assert urges.may_urge(own, patrol) and not urges.may_supervise(patrol)
    assert not urges.may_urge(world.iw, world.planner)


def test_other_grid_case_answers_404_and_closed_case_refuses(world):
    c = client_for(world.worker_w)
    assert c.post(f"/incidents/{world.ie.id}/urge/", {"kind": "催办"}).status_code == 404
    lifecycle.move(world.iw, S.CANCELLED, note="无效")
    response = c.post(f"/incidents/{world.iw.id}/urge/", {"kind": "催办"}, follow=True)
    assert "不能再催办" in response.content.decode()
    assert not IncidentUrge.objects.exists()


@pytest.mark.parametrize("kind", ["", "<script>x</script>", "督办催办", "x" * 5000])
def test_hostile_kind_is_a_message_not_an_error(world, kind):
    response = client_for(world.admin).post(f"/incidents/{world.iw.id}/urge/", {"kind": kind}, follow=True)
    assert response.status_code == 200 and "类型只能是 督办 或 催办" in response.content.decode()
    assert "<script>x" not in response.content.decode()
    assert not IncidentUrge.objects.exists()


def test_nul_byte_is_refused_before_the_view(world):
    response = client_for(world.admin).post(f"/incidents/{world.iw.id}/urge/", {"kind": "催办\x00"})
    assert response.status_code == 400 and not IncidentUrge.objects.exists()


def test_note_longer_than_the_limit_is_refused(world):
    with pytest.raises(urges.UrgeError, match="最多 300"):
        urges.record(world.iw, "催办", by=world.worker_w, note="长" * 301)
