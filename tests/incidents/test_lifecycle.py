"""Incidents move along the 数字城管 lifecycle; every step is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from layers.incidents import lifecycle
from layers.incidents.models import IncidentStatus as S
from tests.factories import category, point, two_grids

pytestmark = pytest.mark.django_db


def _incident(at=None):
    two_grids()
    return lifecycle.report(category=category("fire_risk"), description="楼道堆放杂物", geom=point(104.065, 30.655),
                            at=at)


def test_full_lifecycle_is_recorded_in_order():
    incident = _incident()
    for step in (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK, S.CLOSED):
        lifecycle.move(incident, step)
    lifecycle.move(incident, S.EVALUATED, satisfaction="满意")
    incident.refresh_from_db()
    assert incident.status == S.EVALUATED and incident.satisfaction == "满意"
    assert [t.to_status for t in incident.transitions.all()] == [
        S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK, S.CLOSED, S.EVALUATED]
    assert incident.grid is not None


def test_unsatisfied_callback_sends_the_case_back_to_handling():
    incident = _incident()
    for step in (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK, S.CLOSED):
        lifecycle.move(incident, step)
    t = lifecycle.move(incident, S.EVALUATED, satisfaction="不满意")
    assert (t.from_status, t.to_status) == (S.CLOSED, S.HANDLING)
    assert incident.status == S.HANDLING and incident.closed_at is None


def test_invalid_transition_is_refused_with_a_clear_message():
    incident = _incident()
    with pytest.raises(lifecycle.TransitionError, match="不能从「信息采集」变为「核查结案」"):
        lifecycle.move(incident, S.CLOSED)
    assert incident.transitions.count() == 1


def test_cancelled_at_acceptance():
    incident = _incident()
    lifecycle.move(incident, S.CANCELLED, note="重复上报")
    assert lifecycle.allowed_next(incident.status) == []


def test_time_limit_runs_from_dispatch():
    start = timezone.now() - timedelta(hours=13)
    incident = _incident(at=start - timedelta(hours=1))
    assert lifecycle.deadline(incident) is None
    lifecycle.move(incident, S.ACCEPTED, at=start - timedelta(minutes=30))
    lifecycle.move(incident, S.DISPATCHED, at=start)
    assert lifecycle.deadline(incident) == start + timedelta(hours=12)  # 消防隐患: 12 h
    assert lifecycle.is_overdue(incident)
