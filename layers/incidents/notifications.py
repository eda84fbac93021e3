"""In-app notifications (the bell): who hears of a case's step, and of a case about to run
out of time. The lifecycle calls :func:`notify_step` inside its move (in a savepoint); the
scheduled job ``incidents.notify_due_soon`` (layers/incidents/tasks.py) calls
:func:`notify_due_soon`.

- 派遣 → the users of the department it was sent to (新派遣);
- back to 处理中 (核查 not passed, reopened, 回访 不满意) → the department's users (退回处理);
- 处理反馈 → the grid workers of the case's grid, for 核查 (待核查);
- 核查结案 → the grid workers of the grid, for 回访 (待回访);
- 临期 or 超时 on the stage clock (layers.incidents.limits; still 派遣 or 处理中) → the
  department's users, once per case and person (即将超时).

The one who took the step is not told about it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from psycopg2 import sql

from layers.incidents import limits
from layers.incidents.lifecycle import IncidentStatus as S
from layers.incidents.models import Incident, IncidentTransition, Notification

TEXT_MAX = 300


def department_users(incident: Incident) -> QuerySet:
    if incident.department_id is None:
        return get_user_model().objects.none()
    return incident.department.users.filter(is_active=True)


def grid_workers(incident: Incident) -> QuerySet:
    if incident.grid_id is None:
        return get_user_model().objects.none()
    return get_user_model().objects.filter(grid_assignments__grid_id=incident.grid_id, is_active=True).distinct()


def _label(incident: Incident) -> str:
    where = incident.address or (incident.grid.name if incident.grid_id else "")
    return f"{incident.category.name}（{where}）" if where else incident.category.name


def _send(users, incident: Incident, kind: str, text: str, *, skip: Any = None) -> int:
    rows = [Notification(user=u, incident=incident, kind=kind, text=text[:TEXT_MAX])
            for u in users if skip is None or u.pk != getattr(skip, "pk", None)]
    Notification.objects.bulk_create(rows)
    return len(rows)


def notify_step(incident: Incident, step: IncidentTransition, by: Any = None) -> int:
    """Notify the people concerned by ``step`` of ``incident``; returns how many were."""
    label = _label(incident)
    if step.to_status == S.DISPATCHED:
        return _send(department_users(incident), incident, Notification.Kind.SENT,
                     f"新派遣：{label}，请及时接收处置", skip=by)
    if step.to_status == S.HANDLING and step.from_status in (S.FEEDBACK, S.CLOSED):
        why = "核查未通过" if step.from_status == S.FEEDBACK else "事件重新处理"
        if step.note:
            why += f"：{step.note}"
        return _send(department_users(incident), incident, Notification.Kind.RETURNED,
                     f"退回处理：{label}，{why}", skip=by)
    if step.to_status == S.FEEDBACK:
        return _send(grid_workers(incident), incident, Notification.Kind.FEEDBACK,
                     f"待核查：{label} 已处置反馈，请现场核查", skip=by)
    if step.to_status == S.CLOSED:
        return _send(grid_workers(incident), incident, Notification.Kind.VISIT,
                     f"待回访：{label} 已核查结案，请回访群众", skip=by)
    return 0


def due_cases(*, now: datetime) -> QuerySet:
    """Cases still 派遣 or 处理中 at a department that are 临期 or 超时 on their running stage's
    clock (layers.incidents.limits: one definition of "about to run out" for every page),
    annotated with ``stage_deadline``."""
    cases = Incident.objects.filter(status__in=[S.DISPATCHED, S.HANDLING], department__isnull=False)
    return limits.with_stage_deadline(cases).filter(limits.warning_q(now) | limits.overdue_q(now))


def anything_due(*, now: datetime | None = None) -> bool:
    """Is there a due case nobody was warned of yet? (the schedule queues a job only then)"""
    return due_cases(now=now or timezone.now()).exclude(notifications__kind=Notification.Kind.DUE_SOON).exists()


def notify_due_soon(*, now: datetime | None = None) -> int:
    """Warn the department of every case still 派遣 or 处理中 that is 临期 or 超时 (due_cases),
    once per case and person. Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for incident in due_cases(now=now).select_related("category", "grid", "department"):
        warned = set(Notification.objects.filter(incident=incident, kind=Notification.Kind.DUE_SOON)
                     .values_list("user_id", flat=True))
        users = [u for u in department_users(incident) if u.pk not in warned]
        limit_at = timezone.localtime(incident.stage_deadline)
        over = "已超时" if limit_at <= now else "即将超时"
        text = f"{over}：{_label(incident)}，处置时限 {limit_at:%m-%d %H:%M}"
        rows = [Notification(user=u, incident=incident, kind=Notification.Kind.DUE_SOON, text=text[:TEXT_MAX])
                for u in users]
        # ignore_conflicts: a second run at the same moment meets the once-per-case constraint.
        sent += len(Notification.objects.bulk_create(rows, ignore_conflicts=True))
    return sent


def unread_count(user) -> int:
    """The bell's number, on every page: one statement written once, not an ORM count built per
    page (the query's compilation was two fifths of the page header's 2 ms of CPU)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    with connection.cursor() as cur:
        cur.execute(_UNREAD_SQL, [user.pk])
        return cur.fetchone()[0]


_UNREAD_SQL = sql.SQL("SELECT count(*) FROM {} WHERE user_id = %s AND read_at IS NULL").format(
    sql.Identifier(Notification._meta.db_table))
