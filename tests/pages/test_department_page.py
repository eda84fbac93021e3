"""The department's page (/dept/), the case page's department controls, the bell and the
notifications page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from layers.incidents import lifecycle
from layers.incidents.models import IncidentStatus as S
from layers.incidents.models import Notification
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_command_centre_dispatches_from_the_case_page_to_a_department_of_the_district(world):
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    c = client_for(world.command)
    soup = _soup(c.get(f"/incidents/{world.iw.id}/"))
    form = soup.select_one("form.dept-step")
    assert form.select_one("input[name=to_status]")["value"] == "dispatched"
    assert {o.text for o in form.select("select[name=department] option") if o["value"]} == {
        world.dept.name, world.other_dept.name}
    assert not soup.select('form.steps button[value="dispatched"]')  # not also a bare button
    missing = c.post(f"/incidents/{world.iw.id}/step/", {"to_status": "dispatched", "from_status": "accepted"},
                     follow=True)
    assert "派遣需要选择处置部门" in missing.content.decode()
    c.post(f"/incidents/{world.iw.id}/step/", {"to_status": "dispatched", "from_status": "accepted",
                                               "department": world.dept.id, "note": "请今日处理"})
    world.iw.refresh_from_db()
    assert world.iw.status == S.DISPATCHED and world.iw.department == world.dept
    assert world.iw.transitions.last().note == f"派遣至{world.dept.name}：请今日处理"


def test_department_lists_its_open_cases_and_handles_them(world):
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    lifecycle.move(world.iw, S.DISPATCHED, by=world.command, department=world.dept)
    lifecycle.move(world.ie, S.ACCEPTED, by=world.command)
    lifecycle.move(world.ie, S.DISPATCHED, by=world.command, department=world.other_dept)
    c = client_for(world.dept_user)
    soup = _soup(c.get("/dept/"))
    links = [a["href"] for a in soup.select("#dept-cases a")]
    assert links == [f"/incidents/{world.iw.id}/"]
    assert "待接收" in soup.select_one("#dept-cases").text and "剩余" in soup.select_one("#dept-cases").text
    # another department's case: neither listed nor movable
    assert c.post(f"/incidents/{world.ie.id}/step/", {"to_status": "handling", "from_status": "dispatched"}
                  ).status_code == 404
    soup = _soup(c.get(f"/incidents/{world.iw.id}/"))
    assert [b.text for b in soup.select("form.dept-step button")] == ["接收处置"]
    c.post(f"/incidents/{world.iw.id}/step/", {"to_status": "handling", "from_status": "dispatched", "note": "已接收"})
    soup = _soup(c.get(f"/incidents/{world.iw.id}/"))
    assert [b.text for b in soup.select("form.dept-step button")] == ["处置反馈"]
    c.post(f"/incidents/{world.iw.id}/step/", {"to_status": "feedback", "from_status": "handling",
                                               "note": "已清理完毕"})
    world.iw.refresh_from_db()
    assert world.iw.status == S.FEEDBACK
    assert not _soup(c.get("/dept/")).select("#dept-cases a")  # waits for 核查: off the list
    # 核查 not passed: back on the list, marked 退回
    lifecycle.move(world.iw, S.HANDLING, by=world.worker_w, note="仍有杂物")
    soup = _soup(c.get("/dept/"))
    assert "退回" in soup.select_one("#dept-cases").text


def test_overdue_case_is_marked(world):
    start = timezone.now() - timedelta(hours=200)
    old = lifecycle.report(category=world.iw.category, description="超时的纠纷", geom=world.iw.geom, at=start)
    lifecycle.move(old, S.ACCEPTED, by=world.command, at=start)
    lifecycle.move(old, S.DISPATCHED, by=world.command, department=world.dept, at=start)
    soup = _soup(client_for(world.dept_user).get("/dept/"))
    assert "已超时" in soup.select_one("#dept-cases .overdue").text


def test_bell_counts_unread_and_the_list_is_escaped_and_marked_read(world):
    world.iw.address = '<script>alert("x")</script>'
    world.iw.save(update_fields=["address"])
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    lifecycle.move(world.iw, S.DISPATCHED, by=world.command, department=world.dept)
    c = client_for(world.dept_user)
    soup = _soup(c.get("/dept/"))
    assert soup.select_one("#bell-count").text == "1"
    page = c.get("/notifications/").content.decode()
    assert '<script>alert("x")</script>' not in page and "&lt;script&gt;" in page
    c.post("/notifications/")
    assert not Notification.objects.filter(user=world.dept_user, read_at__isnull=True).exists()
    assert _soup(c.get("/dept/")).select_one("#bell-count") is None
    assert c.post("/notifications/", {"id": "abc"}).status_code == 400


def test_worker_and_planner_do_not_open_the_department_page(world):
    assert client_for(world.worker_w).get("/dept/").status_code == 403
    assert client_for(world.planner).get("/dept/").status_code == 403
    soup = _soup(client_for(world.command).get("/dept/"))
    assert {a["href"] for a in soup.select("#command-cases a")} == {
        f"/incidents/{world.iw.id}/", f"/incidents/{world.ie.id}/"}
