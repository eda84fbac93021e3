"""Reporting periods: calendar months in local time (settings.TIME_ZONE), written 2026-10."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


class PeriodError(ValueError):
    """A period that cannot be read; the message is Chinese and names the parameter."""


@dataclass(frozen=True)
class Period:
    """One calendar month. ``start``/``end`` are aware local midnights (end exclusive)."""

    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> dt.date:
        return dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.first_day, dt.time()))

    @property
    def end(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.next_first_day, dt.time()))

    def last_day(self, today: dt.date | None = None) -> dt.date:
        """The period's last day, or today while it runs (ledger membership is read on it)."""
        today = today or timezone.localdate()
        return min(self.next_first_day - dt.timedelta(days=1), max(today, self.first_day))

    def days(self, today: dt.date | None = None) -> int:
        """Days of the period up to its last day (inclusive): what visits are due for."""
        return (self.last_day(today) - self.first_day).days + 1

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    def back(self, months: int) -> list[Period]:
        """The ``months`` periods ending with this one, oldest first."""
        out = [self]
        for _ in range(months - 1):
            out.append(out[-1].previous())
        return out[::-1]


def current_period() -> Period:
    today = timezone.localdate()
    return Period(today.year, today.month)


def parse_period(text: str | None, *, name: str = "period") -> Period:
    """'2026-10' → Period; empty → the current month; anything else → PeriodError naming ``name``."""
    if not text:
        return current_period()
    match = _MONTH.match(text)
    if not match:
        raise PeriodError(f"参数 {name}：应为 年-月，如 2026-10（收到 {text[:20]!r}）")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise PeriodError(f"参数 {name}：月份应在 1–12 之间（收到 {text[:20]!r}）")
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise PeriodError(f"参数 {name}：年份应在 {EARLIEST_YEAR}–{LATEST_YEAR} 之间（收到 {text[:20]!r}）")
    return Period(year, month)
