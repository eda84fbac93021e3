"""Which incidents to count: the filter of the hot spot analysis, turned into bound SQL.

Time window ``since`` ≤ reported_at < ``until``; category codes; statuses (default: every
status but 不予立案 ``cancelled``, which are invalid reports, not incidents); local hours of
day ``(start, end)`` with ``end`` exclusive, wrapping midnight (20-02 = 20:00–01:59); ISO
weekdays 1 = Monday … 7 = Sunday. Hours and weekdays are read on the local clock of
settings.TIME_ZONE (Asia/Shanghai). Only incidents linked to a grid count (the study area
is the grids; with ``district`` set, that district's grids), so that grid and hexagon
totals agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from layers.incidents.models import IncidentStatus

DEFAULT_STATUSES: tuple[str, ...] = tuple(s for s in IncidentStatus.values if s != IncidentStatus.CANCELLED)
WEEKDAYS_ZH = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}


class IncidentQueryError(ValueError):
    """A filter or cell option that cannot be used; the message is in Chinese and names the field."""


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_hours(text: str) -> tuple[int, int]:
    """'20-02' → (20, 2): local hours from 20:00 up to (not including) 02:00; '0-24' is all day."""
    try:
        start, end = (int(part) for part in text.split("-"))
    except ValueError as e:
        msg = f"时段格式应为“起-止”（小时），例如 20-02；收到的是“{text[:40]}”"
        raise IncidentQueryError(msg) from e
    _check_hours((start, end))
    return start, end


def _check_hours(hours: tuple[int, int]) -> None:
    start, end = hours
    in_range = 0 <= start <= 23 and 0 <= end <= 24
    if not in_range or ((start == end % 24) and (start, end) != (0, 24)):
        msg = f"时段 {start}-{end} 无效：开始应为 0–23 时，结束应为 0–24 时，且二者不能相同"
        raise IncidentQueryError(msg)


def parse_weekdays(text: str) -> tuple[int, ...]:
    """'5,6' or '1-5' → ISO weekdays (1 = Monday … 7 = Sunday)."""
    days: set[int] = set()
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            lo, _, hi = part.partition("-")
            days.update(range(int(lo), int(hi or lo) + 1))
    except ValueError as e:
        msg = f"星期格式应为 1-5 或 5,6；收到的是“{text[:40]}”"
        raise IncidentQueryError(msg) from e
    if not days or not days <= set(WEEKDAYS_ZH):
        msg = f"星期应为 1（周一）至 7（周日）；收到的是“{text[:40]}”"
        raise IncidentQueryError(msg)
    return tuple(sorted(days))


@dataclasses.dataclass(frozen=True)
class IncidentFilter:
    """Which incidents to count. ``since``/``until`` are aware datetimes (``until``
    exclusive, None = open); ``hours`` is (start, end) local hours, end exclusive, wrapping
    midnight; ``weekdays`` are ISO 1..7; ``district`` is a 6-digit code limiting the study area."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    hours: tuple[int, int] | None = None
    weekdays: tuple[int, ...] = ()
    district: str | None = None

    def __post_init__(self) -> None:
        for value in (self.since, self.until):
            if value is not None and timezone.is_naive(value):
                msg = "开始和结束时间须带时区"
                raise IncidentQueryError(msg)
        if self.since and self.until and self.since >= self.until:
            msg = f"开始时间应早于结束时间：{self.since:%Y-%m-%d %H:%M} 不早于 {self.until:%Y-%m-%d %H:%M}"
            raise IncidentQueryError(msg)
        unknown = set(self.statuses) - set(IncidentStatus.values)
        if unknown or not self.statuses:
            known = "、".join(str(label) for label in IncidentStatus.labels)
            msg = f"事件状态无效：{'、'.join(sorted(unknown))[:80] or '未选择'}；可选：{known}"
            raise IncidentQueryError(msg)
        if self.hours is not None:
            _check_hours(self.hours)
        if not set(self.weekdays) <= set(WEEKDAYS_ZH):
            msg = f"星期应为 1（周一）至 7（周日）；收到的是 {self.weekdays}"
            raise IncidentQueryError(msg)

    @classmethod
    def last_days(cls, days: int, *, now: dt.datetime | None = None, **options) -> IncidentFilter:
        """The ``days`` × 24 hours before ``now`` (default: the current time)."""
        if days < 1:
            msg = f"天数应为正整数；收到的是 {days}"
            raise IncidentQueryError(msg)
        now = now or timezone.now()
        return cls(since=now - dt.timedelta(days=days), until=now, **options)

    @classmethod
    def between_dates(cls, since: dt.date | None, until: dt.date | None, **options) -> IncidentFilter:
        """Local calendar days from ``since`` to ``until``, both included (None = open)."""
        zone = local_zone()
        start = dt.datetime.combine(since, dt.time(), zone) if since else None
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone) if until else None
        return cls(since=start, until=end, **options)

    def replace(self, **changes) -> IncidentFilter:
        return dataclasses.replace(self, **changes)

    def where(self) -> tuple[str, list]:
        """SQL condition on ``incidents_incident`` rows aliased ``i``, and its parameters."""
        local = "(i.reported_at AT TIME ZONE %s)"
        clauses = ["i.status = ANY(%s)"]
        params: list = [list(self.statuses)]
        if self.district:
            from layers.jobs.districts import in_district_sql

            clauses.append(in_district_sql("i"))
            params.append(self.district)
        else:
            clauses.append("i.grid_id IS NOT NULL")
        if self.since:
            clauses.append("i.reported_at >= %s")
            params.append(self.since)
        if self.until:
            clauses.append("i.reported_at < %s")
            params.append(self.until)
        if self.categories:
            clauses.append("i.category_id IN (SELECT id FROM incidents_incidentcategory WHERE code = ANY(%s))")
            params.append(list(self.categories))
        if self.hours and self.hours != (0, 24):
            start, end = self.hours
            # Hours since `start` on a 24-hour clock are below the span: one rule for 8-18 and 20-02.
            clauses.append(f"mod(extract(hour FROM {local})::int - %s + 24, 24) < %s")
            params += [settings.TIME_ZONE, start, (end - start) % 24 or 24]
        if self.weekdays and len(self.weekdays) < 7:
            clauses.append(f"extract(isodow FROM {local})::int = ANY(%s)")
            params += [settings.TIME_ZONE, list(self.weekdays)]
        return " AND ".join(clauses), params

    def describe_zh(self) -> str:
        """One line in Chinese, e.g. '2026-08-24 00:00 至 2026-11-22 00:00 · 类别 矛盾纠纷、治安隐患 · 20–02 时 ·
        周五、周六 · 锦江区': category and district names from the database, never their codes."""
        zone = local_zone()
        since = self.since.astimezone(zone).strftime("%Y-%m-%d %H:%M") if self.since else "最早"
        until = self.until.astimezone(zone).strftime("%Y-%m-%d %H:%M") if self.until else "现在"
        parts = [f"{since} 至 {until}"]
        if self.categories:
            parts.append("类别 " + "、".join(category_names(self.categories)))
        if set(self.statuses) != set(DEFAULT_STATUSES):
            parts.append("状态 " + "、".join(str(IncidentStatus(s).label) for s in self.statuses))
        if self.hours and self.hours != (0, 24):
            parts.append(f"{self.hours[0]:02d}–{self.hours[1]:02d} 时")
        if self.weekdays and len(self.weekdays) < 7:
            parts.append("、".join(WEEKDAYS_ZH[d] for d in self.weekdays))
        if self.district:
            parts.append(district_name(self.district))
        return " · ".join(parts)


def category_names(codes: Sequence[str]) -> list[str]:
    """The Chinese names of the category ``codes`` in catalogue order (unknown codes: 未知类别)."""
    with connection.cursor() as cur:
        cur.execute("SELECT code, name FROM incidents_incidentcategory WHERE code = ANY(%s) ORDER BY id",
                    [list(codes)])
        names = dict(cur.fetchall())
    return [names[c] for c in names] + ["未知类别"] * len(set(codes) - set(names))


def district_name(code: str) -> str:
    """The district's name ('锦江区'), or '所选区' when the code is not in the database."""
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM grids_district WHERE code = %s", [code])
        row = cur.fetchone()
    return row[0] if row else "所选区"


def check_categories(codes: Sequence[str]) -> None:
    """Raise IncidentQueryError naming the known codes when a category code does not exist."""
    if not codes:
        return
    with connection.cursor() as cur:
        cur.execute("SELECT code FROM incidents_incidentcategory ORDER BY code")
        known = [row[0] for row in cur.fetchall()]
    unknown = sorted(set(codes) - set(known))
    if unknown:
        shown = "、".join(f"“{c[:20]}”" for c in unknown[:3])
        msg = f"事件类别无效：{shown} 不在事件类别目录中；请在“事件类别”中勾选已有的类别"
        raise IncidentQueryError(msg)
