"""The incident lifecycle (DOMAIN.md §3): its statuses, its rules and the only way to move
an incident along it. This module is the one home of the rules; the Incident model takes
its transitions from ``IncidentLifecycle`` (a django-fsm-2 state machine).

    reported → accepted → dispatched → handling → feedback → closed → evaluated
        └→ cancelled (invalid report, refused at 立案)
    核查 not passed: feedback → handling; 回访: evaluated 满意 ends the case, 不满意 sends it
    back to handling (closed → handling).

Rules besides the graph:

* ``status`` is a protected FSM field: it cannot be assigned, only changed by a transition.
* Every move runs in one transaction that locks the incident row (SELECT … FOR UPDATE),
  re-reads the status, checks the move from *that* status, and writes the new status and
  its IncidentTransition together. A move based on a status that has changed meanwhile
  (another user was quicker) fails with ConcurrentMoveError instead of being recorded twice.
  The database checks the same invariant for every other writer (layers/incidents/sql/
  0002_incident_history_guard.sql): each step starts where the previous one ended and the
  incident's status is the last step's to_status.
* Separation of duties (GB/T 30428): whoever reported a case does not verify and close it
  (核查结案), unless settings.GRIDMAP_ALLOW_SELF_VERIFY (one-person communities).
* Roles (GB/T 30428), the ``permission=`` of each transition: 立案/不予立案 and 派遣 by the
  command centre (accounts.command_incidents); 接收处置 and 处理反馈 by a user of the case's
  department (accounts.handle_incidents and a member of incident.department); 核查结案,
  核查不通过 (back to handling), reopening and 回访 by a grid worker assigned to the case's grid.
  settings.GRIDMAP_COMBINED_ROLES (small communities) lets that grid worker also 立案, 派遣
  and handle. accounts.move_any_incident (administrators; superusers) may take every step.
* 派遣 names the department (``move(..., department=)``, active, of the incident's district);
  the department stays when the case comes back (核查 not passed, 回访 不满意).
* A satisfaction (满意/不满意) is given at the 回访 step and at no other; 回访 needs one.
* A step is never dated before the previous one, so the history reads in order.

The time limit of the incident's category runs from dispatch.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django_fsm import (
    RETURN_VALUE,
    ConcurrentTransition,
    ConcurrentTransitionMixin,
    FSMModelMixin,
    can_proceed,
    transition,
)

from layers.grids.limits import field_limit

if TYPE_CHECKING:  # the models import this module; only type checkers import them back
    from layers.incidents.models import Department, Incident, IncidentTransition

logger = logging.getLogger(__name__)


class IncidentStatus(models.TextChoices):
    """The incident lifecycle of 数字城管 / 网格化服务管理 (DOMAIN.md §3)."""

    REPORTED = "reported", "信息采集"
    ACCEPTED = "accepted", "立案"
    DISPATCHED = "dispatched", "派遣"
    HANDLING = "handling", "处理中"
    FEEDBACK = "feedback", "处理反馈"
    CLOSED = "closed", "核查结案"
    EVALUATED = "evaluated", "回访评价"
    CANCELLED = "cancelled", "不予立案"


S = IncidentStatus
SATISFACTION_CHOICES = [("满意", "满意"), ("不满意", "不满意")]
SATISFIED, UNSATISFIED = "满意", "不满意"
OPEN_STATUSES = {S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK}


class TransitionError(ValueError):
    """A move the lifecycle does not allow; the message is in Chinese (400 in the API)."""


class ConcurrentMoveError(TransitionError):
    """The incident moved on since the caller read it (409 in the API)."""


class SeparationOfDutiesError(TransitionError):
    """The user may not take this step on this incident (403 in the API)."""


def _label(status: str) -> str:
    return S(status).label if status in S.values else status


def reporter_ids(incident: Incident) -> set[int]:
    """Who reported the case: the reporter field and whoever recorded the first step."""
    ids = {incident.reporter_id}
    first = incident.transitions.order_by("id").values_list("by_id", flat=True).first()
    ids.add(first)
    ids.discard(None)
    return ids


COMMAND_PERMISSION = "accounts.command_incidents"  # 指挥中心
HANDLE_PERMISSION = "accounts.handle_incidents"  # 处置部门
ANY_STEP_PERMISSION = "accounts.move_any_incident"  # 管理员


def _any_step(user: Any) -> bool:
    return bool(user.is_superuser or user.has_perm(ANY_STEP_PERMISSION))


def works_grid(incident: Incident, user: Any) -> bool:
    """Is ``user`` a grid worker assigned to the incident's grid?"""
    from layers.grids.models import GridAssignment

    return incident.grid_id is not None and GridAssignment.objects.filter(user=user, grid_id=incident.grid_id).exists()


def in_department(incident: Incident, user: Any) -> bool:
    """Is ``user`` a member of the department the case was sent to?"""
    return incident.department_id is not None and incident.department.users.filter(pk=user.pk).exists()


def _combined(incident: Incident, user: Any) -> bool:
    return bool(getattr(settings, "GRIDMAP_COMBINED_ROLES", False)) and works_grid(incident, user)


def may_command(incident: Incident, user: Any) -> bool:
    """立案, 不予立案, 派遣: the command centre (or the grid worker where roles are combined)."""
    return _any_step(user) or user.has_perm(COMMAND_PERMISSION) or _combined(incident, user)


def may_handle_as_department(incident: Incident, user: Any) -> bool:
    """接收处置, 处理反馈: a user of the case's department (or the grid worker, combined)."""
    if _any_step(user) or _combined(incident, user):
        return True
    return user.has_perm(HANDLE_PERMISSION) and in_department(incident, user)


def may_check(incident: Incident, user: Any) -> bool:
    """核查 and 回访: a grid worker of the case's grid."""
    return _any_step(user) or works_grid(incident, user)


def may_handle(incident: Incident, user: Any) -> bool:
    """→ 处理中: from 派遣 the department takes the case up; from 处理反馈 (核查 not passed)
    or 核查结案 (reopened) the grid worker who checks sends it back."""
    if incident.status == S.DISPATCHED:
        return may_handle_as_department(incident, user)
    return may_check(incident, user)


def may_verify(incident: Incident, user: Any) -> bool:
    """核查结案 by a grid worker of the grid other than the reporter (GB/T 30428), unless
    GRIDMAP_ALLOW_SELF_VERIFY."""
    return may_check(incident, user) and not _reported_by(incident, user)


def _reported_by(incident: Incident, user: Any) -> bool:
    if getattr(settings, "GRIDMAP_ALLOW_SELF_VERIFY", False):
        return False
    user_id = getattr(user, "pk", None)
    return user_id is not None and user_id in reporter_ids(incident)


def refusal(incident: Incident, to_status: str, user: Any) -> str:
    """Why ``user`` may not take this step (Chinese, for the 403 message)."""
    if to_status == S.CLOSED and may_check(incident, user) and _reported_by(incident, user):
        return "上报人不能核查结案本人上报的事件，请由其他人员核查 (the reporter cannot verify and close the case)"
    if to_status in (S.ACCEPTED, S.CANCELLED, S.DISPATCHED):
        return "立案和派遣由指挥中心办理 (only the command centre accepts and dispatches cases)"
    if to_status == S.FEEDBACK or (to_status == S.HANDLING and incident.status == S.DISPATCHED):
        return "只有事件派遣到的处置部门人员可以处置和反馈 (only the department the case was sent to handles it)"
    return "核查和回访由本网格的网格员办理 (only a grid worker of the case's grid verifies and calls back)"


class IncidentLifecycle(ConcurrentTransitionMixin):
    """The state machine of an incident: one transition method per target status.

    Mixed into layers.incidents.models.Incident, whose ``status`` is a protected
    FSMField. ConcurrentTransitionMixin adds ``WHERE status = <status when read>`` to
    every UPDATE, a second guard behind the row lock taken by ``move``. Call ``move``,
    never these methods: they change the instance only, not the history.
    """

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        """Reload, thread-safely. django-fsm's FSMModelMixin lifts ``protected`` on the field
        object (shared by all threads) while it reloads, so a reload in another thread could
        switch it back mid-way and fail. Instead the cached status is dropped first: the
        descriptor then sees a first assignment, which it allows. (The status is always
        reloaded: ConcurrentTransitionMixin reads it whenever an instance is built; reloading
        some fields, it comes in the same query, not in a second one for the dropped value.)"""
        self.__dict__.pop("status", None)
        if fields is not None and "status" not in fields:
            fields = [*fields, "status"]
        super(FSMModelMixin, self).refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        self._update_initial_state()

    @transition(field="status", source=S.REPORTED, target=S.ACCEPTED, permission=may_command)
    def accept(self, at: datetime) -> None:
        """立案: the report is a case."""

    @transition(field="status", source=S.REPORTED, target=S.CANCELLED, permission=may_command)
    def cancel(self, at: datetime) -> None:
        """不予立案: invalid or duplicate report."""
        self.closed_at = at

    @transition(field="status", source=S.ACCEPTED, target=S.DISPATCHED, permission=may_command)
    def dispatch(self, at: datetime) -> None:
        """派遣: the clock of the category's time limit starts."""
        self.dispatched_at = at

    @transition(field="status", source=[S.DISPATCHED, S.FEEDBACK, S.CLOSED], target=S.HANDLING,
                permission=may_handle)
    def handle(self, at: datetime) -> None:
        """处理: taken up by the department, or sent back (核查 not passed, reopened)."""
        self.closed_at = None

    @transition(field="status", source=S.HANDLING, target=S.FEEDBACK, permission=may_handle_as_department)
    def report_back(self, at: datetime) -> None:
        """处理反馈: the department reports the case handled."""

    @transition(field="status", source=S.FEEDBACK, target=S.CLOSED, permission=may_verify)
    def verify_and_close(self, at: datetime) -> None:
        """核查结案: checked on site by someone other than the reporter."""
        self.closed_at = at

    @transition(field="status", source=S.CLOSED, target=RETURN_VALUE(S.EVALUATED, S.HANDLING), permission=may_check)
    def evaluate(self, at: datetime) -> str:
        """回访: 满意 ends the case; 不满意 sends it back to handling."""
        if self.satisfaction == SATISFIED:
            return S.EVALUATED
        self.closed_at = None
        return S.HANDLING


# Which transition method reaches which status (the API and pages name the target status).
METHOD_FOR: dict[str, str] = {
    S.ACCEPTED: "accept", S.CANCELLED: "cancel", S.DISPATCHED: "dispatch", S.HANDLING: "handle",
    S.FEEDBACK: "report_back", S.CLOSED: "verify_and_close", S.EVALUATED: "evaluate",
}


def _graph() -> dict[str, set[str]]:
    """source → reachable statuses, read from the transition methods above."""
    graph: dict[str, set[str]] = {s: set() for s in S.values}
    for to_status, name in METHOD_FOR.items():
        for source in getattr(IncidentLifecycle, name)._django_fsm.transitions:
            graph[source].add(to_status)
    return graph


ALLOWED: dict[str, set[str]] = _graph()


def allowed_next(status: str) -> list[str]:
    return sorted(ALLOWED[status])


def steps_for(incident: Incident, user: Any) -> list[str]:
    """The statuses ``user`` may move ``incident`` to now (for buttons)."""
    steps = []
    for to_status in allowed_next(incident.status):
        method = getattr(incident, METHOD_FOR[to_status])
        if can_proceed(method) and method._django_fsm.has_transition_perm(incident, incident.status, user):
            steps.append(to_status)
    return steps


def _not_allowed(current: str, to_status: str) -> TransitionError:
    return TransitionError(
        f"事件状态不能从「{_label(current)}」变为「{_label(to_status)}」"
        f" (transition {current} → {to_status} not allowed; next: {', '.join(allowed_next(current)) or 'none'})"
    )


def _check_request(to_status: str, satisfaction: str) -> None:
    """What can be refused before touching the database."""
    if to_status not in METHOD_FOR:
        raise TransitionError(f"事件不能流转为「{_label(to_status)}」 (no step leads to {to_status!r})")
    if satisfaction and satisfaction not in (SATISFIED, UNSATISFIED):
        raise TransitionError("回访结果只能是 满意 或 不满意 (satisfaction must be 满意 or 不满意)")
    if to_status == S.EVALUATED and not satisfaction:
        raise TransitionError("回访评价需要填写 满意 或 不满意 (evaluation needs a satisfaction)")
    if satisfaction and to_status != S.EVALUATED:
        raise TransitionError("回访结果只能在回访评价时填写 (satisfaction is given only at the 回访 step)")


def move(
    incident: Incident,
    to_status: str,
    *,
    by=None,
    note: str = "",
    at: datetime | None = None,
    satisfaction: str = "",
    expected_status: str | None = None,
    department: Department | None = None,
) -> IncidentTransition:
    """Move ``incident`` to ``to_status`` and record the step, as one locked transaction.

    ``expected_status`` is the status the caller saw (a page's hidden field, the API's
    ``from_status``); by default the status of ``incident`` as loaded. If the incident has
    moved on since, ConcurrentMoveError. ``by`` is the acting user; None for the system
    (no role or separation-of-duties check). ``satisfaction`` ('满意'/'不满意') belongs to
    回访 only; 不满意 sends the case back to handling. ``department`` is required at 派遣 and
    refused at every other step. The people concerned are notified (layers.incidents.
    notifications) in the same transaction; ``incident`` is refreshed afterwards.
    """
    at = at or timezone.now()
    _check_request(to_status, satisfaction)
    if to_status == S.DISPATCHED and department is None:
        raise TransitionError("派遣需要选择处置部门 (department: required to dispatch)")
    if department is not None and to_status != S.DISPATCHED:
        raise TransitionError("只有派遣时选择处置部门 (department is given only at dispatch)")
    seen = expected_status or incident.status
    try:
        with transaction.atomic():
            locked = type(incident).objects.select_for_update().get(pk=incident.pk)
            current = locked.status
            if current != seen:
                msg = (f"该事件已被他人更新为「{_label(current)}」，您看到的是「{_label(seen)}」，请刷新后重试"
                       f" (the incident moved on: {seen} → {current})")
                raise ConcurrentMoveError(msg)
            method = getattr(locked, METHOD_FOR[to_status])
            if not can_proceed(method):
                raise _not_allowed(current, to_status)
            if by is not None and not method._django_fsm.has_transition_perm(locked, current, by):
                raise SeparationOfDutiesError(refusal(locked, to_status, by))
            if department is not None:
                _check_department(locked, department)
                locked.department = department
                note = f"派遣至{department.name}" + (f"：{note}" if note else "")
            last_at = locked.transitions.order_by("-id").values_list("at", flat=True).first()
            if last_at is not None and at < last_at:
                raise TransitionError(f"流转时间不能早于上一步（{timezone.localtime(last_at):%Y-%m-%d %H:%M}）"
                                      " (a step cannot be dated before the previous one)")
            if to_status == S.EVALUATED:
                locked.satisfaction = satisfaction
            method(at=at)
            if locked.status == S.HANDLING and current == S.CLOSED and satisfaction == UNSATISFIED:
                note = note or "回访不满意，退回处理"
            elif to_status == S.EVALUATED:
                note = note or f"回访{satisfaction}"
            locked.save(update_fields=["status", "dispatched_at", "closed_at", "satisfaction", "department"])
            # The department's name comes first: a long note is cut, not refused by the database.
            note = note[:field_limit(locked.transitions.model, "note")]
            step = locked.transitions.create(from_status=current, to_status=locked.status, at=at, by=by, note=note)
            _notify(locked, step, by)
    except ConcurrentTransition as e:  # the UPDATE … WHERE status = <seen> found nothing
        raise ConcurrentMoveError(f"该事件已被他人更新，请刷新后重试 ({e})") from e
    except IntegrityError as e:  # the database's history guard (sql/0002_incident_history_guard.sql)
        if "incident_history" not in str(e):
            raise
        raise ConcurrentMoveError(f"该事件已被他人更新，请刷新后重试 ({e})") from e
    # The caller's instance follows (no second query; status through its own setter, as a reload would).
    incident.__dict__.pop("status", None)
    for name in ("status", "dispatched_at", "closed_at", "satisfaction", "department"):
        setattr(incident, name, getattr(locked, name))
    incident._update_initial_state()
    return step


def _check_department(incident: Incident, department: Department) -> None:
    """派遣 goes to an active department of the incident's district."""
    if not department.active:
        raise TransitionError(f"处置部门「{department.name}」已停用 (department: inactive)")
    if incident.grid_id is not None:
        district_id = type(incident).objects.filter(pk=incident.pk).values_list(
            "grid__community__street__district_id", flat=True).first()
        if district_id != department.district_id:
            raise TransitionError(f"处置部门「{department.name}」不属于事件所在的区 (department: other district)")


def _notify(incident: Incident, step: IncidentTransition, by: Any) -> None:
    """Tell the people concerned, in a savepoint: a failing notification never undoes a move."""
    from layers.incidents.notifications import notify_step

    try:
        with transaction.atomic():
            notify_step(incident, step, by)
    except Exception:  # logged; the case's step stands whatever the notifications do
        logger.exception("notifications for incident %s step %s failed", incident.pk, step.pk)


def deadline(incident: Incident) -> datetime | None:
    """When the category's 处置 limit runs out (it starts at dispatch); None before dispatch.
    The running stage's deadline (立案, 派遣 or 处置) is layers.incidents.limits.stage_clock."""
    if incident.dispatched_at is None:
        return None
    return incident.dispatched_at + timedelta(hours=incident.category.time_limit_hours)


def is_overdue(incident: Incident, *, now: datetime | None = None) -> bool:
    """Is the running stage (立案, 派遣 or 处置) past its limit (layers.incidents.limits)?"""
    from layers.incidents.limits import stage_clock  # limits reads the statuses of this module

    clock = stage_clock(incident, now=now)
    return clock is not None and clock.overdue


@transaction.atomic
def report(*, by=None, at: datetime | None = None, note: str = "", **fields) -> Incident:
    """Create an incident in status 信息采集 and record its first step (grid: by trigger)."""
    from layers.incidents.models import Incident  # the models import this module

    at = at or timezone.now()
    if name := fields.get("reporter_name"):
        # The reporter's login name (up to 150 characters) is a label here: cut to the field's
        # limit rather than refused by the database (a 500 for a user with a long login).
        fields["reporter_name"] = name[:field_limit(Incident, "reporter_name")]
    fields.pop("status", None)  # a new incident always starts at 信息采集
    incident = Incident.objects.create(status=S.REPORTED, reported_at=fields.pop("reported_at", at),
                                       reporter=fields.pop("reporter", by), **fields)
    start_history(incident, by=by, at=at, note=note)
    return incident


def start_history(incident: Incident, *, by=None, at: datetime | None = None, note: str = "") -> IncidentTransition:
    """The first step ('' → 信息采集) of an incident just saved in status 信息采集."""
    if incident.status != S.REPORTED:
        raise TransitionError(f"新事件应从「信息采集」开始，而不是「{_label(incident.status)}」")
    return incident.transitions.create(from_status="", to_status=S.REPORTED, at=at or timezone.now(), by=by,
                                       note=note)
