"""Which priority households (低保, 特困, 残疾, 独居老人, 高龄) are due for a visit.

A household's visit interval is the shortest of its vulnerable tags' intervals
(settings.GRIDMAP_VISIT_DUE_DAYS_BY_TAG, e.g. 独居老人 7 days), or
settings.GRIDMAP_VISIT_DUE_DAYS (30) for the other vulnerable tags. It is due when its last
visit (Household.last_visit, kept by the database from the visits) is older than that, or
it was never visited. Pure functions; the caller reads the households.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings

from layers.people.models import HouseholdTag


def interval_days(tags: Iterable[str], *, default_days: int | None = None,
                  by_tag_days: Mapping[str, int] | None = None) -> int | None:
    """Days allowed between visits for a household with ``tags``; None when no tag is vulnerable."""
    default_days = settings.GRIDMAP_VISIT_DUE_DAYS if default_days is None else default_days
    by_tag_days = settings.GRIDMAP_VISIT_DUE_DAYS_BY_TAG if by_tag_days is None else by_tag_days
    vulnerable = [t for t in tags if t in HouseholdTag.vulnerable()]
    if not vulnerable:
        return None
    return min(by_tag_days.get(t, default_days) for t in vulnerable)


@dataclass(frozen=True)
class VisitDue:
    """A priority household due for a visit: ``days_since`` is None when never visited."""

    household_id: int
    interval_days: int
    days_since: int | None

    @property
    def days_late(self) -> int | None:
        return None if self.days_since is None else self.days_since - self.interval_days


def visit_due(household_id: int, tags: Iterable[str], last_visit: dt.date | None, today: dt.date, *,
              default_days: int | None = None, by_tag_days: Mapping[str, int] | None = None) -> VisitDue | None:
    """The household's :class:`VisitDue`, or None when it is not a priority household or was
    visited within its interval (``today`` is the local date, Asia/Shanghai)."""
    days = interval_days(tags, default_days=default_days, by_tag_days=by_tag_days)
    if days is None:
        return None
    since = None if last_visit is None else (today - last_visit).days
    if since is not None and since <= days:
        return None
    return VisitDue(household_id, days, since)
