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
    from layers.facilities.walking import planner_tables
    from layers.facilities.walking.completeness import completeness_lines, request_snapshot
    from layers.facilities.walking.refresh import request_refresh
    from layers.jobs.models import Job

    ftype = _facility_type(request)
    district = district_choice(request)
    # Changes not yet recomputed go to the background worker; the page says so meanwhile.
    updating = request_refresh()
    # Completeness reads every walking time: the worker computes it, the page shows the last one.
    completeness_updating = updating or request_snapshot()
    rows = planner_tables.community_rows(ftype, district.code)
    sites = planner_tables.sites(ftype, district.code)
    lines, levels, snapshot = completeness_lines("community", district=district.code)
    job = None
    if (job_id := request.GET.get("job", "")).isdigit():
        job = Job.objects.filter(pk=int(job_id), user=request.user).first()
    return render(request, "pages/planner.html", {
        "ftype": ftype, "types": FacilityType.objects.all(), "rows": rows, "updating": updating, "job": job,
        "district": district, "sites": sites, "before_after": planner_tables.before_after(rows, sites),
        "focus_note": planner_tables.focus_note(ftype), "has_focus": bool(planner_tables.focus_tags(ftype)),
        "completeness": lines, "levels": levels, "snapshot": snapshot,
        "completeness_updating": completeness_updating,
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


@login_required
@planner_required
def planner_export(request: HttpRequest) -> HttpResponse:
    """Queue the planner's export (POST): the coverage and completeness tables as Excel
    ("xlsx") or the A4 report as PDF ("pdf"); the job's page offers the file when done."""
    from layers.jobs.services import submit

    ftype = _facility_type(request)
    code = request.POST.get("district", "")
    district = code if code.isascii() and code.isdigit() and len(code) == 6 else ""
    back = f"/planner/?type={ftype.code}" + (f"&district={district}" if district else "")
    if request.method != "POST":
        return redirect(back)
    kind = request.POST.get("format", "")
    if kind not in ("xlsx", "pdf"):
        messages.error(request, "导出格式应为 Excel 表格或 PDF 报告")
        return redirect(back)
    what = "Excel 表格" if kind == "xlsx" else "A4 PDF 报告"
    job = submit("facilities.planner_export", key=f"{request.user.pk}:{ftype.code}:{district}:{kind}",
                 label=f"{ftype.name}：导出{what}", user=request.user,
                 params={"type_code": ftype.code, "district": district or None, "kind": kind})
    messages.info(request, "已提交后台生成，完成后可在本页下载。")
    return redirect(f"{back}&job={job.pk}")
