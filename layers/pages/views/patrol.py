"""巡防热点, the patrol's page: filters on the side, the patrol map in a frame, the route as a
numbered list with planned times, and the check of last period's map against this period;
the printable A4 route card (/patrol/card/) with the same filters."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin

from layers.accounts.roles import PATROL_PAGES
from layers.incidents.models import IncidentCategory
from layers.maps.base import render as render_map
from layers.pages.views.district import district_choice

patrol_required = permission_required(PATROL_PAGES, raise_exception=True)
WINDOWS = [(7, "近7天"), (30, "近30天"), (90, "近90天"), (365, "近一年")]
MAX_DAYS = 3650
"""The longest window offered (ten years); a 20-digit number would overflow the date arithmetic."""
GI_EXPLANATION = ("为什么事件多的单元可能“不显著”、事件少的反而显著：热点分析把一个单元连同它四周的单元一起，"
                  "与全区的平均水平比较；四周都安静的单个繁忙单元不算成片热点，而夹在繁忙单元中间的安静单元会被带成热点。")


def _patrol_filter(request: HttpRequest, district: str | None = None):
    """The filter asked for and None, or the default 30 days and (parameter, Chinese message
    naming the field); ``district`` (chosen by :func:`district_choice`) limits the study area."""
    from layers.patrols.filters import IncidentFilter, IncidentQueryError, check_categories, parse_hours

    categories = tuple(c for c in request.GET.getlist("category") if c)
    hours = request.GET.get("hours") or ""
    days_text = request.GET.get("days") or "30"
    whole = days_text.isascii() and days_text.isdigit() and len(days_text) <= 6  # int() only on short digits
    if not (whole and 1 <= int(days_text) <= MAX_DAYS):
        return IncidentFilter.last_days(30, district=district), ("days", f"时间范围：天数应为 1 到 {MAX_DAYS} 之间的整数，已改为近30天")
    try:
        check_categories(categories)
    except IncidentQueryError as e:
        return IncidentFilter.last_days(30, district=district), ("category", f"{e}（已改为近30天、全部类别）")
    try:
        return IncidentFilter.last_days(int(days_text), categories=categories,
                                        hours=parse_hours(hours) if hours else None,
                                        district=district), None
    except (IncidentQueryError, ValueError, OverflowError) as e:
        return IncidentFilter.last_days(30, district=district), ("hours", f"{e}（已改为近30天、全天）")


@dataclass
class RouteOptions:
    """Start point, return to it, minutes at each stop and the departure time of the route."""

    start: object
    closed: bool = False
    dwell: float = 5.0
    depart: dt.datetime | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(parameter, Chinese message) of each refused field."""


def _route_options(request: HttpRequest, district: str | None) -> RouteOptions:
    """Start (police room or the worker's position), return, dwell and departure from the
    query; each bad field becomes a Chinese message and falls back to its default."""
    from django.conf import settings

    from layers.patrols.filters import local_zone
    from layers.patrols.start import StartError, StartPoint, parse_dwell, parse_start

    errors = []
    try:
        start = parse_start(request.GET, district=district)
    except StartError as e:
        start, _ = StartPoint(), errors.append(("start", f"起点：{e}"))  # the message names 纬度/经度
    try:
        dwell = parse_dwell(request.GET.get("dwell"))
    except StartError as e:
        dwell, _ = float(settings.GRIDMAP_PATROL_DWELL_MIN), errors.append(("dwell", str(e)))
    now = timezone.now().astimezone(local_zone())
    depart = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=(-now.minute) % 5)
    text = (request.GET.get("depart") or "").strip()
    if text:
        hh, _, mm = text.partition(":")
        if hh.isascii() and hh.isdigit() and mm.isascii() and mm.isdigit() and int(hh) < 24 and int(mm) < 60:
            depart = depart.replace(hour=int(hh), minute=int(mm))
        else:
            errors.append(("depart", "出发时间应为 时:分，例如 20:30；已改为现在"))
    return RouteOptions(start, request.GET.get("return") == "1", dwell, depart, errors)


def _advice(flt, cell: str, rank: str, options: RouteOptions):
    """The patrol advice for the filter and the route options, from the patrol cache: it may be
    up to settings.GRIDMAP_PATROL_STALE_SECONDS old (``answer.fresh`` False, ``answer.as_of``)."""
    from layers.patrols.cache import recent

    return recent("advice", flt, **advice_options(cell, rank, options))


def advice_options(cell: str, rank: str, options: RouteOptions) -> dict:
    """The question's options as the patrol cache keys them and the worker's job receives them (JSON)."""
    return {"cell": cell, "rank": rank, "start": dataclasses.asdict(options.start), "closed": options.closed,
            "dwell": options.dwell}


def _clock(depart: dt.datetime, minutes: float) -> str:
    return (depart + dt.timedelta(minutes=round(minutes))).strftime("%H:%M")


def route_rows(plan, depart: dt.datetime) -> list[dict]:
    """One row per stop for the page and the card: number, name, grid, count, class, walk
    (m) from the previous place, planned arrival and departure clock times."""
    from layers.patrols.hotspots import CLASS_LABELS_ZH

    rows = []
    for s in plan.stops:
        rows.append({"number": s.number, "name": s.name, "cell": s.cell_name, "count": s.count,
                     "level": CLASS_LABELS_ZH[s.gi_class], "walk_m": round(s.walk_m),
                     "arrive": _clock(depart, s.arrive_min), "leave": _clock(depart, s.arrive_min + s.dwell_min),
                     "lon": s.lon, "lat": s.lat})  # fmt: skip
    return rows


def _period_check(flt, cell: str, request: HttpRequest):
    """The cached evaluation of last period's map (at most GRIDMAP_PATROL_STALE_SECONDS behind
    the latest reports), or None; its background job is queued whenever it is not current
    (never computed in this request)."""
    from layers.jobs.services import submit
    from layers.patrols.cache import peek_recent
    from layers.patrols.filters import local_zone
    from layers.patrols.tasks import period_options

    days = max(1, int(round(((flt.until or timezone.now()) - flt.since).total_seconds() / 86400)))
    today = timezone.now().astimezone(local_zone()).date().isoformat()
    options = period_options(days=days, today=today, categories=flt.categories, district=flt.district, kind=cell)
    found, current = peek_recent("period_check", **options)
    if not current:
        key = "|".join(str(options[k]) for k in ("days", "today", "district", "kind")) + "|" + ",".join(
            options["categories"])
        submit("patrols.period_check", key=key[:200], label="巡防热点：检验上期热点的预测效果", user=request.user,
               params={**options, "categories": list(options["categories"]), "district": flt.district})
    return found


def _percent(x: float) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.0%}"


def _ratio(x: float) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.1f}"


def _check_rows(check) -> list[tuple[str, str, str, str, int]]:
    if check is None or check.error:
        return []
    return [("上期热点图（显著性热点分析）", _percent(check.gi_hit_rate), _percent(check.gi_area_share),
             _ratio(check.gi_pai), check.gi_cells),
            ("简单基准：上期事件数排名", _percent(check.naive_hit_rate), _percent(check.naive_area_share),
             _ratio(check.naive_pai), check.naive_cells)]  # fmt: skip


def _context(request: HttpRequest, *, for_card: bool = False):
    district = district_choice(request, require_one_zone=True, say=not for_card)
    flt, error = _patrol_filter(request, district.code)
    options = _route_options(request, district.code)
    rank = "count" if request.GET.get("rank") == "count" else "gi"
    cell = "hex" if request.GET.get("cell") == "hex" else "grid"
    answer = _advice(flt, cell, rank, options)
    return district, flt, error, options, rank, cell, answer


def as_of_note(as_of: dt.datetime) -> str:
    """What a result served from before the latest reports says about its time."""
    from django.conf import settings

    return (f"分析截至 {timezone.localtime(as_of):%H:%M:%S}，此后的上报将在 "
            f"{settings.GRIDMAP_PATROL_STALE_SECONDS} 秒内计入。")


@login_required
@patrol_required
def patrol_page(request: HttpRequest) -> HttpResponse:
    """巡防热点: district, time window, category and hours, start point; the hot-spot map with the
    patrol route, the route as a list with planned times and the check of last period's map.
    Districts in different Gauss–Krüger zones are analysed one at a time (district_choice)."""
    from layers.patrols.start import police_rooms

    district, flt, error, options, rank, cell, answer = _context(request)
    advice, plan = answer.value, answer.value.plan
    for _param, message in ([error] if error else []) + options.errors:
        messages.error(request, message)
    query = request.GET.copy()
    if district.code:
        query["district"] = district.code
    check = _period_check(flt, cell, request)
    return render(request, "pages/patrol.html", {
        "rank": rank, "advice": advice.lines, "plan": plan,
        "as_of": None if answer.fresh else as_of_note(answer.as_of),
        "rows": route_rows(plan, options.depart) if plan else [],
        "windows": WINDOWS, "categories": IncidentCategory.objects.all(), "query": query.urlencode(),
        "district": district,
        "days": int(flt.since and ((flt.until or timezone.now()) - flt.since).days or 30),
        "hours": request.GET.get("hours", ""),
        "chosen": request.GET.getlist("category"), "cell": cell,
        "description": flt.describe_zh(), "explanation": GI_EXPLANATION,
        "police": police_rooms(district.code), "start": options.start, "closed": options.closed,
        "dwell": f"{options.dwell:g}", "depart": options.depart.strftime("%H:%M"),
        "lat": request.GET.get("lat", "")[:20], "lon": request.GET.get("lon", "")[:20],
        "check": check, "check_rows": _check_rows(check),
    })  # fmt: skip


@login_required
@patrol_required
def patrol_card(request: HttpRequest) -> HttpResponse:
    """The printable A4 route card of the same filters: numbered stops named by their streets,
    planned times, a map, the date and the filter. A bad filter or start is refused (400, in
    Chinese), so that no card of a filter nobody asked for is printed."""
    district, flt, error, options, rank, cell, answer = _context(request, for_card=True)
    advice, plan = answer.value, answer.value.plan
    refusals = ([error] if error else []) + options.errors
    if refusals:
        return render(request, "pages/patrol_card_refused.html", {"refusals": refusals}, status=400)
    route = None
    if plan is not None:
        route = {"stops": [{"n": s.number, "lat": s.lat, "lon": s.lon} for s in plan.places],
                 "lines": [[[round(lat, 6), round(lon, 6)] for lon, lat in leg.line.coords]
                           for leg in plan.legs if leg.line is not None]}  # fmt: skip
    now = timezone.localtime()
    return render(request, "pages/patrol_card.html", {
        "plan": plan, "rows": route_rows(plan, options.depart) if plan else [], "route": route,
        "advice": advice.lines, "description": flt.describe_zh(), "start": options.start,
        "depart": options.depart.strftime("%H:%M"), "printed": now.strftime("%Y年%m月%d日 %H:%M"),
        "back_at": _clock(options.depart, plan.total_minutes) if plan else "",
    })  # fmt: skip


@login_required
@patrol_required
@xframe_options_sameorigin
def patrol_map_html(request: HttpRequest) -> HttpResponse:
    from layers.maps.patrol import patrol_map
    from layers.patrols import hotspots
    from layers.patrols.cache import recent
    from layers.patrols.filters import IncidentQueryError

    district = district_choice(request, require_one_zone=True, say=False)
    flt, _ = _patrol_filter(request, district.code)
    options = _route_options(request, district.code)
    cell = "hex" if request.GET.get("cell") == "hex" else "grid"
    rank = "count" if request.GET.get("rank") == "count" else "gi"
    # A refused route (no network, stops off the network) is said in the map's box. The
    # page and its frame ask the same questions: the second one is answered from the cache.
    # Answers may be up to settings.GRIDMAP_PATROL_STALE_SECONDS old (layers.patrols.cache.recent).
    try:
        answer = _advice(flt, cell, rank, options)
        advice = answer.value
        result = advice.result if advice.result is not None else hotspots.hotspots(flt, kind=cell)
    except IncidentQueryError as e:  # e.g. districts in several zones: ?district= chooses one
        return HttpResponseBadRequest(str(e), content_type="text/plain; charset=utf-8")
    emerging = None
    if flt.since and (flt.until or timezone.now()) - flt.since >= dt.timedelta(days=70):
        emerging = recent("emerging", flt, cell=cell).value
    density = recent("density", flt).value
    points = recent("points", flt).value
    notes = advice.lines if answer.fresh else [*advice.lines, as_of_note(answer.as_of)]
    m = patrol_map(hotspots=result, density=density, emerging=emerging, plan=advice.plan,
                   incidents=points, title="巡防热点", notes=notes)
    return HttpResponse(render_map(m, nonce=request.csp_nonce))
