"""Query parameters of the API, parsed once: every bad value becomes a 400 whose body names
the parameter ({"since": ["…"]}), never a 500 from deeper down (an impossible date such as
2024-02-30, a 20-digit number of days, an inverted or infinite bounding box)."""

from __future__ import annotations

import datetime as dt
import math

from django.contrib.gis.geos import Polygon
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework_gis.filters import InBBoxFilter

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
"""Years a since/until filter may name (wider than the data: filters may be generous)."""


def bad(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def time_param(request: Request, name: str) -> dt.datetime | None:
    """An ISO date or date-time (naive: local time); None when absent."""
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00:00")
    except ValueError as e:  # well-formed but impossible: 2024-02-30, 25:00
        raise bad(name, f"{name}: 日期无效 (not a real date: {e}): {value[:40]!r}") from e
    if parsed is None:
        raise bad(name, f"{name}: 无法解析时间 {value[:40]!r}，请用 YYYY-MM-DD 或 ISO 8601")
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise bad(name, f"{name}: 年份应在 {EARLIEST_YEAR}–{LATEST_YEAR} 之间 (year out of range): {value[:40]!r}")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def int_param(request: Request, name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A whole number in [minimum, maximum]; ``default`` when absent."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise bad(name, f"{name}: 应为 {minimum}–{maximum} 的整数 (a whole number from {minimum} to {maximum}), "
                        f"got {value[:40]!r}")
    number = int(value)
    if not minimum <= number <= maximum:
        raise bad(name, f"{name}: 应在 {minimum}–{maximum} 之间 (out of range), got {number}")
    return number


def choice_param(request: Request, name: str, default: str, choices: tuple[str, ...]) -> str:
    value = request.query_params.get(name) or default
    if value not in choices:
        raise bad(name, f"{name}: 应为 {' / '.join(choices)} 之一 (one of {', '.join(choices)}), got {value[:40]!r}")
    return value


def parse_bbox(name: str, text: str) -> tuple[float, float, float, float]:
    """``minLon,minLat,maxLon,maxLat`` as four finite degrees, min before max; else ValueError
    with the message (naming the parameter ``name``) the caller returns as a 400."""
    usage = f"{name}: 应为 minLon,minLat,maxLon,maxLat 四个经纬度 (four degrees: min lon, min lat, max lon, max lat)"
    try:
        numbers = [float(n) for n in text.split(",")]
    except ValueError as e:
        raise ValueError(f"{usage}, got {text[:60]!r}") from e
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise ValueError(f"{usage}, got {text[:60]!r}")
    x1, y1, x2, y2 = numbers
    if not (-180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90):
        raise ValueError(f"{usage}; 最小值须小于最大值且在经纬度范围内 (min ≤ max, within ±180/±90), got {text[:60]!r}")
    return x1, y1, x2, y2


class CheckedBBoxFilter(InBBoxFilter):
    """?in_bbox=minLon,minLat,maxLon,maxLat: four finite degrees, min before max, else a 400."""

    def get_filter_bbox(self, request: Request) -> Polygon | None:
        name = self.bbox_param
        text = request.query_params.get(name)
        if not text:
            return None
        try:
            return Polygon.from_bbox(parse_bbox(name, text))
        except ValueError as e:
            raise bad(name, str(e)) from e


def district_param(request: Request) -> str | None:
    """?district=CODE: a stored district's 6-digit code (else a 400 naming the parameter);
    None when absent. Whether the user holds it is the scoping's business
    (layers.accounts.visibility: a district not held leaves an empty result)."""
    from layers.grids.models import District

    value = request.query_params.get("district")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) == 6):
        raise bad("district", f"district: 应为 6 位区划代码 (a 6-digit district code), got {value[:40]!r}")
    if not District.objects.filter(code=value).exists():
        raise bad("district", f"district: 未知的区划代码 (no such district) {value}")
    return value
