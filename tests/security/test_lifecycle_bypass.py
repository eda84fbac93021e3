"""Ways around the incident lifecycle (finding 2): the admin form, direct SQL, the reporter
closing their own case, a satisfaction slipped into the wrong step.

The database guard's checks at commit are deferred; tests run inside one transaction, so
they fire them with SET CONSTRAINTS ALL IMMEDIATE (inside a savepoint).
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from layers.incidents import lifecycle
from layers.incidents.lifecycle import IncidentStatus as S
from layers.incidents.models import Incident
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _to_feedback(incident: Incident, world) -> None:
    """立案 and 派遣 by the command centre, 处置 and 反馈 by the department (the roles)."""
    lifecycle.move(incident, S.ACCEPTED, by=world.command)
    lifecycle.move(incident, S.DISPATCHED, by=world.command, department=world.dept)
    lifecycle.move(incident, S.HANDLING, by=world.dept_user)
    lifecycle.move(incident, S.FEEDBACK, by=world.dept_user)


def _commit_checks(*statements: str, params: list | None = None) -> None:
    """Run SQL and the deferred history checks, as a commit would."""
    with transaction.atomic(), connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql, params or [])
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _change_form_data(client, incident: Incident) -> dict[str, str]:
    """Every field of the admin change form as the browser would send it."""
    html = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    form = BeautifulSoup(html, "html.parser").find("form", id="incident_form")
    data: dict[str, str] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "button"):
            continue
        if field.get("type") == "checkbox" and not field.has_attr("checked"):
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True)
            data[name] = chosen.get("value", "") if chosen else ""
        elif field.name == "textarea":
            data[name] = field.text
        else:
            data[name] = field.get("value", "")
    return data


# --- the admin ----------------------------------------------------------------------------


def test_admin_change_form_posting_a_new_status_does_not_change_it(world):
    c = client_for(world.admin)
    data = _change_form_data(c, world.iw)
    data.update({"status": "closed", "closed_at_0": "2026-11-20", "closed_at_1": "10:00:00",
                 "satisfaction": "满意", "description": "改过的描述"})
    response = c.post(f"/admin/incidents/incident/{world.iw.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    world.iw.refresh_from_db()
    assert world.iw.description == "改过的描述"  # the form was saved ...
    assert (world.iw.status, world.iw.closed_at, world.iw.satisfaction) == (S.REPORTED, None, "")  # ... not these
    assert list(world.iw.transitions.values_list("to_status", flat=True)) == [S.REPORTED]


def test_admin_change_page_moves_only_through_the_lifecycle_form(world):
    c = client_for(world.admin)
    page = c.get(f"/admin/incidents/incident/{world.iw.pk}/change/").content.decode()
    assert "状态流转" in page and 'name="status"' not in page
    url = f"/admin/incidents/incident/{world.iw.pk}/transition/"
    response = c.post(url, {"to_status": "accepted", "from_status": "reported", "note": "后台立案"}, follow=True)
    assert "状态已更新为「立案」" in response.content.decode()
    world.iw.refresh_from_db()
    assert world.iw.status == S.ACCEPTED
    step = world.iw.transitions.order_by("id").last()
    assert (step.from_status, step.to_status, step.by, step.note) == (S.REPORTED, S.ACCEPTED, world.admin, "后台立案")


def test_admin_stale_transition_form_is_refused_in_chinese(world):
    c = client_for(world.admin)
    lifecycle.move(world.iw, S.ACCEPTED, by=world.admin)
    response = c.post(f"/admin/incidents/incident/{world.iw.pk}/transition/",
                      {"to_status": "cancelled", "from_status": "reported"}, follow=True)
    assert "未变更状态" in response.content.decode()
    world.iw.refresh_from_db()
    assert world.iw.status == S.ACCEPTED and world.iw.transitions.count() == 2


def test_admin_transition_get_request_changes_nothing(world):
    response = client_for(world.admin).get(f"/admin/incidents/incident/{world.iw.pk}/transition/")
    assert response.status_code == 403
    world.iw.refresh_from_db()
    assert world.iw.status == S.REPORTED


def test_admin_cannot_add_an_incident_that_skips_its_history(world):
    c = client_for(world.admin)
    html = c.get("/admin/incidents/incident/add/").content.decode()
    assert 'name="status"' not in html
    data = {"category": str(world.iw.category_id), "description": "后台新增", "reported_at_0": "2026-11-20",
            "reported_at_1": "09:00:00", "geom": '{"type": "Point", "coordinates": [104.066, 30.656]}',
            "status": "evaluated", "satisfaction": "满意",
            "transitions-TOTAL_FORMS": "0", "transitions-INITIAL_FORMS": "0"}
    response = c.post("/admin/incidents/incident/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    incident = Incident.objects.get(description="后台新增")
    assert (incident.status, incident.satisfaction, incident.reporter) == (S.REPORTED, "", world.admin)
    assert list(incident.transitions.values_list("from_status", "to_status")) == [("", S.REPORTED)]


# --- the model and the database -------------------------------------------------------------


def test_assigning_status_in_python_is_refused(world):
    with pytest.raises(AttributeError):
        world.iw.status = S.CLOSED


def test_sql_update_of_status_without_a_step_is_rejected_at_commit(world):
    with pytest.raises(IntegrityError, match="incident_history_status"):
        _commit_checks("UPDATE incidents_incident SET status = 'closed' WHERE id = %s", params=[world.iw.pk])


def test_queryset_update_of_status_is_rejected_at_commit(world):
    with pytest.raises(IntegrityError, match="incident_history_status"), transaction.atomic():
        Incident.objects.filter(pk=world.iw.pk).update(status=S.EVALUATED)
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_sql_duplicate_step_from_an_old_status_is_rejected(world):
    lifecycle.move(world.iw, S.ACCEPTED, by=world.admin)
    with pytest.raises(IntegrityError, match="incident_history_chain"):
        _commit_checks("INSERT INTO incidents_incidenttransition (incident_id, from_status, to_status, at, note,"
                       " district_code) SELECT id, 'reported', 'accepted', now(), '重复', district_code"
                       " FROM incidents_incident WHERE id = %s", params=[world.iw.pk])


def test_sql_step_without_status_update_is_rejected_at_commit(world):
    with pytest.raises(IntegrityError, match="incident_history_status"):
        _commit_checks("INSERT INTO incidents_incidenttransition (incident_id, from_status, to_status, at, note,"
                       " district_code) SELECT id, 'reported', 'accepted', now(), '只写记录', district_code"
                       " FROM incidents_incident WHERE id = %s", params=[world.iw.pk])
    # a script that writes the step and the status together is fine
    _commit_checks("INSERT INTO incidents_incidenttransition (incident_id, from_status, to_status, at, note,"
                   " district_code) SELECT id, 'reported', 'accepted', now(), '脚本立案', district_code"
                   " FROM incidents_incident WHERE id = %(id)s",
                   "UPDATE incidents_incident SET status = 'accepted' WHERE id = %(id)s", params={"id": world.iw.pk})
    world.iw.refresh_from_db()
    assert world.iw.status == S.ACCEPTED


def test_sql_delete_of_a_step_is_rejected_at_commit(world):
    lifecycle.move(world.iw, S.ACCEPTED, by=world.admin)
    # (the step's own check or the status check may speak first: either way, refused)
    with pytest.raises(IntegrityError, match="incident_history_(append_only|status)"):
        _commit_checks("DELETE FROM incidents_incidenttransition WHERE incident_id = %s AND to_status = 'accepted'",
                       params=[world.iw.pk])
    # deleting the incident takes its history along, and that is fine
    pk = world.iw.pk
    world.iw.delete()
    _commit_checks("SELECT 1")
    assert not Incident.objects.filter(pk=pk).exists()


def test_sql_rewrite_of_a_step_is_rejected(world):
    with pytest.raises(IntegrityError, match="incident_history_append_only"):
        _commit_checks("UPDATE incidents_incidenttransition SET to_status = 'closed' WHERE incident_id = %s",
                       params=[world.iw.pk])


# --- separation of duties (GB/T 30428) ------------------------------------------------------


def test_reporter_cannot_verify_and_close_their_own_case(world):
    incident = lifecycle.report(by=world.worker_w, category=world.iw.category, description="自己上报",
                                geom=world.iw.geom)
    _to_feedback(incident, world)
    with pytest.raises(lifecycle.SeparationOfDutiesError, match="上报人不能核查结案"):
        lifecycle.move(incident, S.CLOSED, by=world.worker_w)
    assert incident.status == S.FEEDBACK
    with override_settings(GRIDMAP_ALLOW_SELF_VERIFY=True):  # one-person communities
        assert S.CLOSED in lifecycle.steps_for(incident, world.worker_w)
    lifecycle.move(incident, S.CLOSED, by=world.admin)
    assert incident.status == S.CLOSED
    other = lifecycle.report(by=world.worker_w, category=world.iw.category, description="一人社区",
                             geom=world.iw.geom)
    _to_feedback(other, world)
    with override_settings(GRIDMAP_ALLOW_SELF_VERIFY=True):
        lifecycle.move(other, S.CLOSED, by=world.worker_w)
    assert other.status == S.CLOSED


def test_reporter_cannot_close_through_the_api(world):
    incident = lifecycle.report(by=world.worker_w, category=world.iw.category, description="自己上报",
                                geom=world.iw.geom)
    _to_feedback(incident, world)
    response = client_for(world.worker_w).post(f"/api/incidents/{incident.pk}/transition/", {"to_status": "closed"},
                                               content_type="application/json")
    assert response.status_code == 403 and "上报人不能核查结案" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.status == S.FEEDBACK


def test_reporter_sees_no_close_button_and_a_forged_post_is_refused(world):
    incident = lifecycle.report(by=world.worker_w, category=world.iw.category, description="自己上报",
                                geom=world.iw.geom)
    _to_feedback(incident, world)
    c = client_for(world.worker_w)
    page = c.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'value="closed"' not in page and 'value="handling"' in page
    response = c.post(f"/incidents/{incident.pk}/", {"to_status": "closed", "from_status": "feedback"}, follow=True)
    assert "上报人不能核查结案" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == S.FEEDBACK


def test_reporter_recorded_only_in_the_first_step_still_cannot_close(world):
    incident = lifecycle.report(by=world.worker_w, category=world.iw.category, description="字段被清空",
                                geom=world.iw.geom)
    Incident.objects.filter(pk=incident.pk).update(reporter=None)
    incident.refresh_from_db()
    _to_feedback(incident, world)
    with pytest.raises(lifecycle.SeparationOfDutiesError):
        lifecycle.move(incident, S.CLOSED, by=world.worker_w)


# --- satisfaction only at 回访 ---------------------------------------------------------------


def test_satisfaction_slipped_into_another_step_is_refused(world):
    with pytest.raises(lifecycle.TransitionError, match="回访结果只能在回访评价时填写"):
        lifecycle.move(world.iw, S.ACCEPTED, by=world.admin, satisfaction="满意")
    world.iw.refresh_from_db()
    assert (world.iw.status, world.iw.satisfaction) == (S.REPORTED, "")


def test_satisfaction_through_the_api_on_another_step_is_a_400(world):
    response = client_for(world.worker_w).post(f"/api/incidents/{world.iw.pk}/transition/",
                                               {"to_status": "accepted", "satisfaction": "满意"},
                                               content_type="application/json")
    assert response.status_code == 400 and "回访结果只能在回访评价时填写" in response.json()["to_status"][0]


def test_evaluation_without_satisfaction_is_refused(world):
    _to_feedback(world.iw, world)
    lifecycle.move(world.iw, S.CLOSED, by=world.admin)
    with pytest.raises(lifecycle.TransitionError, match="回访评价需要填写"):
        lifecycle.move(world.iw, S.EVALUATED, by=world.worker_w)
    response = client_for(world.worker_w).post(f"/api/incidents/{world.iw.pk}/transition/",
                                               {"to_status": "evaluated"}, content_type="application/json")
    assert response.status_code == 400 and "回访评价需要填写" in response.json()["to_status"][0]
    lifecycle.move(world.iw, S.EVALUATED, by=world.worker_w, satisfaction="满意")
    assert (world.iw.status, world.iw.satisfaction) == (S.EVALUATED, "满意")
    assert world.iw.transitions.order_by("id").last().note == "回访满意"


def test_target_status_no_step_leads_to_is_a_clear_400_not_a_500(world):
    response = client_for(world.worker_w).post(f"/api/incidents/{world.iw.pk}/transition/",
                                               {"to_status": "reported"}, content_type="application/json")
    assert response.status_code == 400 and "事件不能流转为「信息采集」" in response.json()["to_status"][0]
    garbage = client_for(world.worker_w).post(f"/api/incidents/{world.iw.pk}/transition/",
                                              {"to_status": "closed'; DROP TABLE x;--", "from_status": 7},
                                              content_type="application/json")
    assert garbage.status_code == 400


def test_reopen_button_on_the_page_does_not_smuggle_a_satisfaction(world):
    """On a closed case the page offers 回访 (with 满意/不满意) and 处理中 (reopen): only the
    回访 form carries a satisfaction, and pressing 回访 without choosing one is refused."""
    _to_feedback(world.iw, world)
    lifecycle.move(world.iw, S.CLOSED, by=world.admin)
    c = client_for(world.worker_w)
    soup = BeautifulSoup(c.get(f"/incidents/{world.iw.pk}/").content.decode(), "html.parser")
    forms = {b["value"]: b.find_parent("form") for b in soup.select("form.steps button[name=to_status]")}
    assert set(forms) == {"evaluated", "handling"}
    assert forms["handling"].find(attrs={"name": "satisfaction"}) is None
    assert forms["evaluated"].find("select", attrs={"name": "satisfaction"}) is not None
    response = c.post(f"/incidents/{world.iw.pk}/", {"to_status": "evaluated", "from_status": "closed",
                                                      "satisfaction": ""}, follow=True)
    assert "回访评价需要填写" in response.content.decode()
    c.post(f"/incidents/{world.iw.pk}/", {"to_status": "evaluated", "from_status": "closed", "satisfaction": "不满意"})
    world.iw.refresh_from_db()
    assert world.iw.status == S.HANDLING
    assert world.iw.transitions.order_by("id").last().note == "回访不满意，退回处理"
