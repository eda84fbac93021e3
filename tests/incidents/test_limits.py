"""Time limits per stage (立案, 派遣, 处置): the running stage, its deadline, 临期 before, 超时 after."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from layers.incidents import lifecycle, limits
from layers.incidents.models import Incident, IncidentCategory
from layers.incidents.models import IncidentStatus as S
from tests.factories import category, department_of, point, two_grids

pytestmark = pytest.mark.django_db


def _report(at, code="fire_risk"):
    return lifecycle.report(category=category(code), description="楼道堆放杂物", geom=point(104.065, 30.655), at=at)


@pytest.fixture
def grids(db):
    return two_grids()


def test_seeded_stage_limits_follow_the_published_city_limits():
    fire, emergency = category("fire_risk"), category("emergency")
    # 立案 + 派遣 within 30 minutes, 10 minutes for emergencies (DOMAIN.md §3, Taiyuan).
    assert fire.accept_limit_hours + fire.dispatch_limit_hours == Decimal("0.5")
    assert emergency.accept_limit_hours + emergency.dispatch_limit_hours <= Decimal("0.17")
    assert IncidentCategory._meta.get_field("time_limit_hours").verbose_name == "处置时限(小时)"


def test_accept_stage_runs_from_the_report(grids):
    now = timezone.now()
    incident = _report(now - timedelta(minutes=10))  # 立案 limit 15 minutes: 5 left of 15
    clock = limits.stage_clock(incident, now=now)
    assert clock.stage == "立案" and clock.state == limits.OK
    assert clock.deadline == incident.reported_at + timedelta(minutes=15)
    assert clock.text == "立案 剩余 5 分钟"
    # the last 20 % (3 minutes) is 临期
    assert limits.stage_clock(incident, now=now + timedelta(minutes=3)).state == limits.WARNING
    late = limits.stage_clock(incident, now=now + timedelta(minutes=50))
    assert late.state == limits.OVERDUE and late.text == "立案 已超时 45 分钟"
    assert lifecycle.is_overdue(incident, now=now + timedelta(minutes=50))
    assert not lifecycle.is_overdue(incident, now=now)


def test_dispatch_stage_runs_from_acceptance_and_handling_from_dispatch(grids):
    start = timezone.now() - timedelta(hours=14)
    incident = _report(start)
    lifecycle.move(incident, S.ACCEPTED, at=start + timedelta(minutes=10))
    clock = limits.stage_clock(incident, now=start + timedelta(minutes=20))
    assert clock.stage == "派遣" and clock.started_at == start + timedelta(minutes=10)
    assert clock.deadline == start + timedelta(minutes=25) and clock.state == limits.OK
    lifecycle.move(incident, S.DISPATCHED, at=start + timedelta(minutes=40), department=department_of(incident))  # 15 minutes late: not carried over
    clock = limits.stage_clock(incident, now=start + timedelta(hours=10, minutes=30))
    assert clock.stage == "处置" and clock.deadline == start + timedelta(minutes=40, hours=12)
    assert clock.state == limits.WARNING  # 2 h 10 min left of 12 h (< 20 %: 2 h 24 min)
    assert lifecycle.deadline(incident) == clock.deadline  # the 处置 deadline, as before
    for step in (S.HANDLING, S.FEEDBACK):
        lifecycle.move(incident, step)
        assert limits.stage_clock(incident).stage == "处置"
    assert limits.stage_clock(incident).overdue  # 14 h after the report, 13 h 20 min after dispatch
    lifecycle.move(incident, S.CLOSED)
    assert limits.stage_clock(incident) is None and not lifecycle.is_overdue(incident)


def test_cancelled_case_has_no_clock(grids):
    incident = _report(timezone.now() - timedelta(days=3))
    lifecycle.move(incident, S.CANCELLED, note="无效上报")
    assert limits.stage_clock(incident) is None


def test_warning_can_be_a_configured_number_of_hours(grids, settings):
    now = timezone.now()
    incident = _report(now - timedelta(minutes=1))
    assert limits.stage_clock(incident, now=now).state == limits.OK
    settings.GRIDMAP_STAGE_WARNING_MIN_HOURS = 1  # warn an hour ahead, even for a 15-minute stage
    assert limits.stage_clock(incident, now=now).state == limits.WARNING


def test_database_filters_agree_with_the_clocks(grids):
    now = timezone.now()
    cases = {
        "accept_ok": _report(now - timedelta(minutes=2)),
        "accept_warning": _report(now - timedelta(minutes=13)),
        "accept_overdue": _report(now - timedelta(hours=2)),
        "dispatch_overdue": _report(now - timedelta(hours=3)),
        "handle_ok": _report(now - timedelta(hours=3)),
        "handle_overdue": _report(now - timedelta(days=2)),
        "closed": _report(now - timedelta(days=2)),
    }
    lifecycle.move(cases["dispatch_overdue"], S.ACCEPTED, at=now - timedelta(hours=2))
    for key in ("handle_ok", "handle_overdue", "closed"):
        lifecycle.move(cases[key], S.ACCEPTED, at=cases[key].reported_at + timedelta(minutes=5))
        lifecycle.move(cases[key], S.DISPATCHED, at=cases[key].reported_at + timedelta(minutes=10),
                       department=department_of(cases[key]))
    for step in (S.HANDLING, S.FEEDBACK, S.CLOSED):
        lifecycle.move(cases["closed"], step)
    qs = limits.with_stage_deadline(Incident.objects.select_related("category"))
    overdue = set(qs.filter(limits.overdue_q(now)).values_list("pk", flat=True))
    warning = set(qs.filter(limits.warning_q(now)).values_list("pk", flat=True))
    by_pk = {i.pk: i for i in qs}
    for name, incident in cases.items():
        clock = limits.stage_clock(by_pk[incident.pk], now=now)
        state = clock.state if clock else None
        assert (incident.pk in overdue) == (state == limits.OVERDUE), name
        assert (incident.pk in warning) == (state == limits.WARNING), name
    assert {n for n, i in cases.items() if i.pk in overdue} == {"accept_overdue", "dispatch_overdue",
                                                                  "handle_overdue"}
    assert {n for n, i in cases.items() if i.pk in warning} == {"accept_warning"}


def test_duration_text_reads_like_people_say_it():
    assert limits.duration_text(59) == "0 分钟"
    assert limits.duration_text(3 * 3600 + 5 * 60) == "3 小时 5 分钟"
    assert limits.duration_text(50 * 3600) == "2 天 2 小时"
    assert limits.limit_text(Decimal("0.25")) == "15 分钟"


def test_api_shows_the_running_stage(grids):
    from django.contrib.auth.models import User

    from tests.fixtures_world import client_for

    incident = _report(timezone.now() - timedelta(hours=1))
    lifecycle.move(incident, S.ACCEPTED, at=timezone.now() - timedelta(minutes=5))
    admin = User.objects.create_user("api_admin", is_superuser=True)
    props = client_for(admin).get("/api/incidents/").json()["features"][0]["properties"]
    assert props["stage"]["name"] == "派遣" and props["stage"]["state"] == limits.OK


def test_handle_deadline_in_sql_equals_the_lifecycle_deadline_case_by_case(grids):
    """limits.with_handle_deadline / closed_on_time_q (the summaries' 按期结案) agree with
    lifecycle.deadline on a case in every status, closed on time, closed late and reopened."""
    start = timezone.now() - timedelta(days=5)

    def case(*steps, dispatch_after=timedelta(minutes=10), close_after=None, code="fire_risk"):
        incident = _report(start, code)
        at = start
        for step in steps:  # each step a minute after the previous one, 派遣 and 结案 when asked
            at = {S.DISPATCHED: start + dispatch_after,
                  S.CLOSED: start + close_after if close_after else None}.get(step) or at + timedelta(minutes=1)
            lifecycle.move(incident, step, at=at, satisfaction="满意" if step == S.EVALUATED else "",
                           department=department_of(incident) if step == S.DISPATCHED else None)
        return incident

    handled = (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK)
    cases = {
        "reported": case(),
        "cancelled": case(S.CANCELLED),
        "accepted": case(S.ACCEPTED),
        "dispatched": case(S.ACCEPTED, S.DISPATCHED),
        "handling": case(S.ACCEPTED, S.DISPATCHED, S.HANDLING),
        "feedback": case(*handled),
        "closed_on_time": case(*handled, S.CLOSED, close_after=timedelta(hours=6)),
        "closed_at_the_deadline": case(*handled, S.CLOSED, close_after=timedelta(hours=12, minutes=10)),
        "closed_late": case(*handled, S.CLOSED, close_after=timedelta(hours=30)),
        "evaluated_on_time": case(*handled, S.CLOSED, S.EVALUATED, close_after=timedelta(hours=2)),
        "evaluated_late": case(*handled, S.CLOSED, S.EVALUATED, close_after=timedelta(days=2)),
        "reopened": case(*handled, S.CLOSED, S.HANDLING, close_after=timedelta(hours=1)),
        "emergency_late": case(*handled, S.CLOSED, close_after=timedelta(hours=20), code="emergency"),
    }
    qs = limits.with_handle_deadline(Incident.objects.select_related("category"))
    by_pk = {i.pk: i for i in qs}
    on_time = set(qs.filter(limits.closed_on_time_q()).values_list("pk", flat=True))
    assert len({i.status for i in by_pk.values()}) == len(S.values)  # every status is here
    for name, incident in cases.items():
        row = by_pk[incident.pk]
        expected = lifecycle.deadline(row)
        assert row.handle_deadline == expected, name
        python_on_time = expected is None or (row.closed_at is not None and row.closed_at <= expected)
        assert (incident.pk in on_time) == python_on_time, name
    closed = {n for n, i in cases.items() if by_pk[i.pk].status in (S.CLOSED, S.EVALUATED)}
    assert {n for n in closed if cases[n].pk in on_time} == {"closed_on_time", "closed_at_the_deadline",
                                                             "evaluated_on_time"}
    assert by_pk[cases["accepted"].pk].handle_deadline is None
