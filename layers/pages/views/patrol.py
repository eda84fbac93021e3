"""巡防热点, the patrol's page: filters on the side, the patrol map in a frame."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin

from layers.incidents.models import IncidentCategory
from layers.maps.base import render as render_map

patrol_required = permission_required("accounts.view_all_incidents", raise_exception=True)
WINDOWS = [(7, "近7天"), (30, "近30天"), (90, "近90天"), (365, "近一年")]




def _patrol_filter(request: HttpRequest):
    from layers.patrols.filters import IncidentFilter, IncidentQueryError, parse_hours

    categories = tuple(c for c in request.GET.getlist("category") if c)
    hours = request.GET.get("hours") or ""
    try:
        days_text = request.GET.get("days") or "30"
        if not days_text.isdigit():
            return IncidentFilter.last_days(30), f"天数应为正整数 (days must be a whole number), got {days_text!r}"
        days = int(days_text)
        return IncidentFilter.last_days(days, categories=categories, hours=parse_hours(hours) if hours else None,
                                        district=request.GET.get("district") or None), None
    except (IncidentQueryError, ValueError) as e:
        return IncidentFilter.last_days(30), str(e)


@login_required
@patrol_required
def patrol_page(request: HttpRequest) -> HttpResponse:
    """巡防热点: time window, category and hours; the hot-spot map with the patrol route."""
    flt, error = _patrol_filter(request)
    if error:
        messages.error(request, error)
    return render(request, "pages/patrol.html", {
        "windows": WINDOWS, "categories": IncidentCategory.objects.all(), "query": request.GET.urlencode(),
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
    from layers.patrols.counts import incident_points
    from layers.patrols.filters import IncidentQueryError
    from layers.patrols.route import PatrolPlanError, plan_patrol

    flt, _ = _patrol_filter(request)
    cell = "hex" if request.GET.get("cell") == "hex" else "grid"
    try:
        result = hotspots.hotspots(flt, kind=cell)
    except IncidentQueryError as e:  # e.g. districts in several zones: ?district= chooses one
        return HttpResponseBadRequest(str(e), content_type="text/plain; charset=utf-8")
    emerging = None
    if flt.since and (flt.until or timezone.now()) - flt.since >= dt.timedelta(days=70):
        emerging = hotspots.emerging(flt, kind=cell, bin_kind="week", n_bins=10)
    try:
        plan = plan_patrol(result)
    except PatrolPlanError:
        plan = None  # no network loaded or no hot cell: the map shows the hot spots alone
    m = patrol_map(hotspots=result, density=hotspots.density_surface(flt), emerging=emerging, plan=plan,
                   incidents=incident_points(flt, limit=1000), title="巡防热点")
    return HttpResponse(render_map(m))
