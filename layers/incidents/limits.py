"""Time limits per stage (DOMAIN.md §3): the one home of "when is this case due, and is it late".

Three stages, each with a limit on the incident's category (hours):

    立案  status 信息采集              from 上报 (reported_at)      accept_limit_hours
    派遣  status 立案                  from 立案 (its history step)  dispatch_limit_hours
    处置  status 派遣/处理中/处理反馈   from 派遣 (dispatched_at)     time_limit_hours, until 核查结案

A closed, evaluated or cancelled case has no running stage. Within the last
``GRIDMAP_STAGE_WARNING_FRACTION`` of a stage (default 20 %, but at least
``GRIDMAP_STAGE_WARNING_MIN_HOURS``, default 0) the case is 临期 (warning); past its deadline
it is 超时 (overdue).

``stage_clock`` reads one incident; ``with_stage_deadline`` annotates a queryset so lists
filter by 超时 / 临期 in the database and read the clocks without a query per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Greatest
from django.utils import timezone

from layers.incidents.lifecycle import IncidentStatus as S

if TYPE_CHECKING:
    from layers.incidents.models import Incident

OK, WARNING, OVERDUE = "ok", "warning", "overdue"
STATE_LABELS = {OK: "正常", WARNING: "临期", OVERDUE: "超时"}
ACCEPT_STAGE, DISPATCH_STAGE, HANDLE_STAGE = "立案", "派遣", "处置"
HANDLE_STATUSES = (S.DISPATCHED, S.HANDLING, S.FEEDBACK)


def warning_fraction() -> float:
    return float(getattr(settings, "GRIDMAP_STAGE_WARNING_FRACTION", 0.2))


def warning_min_hours() -> float:
    return float(getattr(settings, "GRIDMAP_STAGE_WARNING_MIN_HOURS", 0))


@dataclass(frozen=True)
class StageClock:
    """The running stage of a case: its name, start, limit (hours), deadline and state."""

    stage: str
    started_at: datetime
    limit_hours: float
    deadline: datetime
    state: str
    seconds_left: float

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def overdue(self) -> bool:
        return self.state == OVERDUE

    @property
    def text(self) -> str:
        """'立案 剩余 12 分钟' / '处置 已超时 3 小时 5 分钟'."""
        span = duration_text(abs(self.seconds_left))
        return f"{self.stage} 已超时 {span}" if self.seconds_left < 0 else f"{self.stage} 剩余 {span}"


def duration_text(seconds: float) -> str:
    """A duration for people: '45 分钟', '3 小时 5 分钟', '2 天 4 小时'."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} 小时" + (f" {minutes} 分钟" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} 天" + (f" {hours} 小时" if hours else "")


def limit_text(hours: float | Decimal) -> str:
    """A limit in hours for people: '15 分钟', '12 小时'."""
    return duration_text(float(hours) * 3600)


def _state(started_at: datetime, limit_hours: float, now: datetime) -> tuple[datetime, str, float]:
    deadline = started_at + timedelta(hours=limit_hours)
    left = (deadline - now).total_seconds()
    warn_s = max(warning_fraction() * limit_hours, warning_min_hours()) * 3600
    state = OVERDUE if left < 0 else WARNING if left <= warn_s else OK
    return deadline, state, left


def accepted_at(incident: Incident) -> datetime | None:
    """When the case was opened (立案): its last step to 立案 (an annotation when present)."""
    if hasattr(incident, "accepted_at"):
        return incident.accepted_at
    return incident.transitions.filter(to_status=S.ACCEPTED).order_by("-id").values_list("at", flat=True).first()


def stage_start(incident: Incident) -> tuple[str, datetime | None, float] | None:
    """(stage, start, limit hours) of the running stage; None when no stage runs."""
    category = incident.category
    if incident.status == S.REPORTED:
        return ACCEPT_STAGE, incident.reported_at, float(category.accept_limit_hours)
    if incident.status == S.ACCEPTED:
        return DISPATCH_STAGE, accepted_at(incident), float(category.dispatch_limit_hours)
    if incident.status in HANDLE_STATUSES:
        return HANDLE_STAGE, incident.dispatched_at, float(category.time_limit_hours)
    return None


def stage_clock(incident: Incident, *, now: datetime | None = None) -> StageClock | None:
    """The clock of the running stage of ``incident``; None when closed, evaluated or cancelled."""
    started = stage_start(incident)
    if started is None or started[1] is None:
        return None
    stage, start, hours = started
    deadline, state, left = _state(start, hours, now or timezone.now())
    return StageClock(stage=stage, started_at=start, limit_hours=hours, deadline=deadline, state=state,
                      seconds_left=left)


# --- querysets ---------------------------------------------------------------------------------


class HoursInterval(models.Func):
    """``hours`` (a number) as a PostgreSQL interval."""

    template = "(%(expressions)s * interval '1 hour')"
    output_field = models.DurationField()


def with_stage_deadline(qs, district_codes: Sequence[str] | None = None):
    """``qs`` (incidents) annotated with ``accepted_at`` and ``stage_deadline`` (NULL when no
    stage runs), so lists filter and show clocks without a query per row. ``district_codes``
    (the districts ``qs`` lies in, when known) lets the history be read from their partitions only."""
    from layers.incidents.models import IncidentTransition

    history = IncidentTransition.objects.filter(incident=OuterRef("pk"), district_code=OuterRef("district_code"))
    if district_codes is not None:
        history = history.filter(district_code__in=district_codes)
    opened = history.filter(to_status=S.ACCEPTED).order_by("-id").values("at")[:1]
    qs = qs.annotate(accepted_at=Subquery(opened), stage_limit_hours=Case(
        When(status=S.REPORTED, then=F("category__accept_limit_hours")),
        When(status=S.ACCEPTED, then=F("category__dispatch_limit_hours")),
        When(status__in=HANDLE_STATUSES, then=Cast(F("category__time_limit_hours"), models.DecimalField(max_digits=8, decimal_places=2))),
        default=Value(None), output_field=models.DecimalField()))
    return qs.annotate(stage_deadline=Case(
        When(status=S.REPORTED, then=F("reported_at") + HoursInterval(F("category__accept_limit_hours"))),
        When(status=S.ACCEPTED, then=F("accepted_at") + HoursInterval(F("category__dispatch_limit_hours"))),
        When(status__in=HANDLE_STATUSES,
             then=F("dispatched_at") + HoursInterval(F("category__time_limit_hours"))),
        default=Value(None), output_field=models.DateTimeField()))


def overdue_q(now: datetime) -> Q:
    """Cases past the deadline of their running stage (on a ``with_stage_deadline`` queryset)."""
    return Q(stage_deadline__lt=now)


def warning_q(now: datetime) -> Q:
    """Cases in the warning part of their running stage, not yet overdue (same queryset)."""
    warn_h = Greatest(F("stage_limit_hours") * Value(Decimal(str(warning_fraction()))),
                      Value(Decimal(str(warning_min_hours()))), output_field=models.DecimalField())
    return Q(stage_deadline__gte=now) & Q(stage_deadline__lte=Value(now) + HoursInterval(warn_h))


def with_handle_deadline(qs):
    """``qs`` (incidents) annotated with ``handle_deadline``: the SQL twin of
    layers.incidents.lifecycle.deadline — 派遣 (dispatched_at) + the category's 处置 limit
    (time_limit_hours), NULL before dispatch — so closed-on-time counts are one aggregate."""
    return qs.annotate(handle_deadline=Case(
        When(dispatched_at__isnull=True, then=Value(None)),
        default=F("dispatched_at") + HoursInterval(F("category__time_limit_hours")),
        output_field=models.DateTimeField()))


def closed_on_time_q() -> Q:
    """Closed by the 处置 deadline (on a ``with_handle_deadline`` queryset), as the summaries
    counted it case by case: no deadline (never dispatched) counts as on time, else closed_at
    set and not after the deadline."""
    return Q(handle_deadline__isnull=True) | Q(closed_at__lte=F("handle_deadline"))
