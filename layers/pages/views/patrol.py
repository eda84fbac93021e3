"""巡防热点, the patrol's page: filters on the side, the patrol map in a frame."""

from __future__ import annotations

import datetime as dt

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


def _patrol_filter(request: HttpRequest, district: str | None = None):
    """The filter asked for, or the default 30 days and a message saying what was wrong;
    ``district`` (chosen by :func:`district_choice`) limits the study area in either case."""
    from layers.patrols.filters import IncidentFilter, IncidentQueryError, check_categories, parse_hours

    categories = tuple(c for c in request.GET.getlist("category") if c)
    hours = request.GET.get("hours") or ""
    days_text = request.GET.get("days") or "30"
    whole = days_text.isascii() and days_text.isdigit() and len(days_text) <= 6  # int() only on short digits
    if not (whole and 1 <= int(days_text) <= MAX_DAYS):
        return IncidentFilter.last_days(30, district=district), (f"天数应为正整数, 至多 {MAX_DAYS} (days must be a whole number from 1 "
                                              f"to {MAX_DAYS}), got {days_text[:40]!r}")
    try:
        check_categories(categories)
        return IncidentFilter.last_days(int(days_text), categories=categories,
                                        hours=parse_hours(hours) if hours else None,
                                        district=district), None
    except (IncidentQueryError, ValueError, OverflowError) as e:
        return IncidentFilter.last_days(30, district=district), str(e)


def as_of_note(as_of: dt.datetime) -> str:
    """What a result served from before the latest reports says about its time."""
    from django.conf import settings

    return (f"分析截至 {timezone.localtime(as_of):%H:%M:%S}，此后的上报将在 "
            f"{settings.GRIDMAP_PATROL_STALE_SECONDS} 秒内计入。")


@login_required
@patrol_required
def patrol_page(request: HttpRequest) -> HttpResponse:
    """巡防热点: district, time window, category and hours; the hot-spot map with the patrol route.
    Districts in different Gauss–Krüger zones are analysed one at a time (district_choice)."""
    from layers.patrols.cache import recent

    district = district_choice(request, require_one_zone=True)
    flt, error = _patrol_filter(request, district.code)
    if error:
        messages.error(request, error)
    query = request.GET.copy()
    if district.code:
        query["district"] = district.code
    rank = "count" if request.GET.get("rank") == "count" else "gi"
    cell = "hex" if request.GET.get("cell") == "hex" else "grid"
    answer = recent("advice", flt, cell=cell, rank=rank)
    return render(request, "pages/patrol.html", {
        "rank": rank, "advice": answer.value.lines, "as_of": None if answer.fresh else as_of_note(answer.as_of),
        "windows": WINDOWS, "categories": IncidentCategory.objects.all(), "query": query.urlencode(),
        "district": district,
        "days": int(flt.since and ((flt.until or timezone.now()) - flt.since).days or 30),
        "hours": request.GET.get("hours", ""),
        "chosen": request.GET.getlist("category"), "cell": request.GET.get("cell", "grid"),
        "description": flt.describe_zh(),
    })


@login_required
@patrol_required
@xframe_options_sameorigin
def patrol_map_html(request: HttpRequest) -> HttpResponse:
    from layers.maps.patrol import patrol_map
    from layers.patrols import hotspots
    from layers.patrols.cache import recent
    from layers.patrols.filters import IncidentQueryError

    flt, _ = _patrol_filter(request, district_choice(request, require_one_zone=True, say=False).code)
    cell = "hex" if request.GET.get("cell") == "hex" else "grid"
    rank = "count" if request.GET.get("rank") == "count" else "gi"
    # A refused route (no network, stops off the network) is said in the map's box. The
    # page and its frame ask the same questions: the second one is answered from the cache.
    # Answers may be up to settings.GRIDMAP_PATROL_STALE_SECONDS old (layers.patrols.cache.recent).
    try:
        answer = recent("advice", flt, cell=cell, rank=rank)
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
