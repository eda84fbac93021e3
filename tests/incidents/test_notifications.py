"""Notifications in the app: a case sent to a department tells its people, a case coming
back tells them too, 处理反馈 and 核查结案 tell the grid workers (核查, 回访), and the
scheduled job warns the department once when the limit is close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from layers.incidents import lifecycle, notifications
from layers.incidents.models import IncidentStatus as S
from layers.incidents.models import Notification
from layers.incidents.tasks import queue_due_soon
from layers.jobs.models import Job
from layers.jobs.tasks import run_job
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


def test_each_step_notifies_the_people_concerned(world):
    world.iw.address = "西路8号"
    world.iw.save(update_fields=["address"])
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    assert Notification.objects.count() == 0
    lifecycle.move(world.iw, S.DISPATCHED, by=world.command, department=world.dept)
    sent = Notification.objects.get(user=world.dept_user)
    assert (sent.kind, sent.incident_id, sent.read_at) == ("sent", world.iw.id, None)
    assert sent.text == f"新派遣：{world.iw.category.name}（西路8号），请及时接收处置"
    assert _kinds(world.other_dept_user) == [] and _kinds(world.worker_w) == []
    lifecycle.move(world.iw, S.HANDLING, by=world.dept_user)
    lifecycle.move(world.iw, S.FEEDBACK, by=world.dept_user)
    assert _kinds(world.worker_w) == ["feedback"] and _kinds(world.worker_e) == []
    lifecycle.move(world.iw, S.HANDLING, by=world.worker_w, note="现场仍有杂物")
    assert _kinds(world.dept_user) == ["sent", "returned"]
    assert "现场仍有杂物" in Notification.objects.filter(user=world.dept_user).order_by("id").last().text
    lifecycle.move(world.iw, S.FEEDBACK, by=world.dept_user)
    lifecycle.move(world.iw, S.CLOSED, by=world.worker_w)
    # the worker who verified is not told of their own step; nobody else works this grid
    assert _kinds(world.worker_w) == ["feedback", "feedback"]


def test_closed_case_asks_other_grid_workers_for_the_callback(world):
    from django.contrib.auth.models import User

    from layers.grids.models import GridAssignment

    second = User.objects.create_user("wangge_w2")
    GridAssignment.objects.create(user=second, grid=world.west)
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    lifecycle.move(world.iw, S.DISPATCHED, by=world.command, department=world.dept)
    lifecycle.move(world.iw, S.HANDLING, by=world.dept_user)
    lifecycle.move(world.iw, S.FEEDBACK, by=world.dept_user)
    lifecycle.move(world.iw, S.CLOSED, by=world.worker_w)
    assert _kinds(second) == ["feedback", "visit"]


def test_due_soon_job_warns_the_department_once(world, settings):
    now = timezone.now()
    limit_h = world.iw.category.time_limit_hours
    old = lifecycle.report(category=world.iw.category, description="早上报的纠纷", geom=world.iw.geom,
                           at=now - timedelta(hours=limit_h + 1))
    lifecycle.move(old, S.ACCEPTED, by=world.command, at=now - timedelta(hours=limit_h))
    # dispatched long enough ago that one hour is left: the last 20 % of the stage (临期)
    lifecycle.move(old, S.DISPATCHED, by=world.command, department=world.dept,
                   at=now - timedelta(hours=limit_h - 1))
    lifecycle.move(world.ie, S.ACCEPTED, by=world.command)
    lifecycle.move(world.ie, S.DISPATCHED, by=world.command, department=world.other_dept)  # the whole limit left
    Notification.objects.all().delete()
    assert queue_due_soon() is True
    job = Job.objects.get(kind="incidents.notify_due_soon")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.result["sent"] == 1
    warned = Notification.objects.get()
    assert (warned.user, warned.incident, warned.kind) == (world.dept_user, old, "due_soon")
    assert "即将超时" in warned.text
    assert notifications.notify_due_soon() == 0  # once per case
    assert queue_due_soon() is False  # nothing left to warn of: no job
    assert notifications.notify_due_soon(now=now + timedelta(hours=500)) == 1  # the other one, later


def test_due_soon_schedule_exists_after_migrate():
    from django_q.models import Schedule

    from layers.incidents.tasks import SCHEDULE_NAME, ensure_schedule

    assert Schedule.objects.filter(name=SCHEDULE_NAME).exists()  # made by migrate (post_migrate)
    # Made again (the test database was migrated minutes ago, so its first run may be near):
    # the first run is one period away, and a second call neither duplicates nor resets it.
    Schedule.objects.filter(name=SCHEDULE_NAME).delete()
    ensure_schedule()
    first = Schedule.objects.get(name=SCHEDULE_NAME).next_run
    ensure_schedule()
    schedule = Schedule.objects.get(name=SCHEDULE_NAME)
    assert schedule.next_run == first
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "layers.incidents.tasks.queue_due_soon", Schedule.MINUTES, 15)
    assert schedule.next_run > timezone.now() + timedelta(minutes=10)


def test_a_failing_notification_does_not_undo_the_move(world, monkeypatch):
    def broken(*args, **kwargs):
        msg = "通知服务故障"
        raise RuntimeError(msg)

    monkeypatch.setattr(notifications, "notify_step", broken)
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    lifecycle.move(world.iw, S.DISPATCHED, by=world.command, department=world.dept)
    world.iw.refresh_from_db()
    assert world.iw.status == S.DISPATCHED and world.iw.transitions.count() == 3


def test_the_bell_counts_the_users_unread_notifications_only(world):
    for user, read in ((world.worker_w, False), (world.worker_w, False), (world.worker_w, True),
                       (world.worker_e, False)):
        Notification.objects.create(user=user, incident=world.iw, kind=Notification.Kind.SENT, text="测试",
                                    read_at=timezone.now() if read else None)
    assert notifications.unread_count(world.worker_w) == 2
    assert notifications.unread_count(world.worker_e) == 1
    assert notifications.unread_count(world.dept_user) == 0
    page = client_for(world.worker_w).get("/my/").content.decode()
    assert '<span class="badge" id="bell-count">2</span>' in page
