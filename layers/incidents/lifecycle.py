"""The incident lifecycle (DOMAIN.md §3) and the only way to move an incident along it.

    reported → accepted → dispatched → handling → feedback → closed → evaluated
        └→ cancelled (invalid report, refused at 立案)
    回访: evaluated 满意 ends the case; 不满意 sends it back to handling.

Every move writes an IncidentTransition (who, when, from, to, note). The time limit of
the incident's category runs from dispatch.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from layers.grids.limits import field_limit
from layers.incidents.models import Incident, IncidentStatus, IncidentTransition

S = IncidentStatus

ALLOWED: dict[str, set[str]] = {
    S.REPORTED: {S.ACCEPTED, S.CANCELLED},
    S.ACCEPTED: {S.DISPATCHED},
    S.DISPATCHED: {S.HANDLING},
    S.HANDLING: {S.FEEDBACK},
    S.FEEDBACK: {S.CLOSED, S.HANDLING},
    S.CLOSED: {S.EVALUATED, S.HANDLING},
    S.EVALUATED: set(),
    S.CANCELLED: set(),
}
OPEN_STATUSES = {S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK}


class TransitionError(ValueError):
    """A move the lifecycle does not allow; the message names both statuses in Chinese."""


def allowed_next(status: str) -> list[str]:
    return sorted(ALLOWED[status])


@transaction.atomic
def move(
    incident: Incident,
    to_status: str,
    *,
    by=None,
    note: str = "",
    at: datetime | None = None,
    satisfaction: str = "",
) -> IncidentTransition:
    """Move ``incident`` to ``to_status`` and record the step.

    ``satisfaction`` ('满意'/'不满意') is the 回访 outcome: required to evaluate a closed case;
    不满意 on a closed case sends it back to handling instead.
    """
    at = at or timezone.now()
    current = incident.status
    if to_status == S.EVALUATED and satisfaction not in ("满意", "不满意"):
        raise TransitionError("回访评价需要填写 满意 或 不满意 (evaluation needs a satisfaction)")
    if current == S.CLOSED and satisfaction == "不满意":
        to_status = S.HANDLING
        note = note or "回访不满意，退回处理"
    if to_status not in ALLOWED[current]:
        msg = (
            f"事件状态不能从「{S(current).label}」变为「{S(to_status).label}」"
            f" (transition {current} → {to_status} not allowed; next: {', '.join(allowed_next(current)) or 'none'})"
        )
        raise TransitionError(msg)
    if to_status == S.DISPATCHED:
        incident.dispatched_at = at
    if to_status in (S.CLOSED, S.CANCELLED):
        incident.closed_at = at
    if to_status == S.HANDLING:
        incident.closed_at = None
    if satisfaction:
        incident.satisfaction = satisfaction
    incident.status = to_status
    incident.save(update_fields=["status", "dispatched_at", "closed_at", "satisfaction"])
    return IncidentTransition.objects.create(
        incident=incident, from_status=current, to_status=to_status, at=at, by=by, note=note
    )


def deadline(incident: Incident) -> datetime | None:
    """When the category's time limit runs out (it starts at dispatch); None before dispatch."""
    if incident.dispatched_at is None:
        return None
    return incident.dispatched_at + timedelta(hours=incident.category.time_limit_hours)


def is_overdue(incident: Incident, *, now: datetime | None = None) -> bool:
    limit = deadline(incident)
    return limit is not None and incident.status in OPEN_STATUSES and (now or timezone.now()) > limit


@transaction.atomic
def report(*, by=None, at: datetime | None = None, note: str = "", **fields) -> Incident:
    """Create an incident in status 信息采集 and record its first step (grid: by trigger)."""
    at = at or timezone.now()
    if name := fields.get("reporter_name"):
        # The reporter's login name (up to 150 characters) is a label here: cut to the field's
        # limit rather than refused by the database (a 500 for a user with a long login).
        fields["reporter_name"] = name[:field_limit(Incident, "reporter_name")]
    incident = Incident.objects.create(status=S.REPORTED, reported_at=fields.pop("reported_at", at),
                                       reporter=by, **fields)
    IncidentTransition.objects.create(incident=incident, from_status="", to_status=S.REPORTED, at=at, by=by,
                                      note=note)
    return incident
