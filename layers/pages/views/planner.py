"""设施覆盖, the planner's page: coverage table on the side, the planner map in a frame, siting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from layers.accounts.roles import PLANNER_PAGES
from layers.facilities.models import FacilityType
from layers.maps.base import render as render_map
from layers.pages.views.district import district_choice

planner_required = permission_required(PLANNER_PAGES, raise_exception=True)


def _facility_type(request: HttpRequest) -> FacilityType:
    code = request.GET.get("type") or request.POST.get("type")
    types = FacilityType.objects.all()
    return types.filter(code=code).first() or types.first()


@login_required
@planner_required
def planner_page(request: HttpRequest) -> HttpResponse:
    """设施覆盖: coverage per community for a facility type, its map, and site suggestions."""
    from layers.facilities.walking.refresh import request_refresh
    from layers.facilities.walking.reports import coverage_rows
    from layers.jobs.models import Job

    ftype = _facility_type(request)
    district = district_choice(request)
    # Changes not yet recomputed go to the background worker; the page says so meanwhile.
    updating = request_refresh()
    rows = [r for r in coverage_rows(level="community", type_code=ftype.code, district=district.code) if r.code]
    job = None
    if (job_id := request.GET.get("job", "")).isdigit():
        job = Job.objects.filter(pk=int(job_id), user=request.user).first()
    return render(request, "pages/planner.html", {
        "ftype": ftype, "types": FacilityType.objects.all(), "rows": rows, "updating": updating, "job": job,
        "district": district,
    })


@login_required
@planner_required
@xframe_options_sameorigin
def planner_map_html(request: HttpRequest) -> HttpResponse:
    from layers.maps.planner import planner_map

    district = district_choice(request, say=False)
    m = planner_map(_facility_type(request).code, district=district.code)
    return HttpResponse(render_map(m, nonce=request.csp_nonce))


@login_required
@planner_required
@permission_required("facilities.change_facility", raise_exception=True)
def planner_suggest(request: HttpRequest) -> HttpResponse:
    """Queue the maximal covering model for K new sites of the type (POST); the page shows
    the job's progress and, when it is done, the sites."""
    from layers.jobs.services import submit

    ftype = _facility_type(request)
    # The page's district comes back with the answer (site suggestions are computed city-wide).
    code = request.POST.get("district", "")
    back = f"/planner/?type={ftype.code}" + (f"&district={code}" if code.isascii() and code.isdigit() and len(code) == 6 else "")
    if request.method == "POST":
        try:
            count = max(1, min(int(request.POST.get("count", "3")), 20))
        except ValueError:
            messages.error(request, "建议选址数量应为 1–20 的整数")
            return redirect(back)
        job = submit("facilities.suggest_sites", key=ftype.code, label=f"{ftype.name}：计算 {count} 处建议选址",
                     user=request.user, params={"type_code": ftype.code, "count": count})
        messages.info(request, "已提交后台计算，完成后本页自动刷新。")
        return redirect(f"{back}&job={job.pk}")
    return redirect(back)
