"""The planner's and the patrol's pages: a form on the side, the role's map in a frame."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin

from layers.maps.base import render as render_map
from layers.models import FacilityType, IncidentCategory

planner_required = permission_required("fieldwork.view_all_grids", raise_exception=True)
patrol_required = permission_required("fieldwork.view_all_incidents", raise_exception=True)
WINDOWS = [(7, "近7天"), (30, "近30天"), (90, "近90天"), (365, "近一年")]


def _facility_type(request: HttpRequest) -> FacilityType:
    code = request.GET.get("type") or request.POST.get("type")
    types = FacilityType.objects.all()
    return types.filter(code=code).first() or types.first()


@login_required
@planner_required
def planner_page(request: HttpRequest) -> HttpResponse:
    """设施覆盖: coverage per community for a facility type, its map, and site suggestions."""
    from layers.walking.reports import coverage_rows

    ftype = _facility_type(request)
    rows = [r for r in coverage_rows(level="community", type_code=ftype.code) if r.code]
    return render(request, "layers/planner.html", {
        "ftype": ftype, "types": FacilityType.objects.all(), "rows": rows,
    })


@login_required
@planner_required
@xframe_options_sameorigin
def planner_map_html(request: HttpRequest) -> HttpResponse:
    from layers.maps.planner import planner_map

    return HttpResponse(render_map(planner_map(_facility_type(request).code)))


@login_required
@permission_required("layers.change_facility", raise_exception=True)
def planner_suggest(request: HttpRequest) -> HttpResponse:
    """Run the maximal covering model for K new sites of the type (POST) and show them."""
    from layers.walking.sites import SitingError, suggest

    ftype = _facility_type(request)
    if request.method == "POST":
        try:
            count = max(1, min(int(request.POST.get("count", "3")), 20))
            result = suggest(ftype.code, count)
            total = max(result.households, 1)
            messages.success(request, f"已计算 {count} 处建议选址：覆盖户数 {result.covered_before} → "
                                      f"{result.covered_after}（{result.covered_before / total:.1%} → "
                                      f"{result.covered_after / total:.1%}）")
        except (SitingError, ValueError) as e:
            messages.error(request, f"无法计算建议选址：{e}")
    return redirect(f"/planner/?type={ftype.code}")


def _patrol_filter(request: HttpRequest):
    from layers.analysis.incident_filter import IncidentFilter, IncidentQueryError, parse_hours

    categories = tuple(c for c in request.GET.getlist("category") if c)
    hours = request.GET.get("hours") or ""
    try:
        days_text = request.GET.get("days") or "30"
        if not days_text.isdigit():
            return IncidentFilter.last_days(30), f"天数应为正整数 (days must be a whole number), got {days_text!r}"
        days = int(days_text)
        return IncidentFilter.last_days(days, categories=categories, hours=parse_hours(hours) if hours else None), None
    except (IncidentQueryError, ValueError) as e:
        return IncidentFilter.last_days(30), str(e)


@login_required
@patrol_required
def patrol_page(request: HttpRequest) -> HttpResponse:
    """巡防热点: time window, category and hours; the hot-spot map with the patrol route."""
    flt, error = _patrol_filter(request)
    if error:
        messages.error(request, error)
    return render(request, "layers/patrol.html", {
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
    from layers.analysis import hotspot_service
    from layers.analysis.incident_counts import incident_points
    from layers.analysis.patrol_route import PatrolPlanError, plan_patrol
    from layers.maps.patrol import patrol_map

    flt, _ = _patrol_filter(request)
    cell = "hex" if request.GET.get("cell") == "hex" else "grid"
    result = hotspot_service.hotspots(flt, kind=cell)
    emerging = None
    if flt.since and (flt.until or timezone.now()) - flt.since >= dt.timedelta(days=70):
        emerging = hotspot_service.emerging(flt, kind=cell, bin_kind="week", n_bins=10)
    try:
        plan = plan_patrol(result)
    except PatrolPlanError:
        plan = None  # no network loaded or no hot cell: the map shows the hot spots alone
    m = patrol_map(hotspots=result, density=hotspot_service.density_surface(flt), emerging=emerging, plan=plan,
                   incidents=incident_points(flt, limit=1000), title="巡防热点")
    return HttpResponse(render_map(m))
