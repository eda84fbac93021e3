"""事件: the list every role with incidents opens (事件列表), a case's page with its history,
督办/催办, linked duplicate reports, merging and its small map. Every incident comes through
layers.accounts.visibility: a grid worker's list and pages hold their grids' cases only, and
another grid's case answers 404."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.gis.geos import Point
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from layers.accounts import visibility
from layers.incidents import duplicates, lifecycle, limits, urges
from layers.incidents import photos as incident_photos
from layers.incidents.models import IncidentCategory, IncidentStatus
from layers.maps.base import render as render_map
from layers.maps.incident import LEGEND_TEXT, incident_map
from layers.pages.forms import TransitionForm
from layers.pages.views.department import department_controls

view_incidents = permission_required("incidents.view_incident", raise_exception=True)
PAGE_SIZE = 20
OPEN, OVERDUE, WARNING = "open", "1", "soon"
STATUS_FILTERS = [("", "全部状态"), (OPEN, "未结案"), *IncidentStatus.choices]
DUE_FILTERS = [("", "不限"), (OVERDUE, "已超时"), (WARNING, "临期（即将超时）")]


class BadFilter(ValueError):
    """A query parameter of the list that cannot be read; str() names it, in Chinese."""


def _date(params, name: str, label: str) -> date | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"{label}（{name}）应为日期，如 2026-11-01") from None
    if not 2000 <= day.year <= 2100:
        raise BadFilter(f"{label}（{name}）应在 2000 年至 2100 年之间")
    return day


def _filters(request: HttpRequest, grids, categories) -> dict:
    """The list's filters, checked: {} values are '' when not given; BadFilter otherwise."""
    params = request.GET
    f = {k: params.get(k, "").strip() for k in ("status", "category", "grid", "overdue")}
    if f["status"] not in dict(STATUS_FILTERS):
        raise BadFilter("状态（status）无效，请从列表中选择")
    if f["category"] and f["category"] not in {c.code for c in categories}:
        raise BadFilter("类别（category）不存在，请从列表中选择")
    if f["grid"] and f["grid"] not in {g.code for g in grids}:
        raise BadFilter("网格（grid）不存在或不在您的范围内，请从列表中选择")
    if f["overdue"] not in dict(DUE_FILTERS):
        raise BadFilter("时限（overdue）无效：只能是 已超时 或 临期")
    f["since"] = _date(params, "since", "开始日期")
    f["until"] = _date(params, "until", "结束日期")
    if f["since"] and f["until"] and f["since"] > f["until"]:
        raise BadFilter("开始日期（since）不能晚于结束日期（until）")
    return f


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(qs, f: dict, now: datetime):
    if f["status"] == OPEN:
        qs = qs.filter(status__in=lifecycle.OPEN_STATUSES)
    elif f["status"]:
        qs = qs.filter(status=f["status"])
    if f["category"]:
        qs = qs.filter(category__code=f["category"])
    if f["grid"]:
        qs = qs.filter(grid__code=f["grid"])
    if f["since"]:
        qs = qs.filter(reported_at__gte=_local_midnight(f["since"]))
    if f["until"]:
        qs = qs.filter(reported_at__lt=_local_midnight(f["until"] + timedelta(days=1)))
    qs = limits.with_stage_deadline(qs)
    if f["overdue"] == OVERDUE:
        qs = qs.filter(limits.overdue_q(now))
    elif f["overdue"] == WARNING:
        qs = qs.filter(limits.warning_q(now))
    return qs


@login_required
@view_incidents
def incident_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    grids = list(visibility.visible_grids(user).only("code", "name").order_by("code"))
    categories = list(IncidentCategory.objects.order_by("group", "code"))
    context = {"grids": grids, "categories": categories, "status_filters": STATUS_FILTERS,
               "due_filters": DUE_FILTERS, "f": {k: request.GET.get(k, "")[:40] for k in
                                                 ("status", "category", "grid", "overdue", "since", "until")}}
    try:
        f = _filters(request, grids, categories)
    except BadFilter as e:
        return render(request, "pages/incidents.html", {**context, "error": str(e), "page": None}, status=400)
    now = timezone.now()
    qs = _filtered(visibility.visible_incidents(user).select_related("category", "grid"), f, now)
    page = Paginator(qs.order_by("-reported_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(i, limits.stage_clock(i, now=now)) for i in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "pages/incidents.html", {**context, "page": page, "rows": rows,
                                                    "query": query.urlencode()})


def _visible(request: HttpRequest, pk: int):
    return get_object_or_404(visibility.visible_incidents(request.user).select_related("category", "grid",
                                                                                      "duplicate_of", "department"),
                             pk=pk)


def person(user) -> str:
    """A user as people read it: their name, else their login."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


@login_required
@view_incidents
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _visible(request, pk)
    can_change = request.user.has_perm("incidents.change_incident")
    if request.method == "POST":
        if not can_change:
            return HttpResponse("无权变更事件状态", status=403)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "提交的内容无效：" + "；".join(e for errs in form.errors.values() for e in errs))
            return redirect("incident", pk=pk)
        try:
            incident_photos.move_with_photos(
                incident, form.cleaned_data["to_status"], request.FILES.getlist(incident_photos.FIELD),
                by=request.user, note=form.cleaned_data["note"], satisfaction=form.cleaned_data["satisfaction"],
                expected_status=form.cleaned_data["from_status"] or None)
            messages.success(request, f"状态已更新为「{incident.get_status_display()}」")
        except (lifecycle.TransitionError, incident_photos.PhotoError) as e:
            messages.error(request, str(e))
        return redirect("incident", pk=pk)
    user = request.user
    steps = [(s, IncidentStatus(s).label) for s in lifecycle.steps_for(incident, user)] if can_change else []
    steps, dept = department_controls(incident, user, steps)  # 派遣/接收/反馈: _incident_department.html
    visible = visibility.visible_incidents(user)
    may_merge = user.has_perm("incidents.merge_incident") and incident.duplicate_of_id is None
    merge_candidates = []
    if may_merge and not incident.merged.exists():
        merge_candidates = list(duplicates.candidates(visible, category=incident.category_id, point=incident.geom,
                                                      at=incident.reported_at, exclude_pk=incident.pk))
    return render(request, "pages/incident.html", {
        **dept, "i": incident, "steps": steps, "clock": limits.stage_clock(incident), "map_legend": LEGEND_TEXT,
        "limits": [(limits.ACCEPT_STAGE, limits.limit_text(incident.category.accept_limit_hours), "自上报起"),
                   (limits.DISPATCH_STAGE, limits.limit_text(incident.category.dispatch_limit_hours), "自立案起"),
                   (limits.HANDLE_STAGE, limits.limit_text(incident.category.time_limit_hours), "自派遣起至结案")],
        "history": [(t, person(t.by)) for t in incident.transitions.select_related("by")],
        "urges": [(u, person(u.by)) for u in incident.urges.select_related("by")],
        "urge_kinds": urges.kinds_for(incident, user),
        "reporter": person(incident.reporter) if incident.reporter else incident.reporter_name,
        "reports": [(r, person(r.reporter) if r.reporter else r.reporter_name or "—")
                    for r in incident.reports.select_related("reporter", "category")],
        "merged": visible.filter(duplicate_of=incident).select_related("category"),
        "merge_candidates": merge_candidates,
        "duplicate_of_visible": incident.duplicate_of_id and visible.filter(pk=incident.duplicate_of_id).exists(),
    })


@login_required
@view_incidents
@xframe_options_sameorigin
def incident_map_html(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _visible(request, pk)
    merged = visibility.visible_incidents(request.user).filter(duplicate_of=incident).select_related("category")
    m = incident_map(incident, incident.reports.all(), merged)
    return HttpResponse(render_map(m, nonce=request.csp_nonce))


@login_required
@view_incidents
@require_POST
def incident_urge(request: HttpRequest, pk: int) -> HttpResponse:
    """督办 / 催办 (layers.incidents.urges): logged, the status does not move."""
    incident = _visible(request, pk)
    kind = request.POST.get("kind", "")
    try:
        urges.record(incident, kind, by=request.user, note=request.POST.get("note", "").strip())
    except urges.UrgeNotAllowed as e:
        return HttpResponse(str(e), status=403)
    except urges.UrgeError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"已{kind}")
    return redirect("incident", pk=pk)


@login_required
@permission_required("incidents.merge_incident", raise_exception=True)
@require_POST
def incident_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this case into another (``into``): the command centre's tidy-up of duplicates."""
    incident = _visible(request, pk)
    try:
        target = _visible(request, int(request.POST.get("into", "")))
    except ValueError:
        messages.error(request, "请选择要合并到的事件（into 应为事件编号）")
        return redirect("incident", pk=pk)
    try:
        duplicates.merge(incident, target, by=request.user)
    except (duplicates.MergeError, lifecycle.TransitionError) as e:
        messages.error(request, str(e))
        return redirect("incident", pk=pk)
    messages.success(request, f"已将事件 {incident.pk} 合并到事件 {target.pk}")
    return redirect("incident", pk=target.pk)


@login_required
@permission_required("incidents.add_incident", raise_exception=True)
def duplicates_json(request: HttpRequest) -> JsonResponse:
    """Cases a report of ?category=ID at ?lon=&lat= (WGS84) may repeat, for the report form."""
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
        category = int(request.GET["category"])
    except (KeyError, ValueError):
        return JsonResponse({"error": "需要 lon、lat（WGS84 度）和 category（类别编号）参数"}, status=400)
    if not (73 <= lon <= 136 and 3 <= lat <= 54):
        return JsonResponse({"error": "lon/lat 不在中国范围内"}, status=400)
    if not IncidentCategory.objects.filter(pk=category).exists():
        return JsonResponse({"error": "category 类别不存在"}, status=400)
    found = duplicates.candidates(visibility.visible_incidents(request.user), category=category,
                                  point=Point(lon, lat, srid=4326))[:10]
    return JsonResponse({"duplicates": [duplicates.as_dict(i) for i in found]})

