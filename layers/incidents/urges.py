"""督办 and 催办 (DOMAIN.md §3: figures leaders watch count them): who may issue them on a case
and the one writer of IncidentUrge. They never move the case: its history stays the list
of status moves (layers.incidents.lifecycle)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from layers.incidents.lifecycle import OPEN_STATUSES
from layers.incidents.models import IncidentUrge

if TYPE_CHECKING:
    from layers.incidents.models import Incident

SUPERVISE, URGE = IncidentUrge.SUPERVISE, IncidentUrge.URGE
NOTE_MAX = 300


class UrgeError(ValueError):
    """An urge that cannot be recorded; str() is the message for the user (Chinese)."""


class UrgeNotAllowed(UrgeError):
    """The user may not issue this kind of urge on this case (403)."""


def may_supervise(user: Any) -> bool:
    """督办: the command centre and administrators (incidents.supervise_incident)."""
    return bool(user and user.is_authenticated and user.has_perm("incidents.supervise_incident"))


def may_urge(incident: Incident, user: Any) -> bool:
    """催办: grid workers (incidents.urge_incident) and whoever reported the case."""
    if not (user and user.is_authenticated):
        return False
    return user.has_perm("incidents.urge_incident") or (incident.reporter_id is not None
                                                         and incident.reporter_id == user.pk)


def kinds_for(incident: Incident, user: Any) -> list[str]:
    """The urges ``user`` may issue on ``incident`` now (for buttons): none once it is closed."""
    if incident.status not in OPEN_STATUSES:
        return []
    return [k for k, ok in ((SUPERVISE, may_supervise(user)), (URGE, may_urge(incident, user))) if ok]


def record(incident: Incident, kind: str, *, by: Any, note: str = "", at: datetime | None = None) -> IncidentUrge:
    """Log a 督办 or 催办 by ``by`` on an open case; UrgeError / UrgeNotAllowed otherwise."""
    if kind not in (SUPERVISE, URGE):
        raise UrgeError(f"类型只能是 督办 或 催办（收到「{kind[:20]}」）")
    if len(note) > NOTE_MAX:
        raise UrgeError(f"说明最多 {NOTE_MAX} 个字（现有 {len(note)} 个）")
    if incident.status not in OPEN_STATUSES:
        raise UrgeError(f"事件已「{incident.get_status_display()}」，不能再{kind}")
    allowed = may_supervise(by) if kind == SUPERVISE else may_urge(incident, by)
    if not allowed:
        who = "指挥中心或管理员" if kind == SUPERVISE else "网格员或上报人"
        raise UrgeNotAllowed(f"只有{who}可以{kind}")
    return IncidentUrge.objects.create(incident=incident, kind=kind, by=by, note=note, at=at or timezone.now())
