"""Incidents move along the 数字城管 lifecycle; every step is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from layers.incidents import lifecycle
from layers.incidents.models import IncidentStatus as S
from tests.factories import category, department, point, two_grids

pytestmark = pytest.mark.django_db


def _incident(at=None):
    two_grids()
    return lifecycle.report(category=category("fire_risk"), description="楼道堆放杂物", geom=point(104.065, 30.655),
                            at=at)


def _walk(incident, steps):
    dept = department()
    for step in steps:
        lifecycle.move(incident, step, department=dept if step == S.DISPATCHED else None)
    return dept


def test_full_lifecycle_is_recorded_in_order():
    incident = _incident()
    _walk(incident, (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK, S.CLOSED))
    lifecycle.move(incident, S.EVALUATED, satisfaction="满意")
    incident.refresh_from_db()
    assert incident.status == S.EVALUATED and incident.satisfaction == "满意"
    assert [t.to_status for t in incident.transitions.all()] == [
        S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK, S.CLOSED, S.EVALUATED]
    assert incident.grid is not None


def test_unsatisfied_callback_sends_the_case_back_to_handling():
    incident = _incident()
    _walk(incident, (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK, S.CLOSED))
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
    lifecycle.move(incident, S.DISPATCHED, at=start, department=department())
    assert lifecycle.deadline(incident) == start + timedelta(hours=12)  # 消防隐患: 12 h
    assert lifecycle.is_overdue(incident)


def test_dispatch_needs_a_department_and_records_it():
    incident = _incident()
    lifecycle.move(incident, S.ACCEPTED)
    with pytest.raises(lifecycle.TransitionError, match="派遣需要选择处置部门"):
        lifecycle.move(incident, S.DISPATCHED)
    dept = department("市政养护所", "市政")
    step = lifecycle.move(incident, S.DISPATCHED, department=dept, note="尽快处理")
    incident.refresh_from_db()
    assert incident.status == S.DISPATCHED and incident.department == dept
    assert step.note == "派遣至市政养护所：尽快处理"
    assert [t.to_status for t in incident.transitions.all()][-1] == S.DISPATCHED


def test_department_is_given_at_dispatch_only():
    incident = _incident()
    with pytest.raises(lifecycle.TransitionError, match="只有派遣时选择处置部门"):
        lifecycle.move(incident, S.ACCEPTED, department=department())
    assert incident.transitions.count() == 1 and incident.department is None


def test_inactive_or_foreign_department_is_refused():
    from layers.grids.models import District
    from tests.factories import box

    incident = _incident()
    lifecycle.move(incident, S.ACCEPTED)
    off = department("停用部门")
    off.active = False
    off.save()
    with pytest.raises(lifecycle.TransitionError, match="已停用"):
        lifecycle.move(incident, S.DISPATCHED, department=off)
    District.objects.create(code="510105", name="青羊区", geom=box(103.9, 30.6, 104.0, 30.7))
    foreign = department("青羊城管", district_code="510105")
    with pytest.raises(lifecycle.TransitionError, match="不属于事件所在的区"):
        lifecycle.move(incident, S.DISPATCHED, department=foreign)
    incident.refresh_from_db()
    assert incident.status == S.ACCEPTED and incident.department is None and incident.transitions.count() == 2


def test_back_from_verification_keeps_the_department():
    incident = _incident()
    dept = _walk(incident, (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK))
    step = lifecycle.move(incident, S.HANDLING, note="核查未通过，垃圾仍未清运")
    incident.refresh_from_db()
    assert (step.from_status, step.to_status) == (S.FEEDBACK, S.HANDLING)
    assert incident.department == dept
    lifecycle.move(incident, S.FEEDBACK)
    lifecycle.move(incident, S.CLOSED)
    lifecycle.move(incident, S.EVALUATED, satisfaction="不满意")
    incident.refresh_from_db()
    assert incident.status == S.HANDLING and incident.department == dept


def test_reloading_some_fields_reloads_the_status_in_the_same_query(django_assert_num_queries):
    """The status is always reloaded (another request may have moved the case); with a few
    fields it comes in their query, not in a second one (every report reads its grid back)."""
    from layers.incidents.models import Incident

    incident = _incident()
    lifecycle.move(Incident.objects.get(pk=incident.pk), S.ACCEPTED)  # another request's copy
    Incident.objects.filter(pk=incident.pk).update(description="改过")
    with django_assert_num_queries(1):
        incident.refresh_from_db(fields=["grid"])
        assert incident.status == S.ACCEPTED and incident.grid_id is not None
    assert incident.description == "楼道堆放杂物"  # only what was asked (and the status) is read
    lifecycle.move(incident, S.DISPATCHED, department=department())  # the reloaded status guards the step
    incident.refresh_from_db()
    assert incident.status == S.DISPATCHED
