"""Options and output helpers shared by the hotspots, patrol_plan and evaluate_hotspots commands
(a leading underscore keeps Django from listing this module as a command)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from layers.patrols.counts import (
    CELL_KINDS,
    DEFAULT_STATUSES,
    IncidentFilter,
    IncidentQueryError,
    parse_hours,
    parse_weekdays,
)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise ArgumentTypeError(f"日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD), got {text!r}") from e


def parse_lat_lon(text: str) -> tuple[float, float]:
    """'30.657,104.066' (latitude first, as people say it) → (lon, lat)."""
    try:
        lat, lon = (float(part) for part in text.replace("，", ",").split(","))
    except ValueError as e:
        raise ArgumentTypeError(f"起点格式应为 纬度,经度 (start must be LAT,LON), got {text!r}") from e
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        hint = " (纬度和经度是否写反了? latitude and longitude swapped?)" if abs(lon) <= 90 < abs(lat) else ""
        raise ArgumentTypeError(f"起点坐标超出范围 (start out of range): {text}{hint}")
    return lon, lat


def hours_arg(text: str) -> tuple[int, int]:
    try:
        return parse_hours(text)
    except IncidentQueryError as e:
        raise ArgumentTypeError(str(e)) from e


def weekdays_arg(text: str) -> tuple[int, ...]:
    try:
        return parse_weekdays(text)
    except IncidentQueryError as e:
        raise ArgumentTypeError(str(e)) from e


def add_filter_arguments(parser: ArgumentParser, *, hours: bool = True) -> None:
    window = parser.add_argument_group("时间窗 (time window)")
    window.add_argument("--days", type=int, help=f"最近 N 天 (last N days; default {settings.GRIDMAP_HOTSPOT_DAYS})")
    window.add_argument("--since", type=parse_date, help="起始日期 YYYY-MM-DD (含)")
    window.add_argument("--until", type=parse_date, help="截止日期 YYYY-MM-DD (含当天)")
    parser.add_argument("--category", action="append", default=[], metavar="CODE",
                        help="事件类别代码, 可重复 (category code, repeatable), e.g. security_risk")  # fmt: skip
    parser.add_argument("--status", action="append", default=[], metavar="STATUS",
                        help="事件状态, 可重复 (default: all but cancelled 不予立案)")  # fmt: skip
    if hours:
        parser.add_argument("--hours", type=hours_arg, metavar="HH-HH",
                            help="时段 (local hours), end exclusive, may wrap midnight: 20-02")  # fmt: skip
    parser.add_argument("--weekdays", type=weekdays_arg, metavar="DAYS", help="星期 1=周一…7=周日: 1-5 or 5,6")
    parser.add_argument("--district", help="区划代码 (6-digit district code); default: every grid")
    add_cell_arguments(parser)


def add_cell_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--cell", choices=CELL_KINDS, default="grid", help="单元: grid 网格 | hex 六边形")
    parser.add_argument("--hex-size", type=float, metavar="M",
                        help=f"六边形大小 (m, edge to edge; default {settings.GRIDMAP_HEX_SIZE_M:g})")  # fmt: skip


def add_gi_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--permutations", type=int, default=settings.GRIDMAP_HOTSPOT_PERMUTATIONS,
                        help="Gi* 置换次数 (permutations)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=settings.GRIDMAP_HOTSPOT_SEED, help="置换随机种子 (seed)")
    parser.add_argument("--fdr", type=float, metavar="Q", help="错误发现率校正 (Benjamini-Hochberg), e.g. 0.05")


def filter_from_options(options: dict[str, Any]) -> IncidentFilter:
    """The IncidentFilter of the command line; raises CommandError on a bad combination."""
    from layers.grids.models import District

    if (code := options.get("district")) and not District.objects.filter(code=code).exists():
        known = ", ".join(District.objects.values_list("code", flat=True)[:20])
        raise CommandError(f"未知的区划代码 (unknown district) {code!r}; 可选 (known): {known}")
    common = {
        "categories": tuple(options["category"]),
        "statuses": tuple(options["status"]) or DEFAULT_STATUSES,
        "hours": options.get("hours"),
        "weekdays": options.get("weekdays") or (),
        "district": options.get("district"),
    }
    try:
        if options.get("since") or options.get("until"):
            if options.get("days"):
                raise CommandError("--days 与 --since/--until 不能同时使用 (use --days or --since/--until)")
            return IncidentFilter.between_dates(options.get("since"), options.get("until"), **common)
        return IncidentFilter.last_days(options.get("days") or settings.GRIDMAP_HOTSPOT_DAYS, **common)
    except IncidentQueryError as e:
        raise CommandError(str(e)) from e


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(headers: list[str], rows: list[list[Any]]) -> str:
    """Left-aligned columns padded for Chinese characters (two columns wide each)."""
    cells = [[str(h) for h in headers], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(v + " " * (w - _width(v)) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False, default=str)
