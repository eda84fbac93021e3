"""The one home of the field limits that every path into the database shares: the model
fields take their ``max_length`` from here, and the forms, the API serializers and the
importers read the limit back from the model field (``field_limit``), so that a 2,000,000-
character description is refused the same way by the form, the API and an XLSX import.

Dates: nothing in gridmap happened before :data:`EARLIEST_TIME` (网格化管理 began in 2004);
a visit or an incident dated 0001-01-01 is a typo, and one stored would be a BC timestamp
that Python cannot even read back. "Now" allows :data:`CLOCK_SKEW` for a phone whose clock
runs a little fast.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

NAME_MAX = 100
"""Names of people and places (户主姓名, 上报人, category/facility names shown in lists)."""
PERSON_NAME_MAX = 50
ADDRESS_MAX = 300
DESCRIPTION_MAX = 2000
"""Free text written by a grid worker: incident descriptions, visit notes."""
NOTE_MAX = 300
KEY_MAX = 64
"""External keys (编号) of imported rows."""

EARLIEST_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
"""Midnight of 2000-01-01 in Beijing time: the earliest visit or incident time accepted."""
CLOCK_SKEW = dt.timedelta(minutes=5)


def field_limit(model, name: str) -> int | None:
    """The ``max_length`` of ``model``'s field ``name`` (None when unlimited)."""
    return model._meta.get_field(name).max_length


def validate_not_before_2000(value: dt.datetime) -> None:
    """Refuse times before :data:`EARLIEST_TIME` (0001-01-01 would be stored as a BC date)."""
    if value is None:
        return
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value < EARLIEST_TIME:
        raise ValidationError(f"时间不能早于 {EARLIEST_TIME:%Y-%m-%d} (the date is before {EARLIEST_TIME:%Y-%m-%d}: a typo?)",
                              code="too_early")


def validate_event_time(value: dt.datetime) -> None:
    """Refuse times before :data:`EARLIEST_TIME` or later than now (+ clock skew)."""
    if value is None:
        return
    validate_not_before_2000(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + CLOCK_SKEW:
        raise ValidationError("时间不能晚于现在 (the time is in the future)", code="in_the_future")
