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
    district = district_choice(request, one_when_large=True)  # a province's coverage: district by district
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

    district = district_choice(request, say=False, one_when_large=True)
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


def _float(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _scenario_post(request: HttpRequest) -> str:
    """Apply one form of the scenarios page; returns the query string to go back to."""
    from django.contrib.gis.geos import Point
    from django.db import IntegrityError, transaction

    from layers.facilities.models import Facility, Scenario, ScenarioChange
    from layers.grids.models import District
    from layers.jobs.services import submit

    action = request.POST.get("action", "")
    if action == "create":
        name = request.POST.get("name", "").strip()
        if not name or len(name) > 100:
            messages.error(request, "情景名称：必填，且不超过 100 个字")
            return ""
        try:
            with transaction.atomic():
                scenario = Scenario.objects.create(name=name, note=request.POST.get("note", "")[:500],
                                                   created_by=request.user)
        except IntegrityError:
            messages.error(request, f"情景名称：已有名为「{name}」的情景")
            return ""
        messages.info(request, f"已创建情景「{scenario.name}」")
        return f"?scenario={scenario.pk}"
    scenario = Scenario.objects.filter(pk=int(s) if (s := request.POST.get("scenario", "")).isdigit() else 0).first()
    if scenario is None:
        messages.error(request, "情景：请选择一个已有的情景")
        return ""
    back = f"?scenario={scenario.pk}"
    if action == "compute":
        job = submit("facilities.scenario", key=str(scenario.pk), label=f"计算情景「{scenario.name}」",
                     user=request.user, params={"scenario_id": scenario.pk})
        messages.info(request, "已提交后台计算，完成后本页自动刷新。")
        return f"{back}&job={job.pk}"
    if action not in ("add", "move", "close"):
        messages.error(request, "操作：应为新建、迁址或关闭设施")
        return back
    geom = None
    if action in ("add", "move"):
        lon, lat = _float(request.POST.get("lon", ""), -180, 180), _float(request.POST.get("lat", ""), -90, 90)
        if lon is None or lat is None:
            messages.error(request, "经度、纬度：请填写数字（WGS84 经纬度，如 104.08、30.66）")
            return back
        geom = Point(lon, lat, srid=4326)
        if not District.objects.filter(geom__intersects=geom).exists():
            messages.error(request, "经度、纬度：该位置不在任何辖区内")
            return back
    if action == "add":
        ftype = FacilityType.objects.filter(code=request.POST.get("type", "")).first()
        if ftype is None:
            messages.error(request, "设施类型：请选择一个设施类型")
            return back
        ScenarioChange.objects.create(scenario=scenario, action=action, facility_type=ftype, geom=geom,
                                      name=request.POST.get("name", "")[:200] or f"新建{ftype.name}")
    else:
        facility = Facility.objects.filter(
            pk=int(f) if (f := request.POST.get("facility", "")).isdigit() else 0).first()
        if facility is None:
            messages.error(request, "现有设施：请选择一个设施")
            return back
        ScenarioChange.objects.create(scenario=scenario, action=action, facility=facility, geom=geom,
                                      name=facility.name[:200])
    messages.info(request, "已记入情景（真实设施数据未改动），请重新计算情景。")
    return back


@login_required
@planner_required
def planner_scenarios(request: HttpRequest) -> HttpResponse:
    """规划情景: scenarios of added, moved or closed facilities (never the real data), computed
    in the background, two of them compared side by side with today."""
    from layers.facilities.models import Facility, Scenario
    from layers.facilities.walking.scenarios import comparison
    from layers.jobs.models import Job

    ftype = _facility_type(request)
    if request.method == "POST":
        return redirect("/planner/scenarios/" + (_scenario_post(request) or f"?type={ftype.code}"))
    scenarios = list(Scenario.objects.prefetch_related("changes__facility", "changes__facility_type"))
    picked = [s for key in ("a", "b") if (v := request.GET.get(key, "")).isdigit()
              for s in scenarios if s.pk == int(v)]
    titles, rows = comparison(picked, ftype.code)
    job = None
    if (job_id := request.GET.get("job", "")).isdigit():
        job = Job.objects.filter(pk=int(job_id), user=request.user).first()
    current = next((s for s in scenarios if str(s.pk) == request.GET.get("scenario", "")), None)
    return render(request, "pages/planner_scenarios.html", {
        "ftype": ftype, "types": FacilityType.objects.all(), "scenarios": scenarios, "current": current,
        "facilities": Facility.objects.filter(type=ftype).order_by("name")[:500], "titles": titles, "rows": rows,
        "picked": picked, "job": job,
    })
