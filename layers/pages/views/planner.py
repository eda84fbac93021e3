"""设施覆盖, the planner's page: coverage table on the side, the planner map in a frame, siting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from layers.facilities.models import FacilityType
from layers.maps.base import render as render_map

planner_required = permission_required("accounts.view_all_grids", raise_exception=True)


def _facility_type(request: HttpRequest) -> FacilityType:
    code = request.GET.get("type") or request.POST.get("type")
    types = FacilityType.objects.all()
    return types.filter(code=code).first() or types.first()


@login_required
@planner_required
def planner_page(request: HttpRequest) -> HttpResponse:
    """设施覆盖: coverage per community for a facility type, its map, and site suggestions."""
    from layers.facilities.walking.reports import coverage_rows

    ftype = _facility_type(request)
    rows = [r for r in coverage_rows(level="community", type_code=ftype.code) if r.code]
    return render(request, "pages/planner.html", {
        "ftype": ftype, "types": FacilityType.objects.all(), "rows": rows,
    })


@login_required
@planner_required
@xframe_options_sameorigin
def planner_map_html(request: HttpRequest) -> HttpResponse:
    from layers.maps.planner import planner_map

    return HttpResponse(render_map(planner_map(_facility_type(request).code), nonce=request.csp_nonce))


@login_required
@permission_required("facilities.change_facility", raise_exception=True)
def planner_suggest(request: HttpRequest) -> HttpResponse:
    """Run the maximal covering model for K new sites of the type (POST) and show them."""
    from layers.facilities.walking.sites import SitingError, suggest

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
