"""Duplicate reports: same category within 50 m (metres in the district's CRS) and 72 h are
shown; linking records the report on the case; the command centre merges through the lifecycle."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from layers.accounts import visibility
from layers.incidents import duplicates, lifecycle
from layers.incidents.models import Incident, IncidentReport
from layers.incidents.models import IncidentStatus as S
from tests.factories import category, department_of, point, step_kwargs
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

# world.iw (矛盾纠纷) is at 104.066, 30.656. 0.0003° of longitude there ≈ 28.7 m; 0.0006° ≈ 57 m.
NEAR, FAR = (104.0663, 30.656), (104.0666, 30.656)


def _found(user, code="dispute", xy=NEAR, at=None):
    return list(duplicates.candidates(visibility.visible_incidents(user), category=category(code),
                                      point=point(*xy), at=at))


def test_same_category_within_50_m_and_72_h_is_found(world):
    found = _found(world.worker_w)
    assert [i.pk for i in found] == [world.iw.pk]
    assert 27 < found[0].distance.m < 30.5
    assert _found(world.worker_w, xy=FAR) == []
    assert _found(world.worker_w, code="fire_risk") == []
    assert _found(world.worker_w, at=timezone.now() + timedelta(hours=73)) == []
    assert [i.pk for i in _found(world.worker_w, at=timezone.now() + timedelta(hours=71))] == [world.iw.pk]


def test_closed_cases_count_and_other_grids_stay_hidden(world):
    for step in (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK, S.CLOSED):
        lifecycle.move(world.iw, step, **step_kwargs(world.iw, step))
    assert [i.pk for i in _found(world.worker_w)] == [world.iw.pk]
    # The east worker's case 10 m inside their grid: not shown to the west worker.
    east = lifecycle.report(category=category("dispute"), description="东边", geom=point(104.0701, 30.656))
    assert [i.pk for i in _found(world.worker_w, xy=(104.0699, 30.656))] == []
    assert [i.pk for i in _found(world.worker_e, xy=(104.0699, 30.656))] == [east.pk]


def test_distance_uses_the_districts_metric_crs(world):
    from layers.grids.models import District

    assert duplicates.metric_srid_at(point(*NEAR)) == District.objects.get().metric_srid == 4544  # CM 105°E
    District.objects.update(metric_srid=4543)  # a district kept in the neighbouring zone (CM 102°E)
    assert duplicates.metric_srid_at(point(*NEAR)) == 4543
    found = _found(world.worker_w)
    assert [i.pk for i in found] == [world.iw.pk] and 27 < found[0].distance.m < 30.5


REPORT = {"description": "又有人吵架", "address": "西路5号门口", "lon": str(NEAR[0]), "lat": str(NEAR[1])}


def test_report_page_shows_possible_duplicates_before_saving(world):
    c = client_for(world.worker_w)
    n = Incident.objects.count()
    response = c.post("/incidents/new/", {**REPORT, "category": category("dispute").id})
    html = response.content.decode()
    assert response.status_code == 200 and "可能重复" in html and f'name="link_to" value="{world.iw.pk}"' in html
    assert "仍然上报" in html and "又有人吵架" in html  # what was typed is still in the form
    assert Incident.objects.count() == n and not IncidentReport.objects.exists()


def test_linking_records_the_report_on_the_case(world):
    c = client_for(world.worker_w)
    before = list(world.iw.transitions.values_list("id", flat=True))
    n = Incident.objects.count()
    response = c.post("/incidents/new/", {**REPORT, "category": category("dispute").id, "link_to": world.iw.pk})
    assert response.status_code == 302 and response["Location"] == f"/incidents/{world.iw.pk}/"
    report = IncidentReport.objects.get()
    assert (report.incident, report.reporter, report.description, report.address) == (
        world.iw, world.worker_w, "又有人吵架", "西路5号门口")
    assert (round(report.geom.x, 6), round(report.geom.y, 6)) == NEAR and report.category == category("dispute")
    assert Incident.objects.count() == n
    assert list(world.iw.transitions.values_list("id", flat=True)) == before
    html = c.get(f"/incidents/{world.iw.pk}/").content.decode()
    section = html[html.index('id="reports"'):html.index('id="history-section"')]
    assert "又有人吵架" in section and "西路5号门口" in section and "wangge_w" in section


def test_linking_to_a_case_out_of_reach_is_refused(world):
    c = client_for(world.worker_w)
    response = c.post("/incidents/new/", {**REPORT, "category": category("dispute").id, "link_to": world.ie.pk})
    assert response.status_code == 200 and "不在可关联的范围内" in response.content.decode()
    assert not IncidentReport.objects.exists()


def test_reporting_anyway_opens_a_new_case(world):
    c = client_for(world.worker_w)
    response = c.post("/incidents/new/", {**REPORT, "category": category("dispute").id, "force_new": "1"})
    new = Incident.objects.get(description="又有人吵架")
    assert response.status_code == 302 and response["Location"] == f"/incidents/{new.pk}/"
    # another category at the same spot is no duplicate: saved straight away
    response = c.post("/incidents/new/", {**REPORT, "description": "消防通道堵塞", "category": category("fire_risk").id})
    assert response.status_code == 302 and Incident.objects.filter(description="消防通道堵塞").exists()


def test_duplicates_json_for_the_live_form(world):
    c = client_for(world.worker_w)
    body = c.get(f"/incidents/duplicates/?lon={NEAR[0]}&lat={NEAR[1]}&category={category('dispute').id}").json()
    assert [d["id"] for d in body["duplicates"]] == [world.iw.pk] and body["duplicates"][0]["distance_m"] in (28, 29)
    for query in ("lon=abc&lat=1&category=1", "lon=0&lat=0&category=1", f"lon={NEAR[0]}&lat={NEAR[1]}&category=999999",
                  "lon=nan&lat=nan&category=1"):
        response = c.get(f"/incidents/duplicates/?{query}")
        assert response.status_code == 400 and response.json()["error"]


def _api(c, props):
    return c.post("/api/incidents/", json.dumps({
        "type": "Feature", "geometry": {"type": "Point", "coordinates": list(NEAR)},
        "properties": {"category": category("dispute").id, "description": "API 重复", **props}}),
        content_type="application/json")


def test_api_create_answers_409_link_or_force(world):
    c = client_for(world.worker_w)
    n = Incident.objects.count()
    conflict = _api(c, {})
    assert conflict.status_code == 409 and [d["id"] for d in conflict.json()["duplicates"]] == [world.iw.pk]
    assert Incident.objects.count() == n
    linked = _api(c, {"link_to": world.iw.pk})
    assert linked.status_code == 200 and linked.json()["linked_to"] == world.iw.pk
    assert IncidentReport.objects.get().description == "API 重复" and Incident.objects.count() == n
    assert _api(c, {"link_to": world.ie.pk}).status_code == 400
    created = _api(c, {"force_new": True})
    assert created.status_code == 201 and Incident.objects.count() == n + 1


def test_merge_cancels_a_new_report_through_the_lifecycle(world):
    dup = lifecycle.report(by=world.worker_w, category=category("dispute"), description="同一纠纷", geom=point(*NEAR))
    admin = client_for(world.admin)
    html = admin.get(f"/incidents/{dup.pk}/").content.decode()
    assert f'name="into" value="{world.iw.pk}"' in html
    response = admin.post(f"/incidents/{dup.pk}/merge/", {"into": world.iw.pk})
    assert response.status_code == 302 and response["Location"] == f"/incidents/{world.iw.pk}/"
    dup.refresh_from_db()
    assert dup.duplicate_of == world.iw and dup.status == S.CANCELLED
    last = dup.transitions.order_by("-id").first()
    assert (last.from_status, last.to_status, last.by) == (S.REPORTED, S.CANCELLED, world.admin)
    assert f"与事件 {world.iw.pk} 重复，已合并" in last.note
    assert "已合并到本事件" in admin.get(f"/incidents/{world.iw.pk}/").content.decode()
    assert "已合并" in admin.get(f"/incidents/{dup.pk}/").content.decode()


def test_merge_of_a_case_in_progress_keeps_its_status(world):
    dup = lifecycle.report(category=category("dispute"), description="已派遣的同一纠纷", geom=point(*NEAR))
    lifecycle.move(dup, S.ACCEPTED)
    lifecycle.move(dup, S.DISPATCHED, department=department_of(dup))
    duplicates.merge(dup, world.iw, by=world.admin)
    assert dup.duplicate_of == world.iw and dup.status == S.DISPATCHED


def test_merge_is_the_command_centres_and_refuses_loops(world):
    dup = lifecycle.report(category=category("dispute"), description="同一纠纷", geom=point(*NEAR))
    assert client_for(world.worker_w).post(f"/incidents/{dup.pk}/merge/", {"into": world.iw.pk}).status_code == 403
    with pytest.raises(duplicates.MergeError):
        duplicates.merge(dup, dup, by=world.admin)
    duplicates.merge(dup, world.iw, by=world.admin)
    with pytest.raises(duplicates.MergeError, match="已合并到事件"):
        duplicates.merge(world.iw, dup, by=world.admin)
    admin = client_for(world.admin)
    for into in ("abc", "", "99999999"):
        response = admin.post(f"/incidents/{world.iw.pk}/merge/", {"into": into})
        assert response.status_code in (302, 404)
    world.iw.refresh_from_db()
    assert world.iw.duplicate_of is None and world.iw.status == S.REPORTED
