"""The grid worker's pages (我的网格): map, household list and record, visits, incident
reporting and the incident lifecycle. Every object comes through layers.accounts.visibility, so
another grid's household or incident answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.gis.geos import Point
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from layers.accounts import visibility
from layers.accounts.pii import reveal
from layers.accounts.reporting import ReportLocationError, report_grid
from layers.incidents import duplicates, lifecycle, limits
from layers.incidents import photos as incident_photos
from layers.incidents.models import Incident, IncidentPhoto
from layers.incidents.rows import CaseRow, case_rows
from layers.maps.base import render as render_map
from layers.maps.worker import worker_map
from layers.pages.forms import ReportIncidentForm, VisitForm
from layers.pages.views.district import district_choice
from layers.pages.views.offline import form_error_text, queued_time, wants_json
from layers.people.masking import mask_name
from layers.people.models import HouseholdTag, Visit

worker_required = permission_required("people.view_household", raise_exception=True)


def _open_incidents(user, district: str | None = None):
    # Stage deadlines annotated: the clocks of the list and the map read them without a query per case.
    return limits.with_stage_deadline(visibility.visible_incidents(user, district)
                                      .filter(status__in=lifecycle.OPEN_STATUSES)
                                      .select_related("category", "grid").defer("grid__geom")  # no outline shown
                                      .order_by("reported_at"))


@login_required
@worker_required
def my_grids(request: HttpRequest) -> HttpResponse:
    user = request.user
    district = district_choice(request)  # a select only for a worker holding grids in several districts
    # 最近走访 is Household.last_visit everywhere (kept from the visits by the database).
    households = visibility.visible_households(user, district.code).order_by("grid__code", "address")
    if tag := request.GET.get("tag"):
        households = households.filter(tags__contains=[tag])
    page = Paginator(households.values_list("id", "head_name", "address", "residents", "tags", "last_visit"),
                     50).get_page(request.GET.get("page"))
    # The rows as the tables show them, read as plain rows and linked without a reverse() per row:
    # models and template lookups per row were 10 of this page's 18 ms of CPU (bench/serve.py).
    household_url, vulnerable = pk_url("household"), HouseholdTag.vulnerable()
    household_rows = [{"url": household_url(pk), "head": mask_name(head), "address": address, "residents": residents,
                       "tags": [(t, t in vulnerable) for t in tags], "last_visit": last_visit}
                      for pk, head, address, residents, tags, last_visit in page]
    now, incident_url, incidents = timezone.now(), pk_url("incident"), []
    for case in map(CaseRow, case_rows(_open_incidents(user, district.code))):
        clock = limits.stage_clock(case, now=now)
        incidents.append({"url": incident_url(case.pk), "category": case.category.name, "status": case.status_label,
                          "reported_at": case.reported_at, "left": clock.text if clock else "",
                          "overdue": clock is not None and clock.overdue})
    return render(request, "pages/my_grids.html", {
        "grids": visibility.visible_grids(user, district.code).select_related("community").defer("geom", "community__geom"),
        "page": page, "households": household_rows, "incidents": incidents, "tag": tag or "", "district": district,
    })


def pk_url(name: str):
    """pk → ``reverse(name, args=[pk])`` for a URL pattern with one integer argument, reversed once."""
    head, _, tail = reverse(name, args=[_PK_MARK]).partition(str(_PK_MARK))
    return lambda pk: f"{head}{int(pk)}{tail}"


_PK_MARK = 918273645


@login_required
@worker_required
@xframe_options_sameorigin
def my_map(request: HttpRequest) -> HttpResponse:
    user = request.user
    code = district_choice(request, say=False).code
    m = worker_map(visibility.visible_grids(user, code), visibility.visible_households(user, code),
                   _open_incidents(user, code))
    return HttpResponse(render_map(m, nonce=request.csp_nonce))


@login_required
@worker_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(visibility.visible_households(request.user).select_related("grid"), pk=pk)
    return render(request, "pages/household.html", {
        "h": household, "visits": household.visits.select_related("user")[:20], "form": VisitForm(),
        "can_reveal": visibility.can_see_pii(request.user),
    })


@login_required
@worker_required
@require_POST
def household_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Full ID number and phone, shown once and logged (who, when, which record)."""
    household = reveal(request.user, pk, via="page")
    return render(request, "pages/household.html", {
        "h": household, "visits": household.visits.select_related("user")[:20], "form": VisitForm(),
        "revealed": True, "can_reveal": True,
    })


@login_required
@permission_required("people.add_visit", raise_exception=True)
@require_POST
def household_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a visit; Household.last_visit follows from the database (people/sql/0003)."""
    household = get_object_or_404(visibility.visible_households(request.user).select_related("grid"), pk=pk)
    form = VisitForm(request.POST)
    if not form.is_valid():
        if wants_json(request):
            return JsonResponse({"error": f"走访记录有误：{form_error_text(form)}"}, status=400)
        # The form again with what was typed and the reasons next to the fields.
        messages.error(request, f"走访记录有误：{form.errors_text()}")
        return render(request, "pages/household.html", {
            "h": household, "visits": household.visits.select_related("user")[:20], "form": form,
            "can_reveal": visibility.can_see_pii(request.user),
        }, status=400)
    client_id = form.cleaned_data["client_id"]
    visit, created = _existing_visit(request.user, household, client_id), False
    if visit is None:
        visit = form.save(commit=False)
        visit.household, visit.user, visit.client_id = household, request.user, client_id
        try:
            with transaction.atomic():
                visit.save()
                created = True
        except IntegrityError:
            # The same visit sent twice at once (a replay and a retry): the first one stays.
            visit = _existing_visit(request.user, household, client_id)
            if visit is None:
                raise
    if visit is False:
        return _refused(request, "该走访的提交编号已被他人使用，请重新填写", redirect_to=("household", pk))
    if wants_json(request):
        return JsonResponse({"id": visit.pk, "created": created, "url": reverse("household", args=[pk])},
                            status=201 if created else 200)
    messages.success(request, "走访记录已保存" if created else "该走访记录已保存过，未重复保存")
    return redirect("household", pk=pk)


def _existing_visit(user, household, client_id) -> Visit | None | bool:
    """The visit already stored under ``client_id`` (None: none; False: someone else's)."""
    if client_id is None:
        return None
    visit = Visit.objects.filter(client_id=client_id).first()
    if visit is None:
        return None
    return visit if (visit.user_id, visit.household_id) == (user.pk, household.pk) else False


def _existing_incident(user, client_id) -> Incident | None | bool:
    """The incident already reported under ``client_id`` (None: none; False: someone else's)."""
    if client_id is None:
        return None
    incident = Incident.objects.filter(client_id=client_id).first()
    if incident is None:
        return None
    return incident if incident.reporter_id == user.pk else False


def _refused(request: HttpRequest, message: str, *, redirect_to: tuple) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": message}, status=400)
    messages.error(request, message)
    return redirect(*redirect_to)


def _reported(request: HttpRequest, incident: Incident, *, created: bool) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"id": incident.pk, "created": created, "url": reverse("incident", args=[incident.pk])},
                            status=201 if created else 200)
    if created:
        incident.refresh_from_db()
        messages.success(request, f"事件已上报，所属网格：{incident.grid}")
    else:
        messages.info(request, "该事件已上报过，未重复保存")
    return redirect("incident", pk=incident.pk)


@login_required
@permission_required("incidents.add_incident", raise_exception=True)
def report_incident(request: HttpRequest) -> HttpResponse:
    """上报事件. Before a new case is opened, the cases it may repeat (same category, 50 m,
    72 h: layers.incidents.duplicates) are shown; the worker links the report to one of them
    (关联到此事件) or reports anyway (仍然上报). Nothing typed is lost either way."""
    form = ReportIncidentForm(request.POST or None, initial=request.GET or None)
    found = []
    if request.method == "POST" and form.is_valid():
        client_id = form.cleaned_data["client_id"]
        existing = _existing_incident(request.user, client_id)
        if existing is False:
            return _refused(request, "该上报的提交编号已被他人使用，请重新填写", redirect_to=("report_incident",))
        if existing:
            return _reported(request, existing, created=False)
        point = Point(form.cleaned_data["lon"], form.cleaned_data["lat"], srid=4326)
        try:
            report_grid(request.user, point)
            photos = incident_photos.prepare_all(request.FILES.getlist(incident_photos.FIELD))
        except (ReportLocationError, incident_photos.PhotoError) as e:
            form.add_error(None, str(e))
        else:
            data = form.cleaned_data
            found = list(duplicates.candidates(visibility.visible_incidents(request.user),
                                               category=data["category"], point=point))
            if link_to := request.POST.get("link_to"):
                target = next((c for c in found if str(c.pk) == link_to), None)
                if target is None:
                    form.add_error(None, "所选事件已不在可关联的范围内（同类、50 米内、72 小时内），请重新选择")
                else:
                    duplicates.link(target, by=request.user, category=data["category"],
                                    description=data["description"], address=data["address"], point=point)
                    if photos:  # what the reporter photographed stays, on the case it repeats
                        incident_photos.attach(target, photos, stage=IncidentPhoto.Stage.REPORT, by=request.user)
                    messages.success(request, f"已作为重复上报关联到事件 {target.pk}，未新建事件")
                    return redirect("incident", pk=target.pk)
            elif not found or request.POST.get("force_new") or wants_json(request):
                # A report from the phone's offline queue (JSON) cannot be asked which case it
                # repeats: it opens a case whose first step names them, for the command centre to merge.
                return _open_case(request, data, point, photos, found)
            # else: the page lists them, with 关联到此事件 and 仍然上报
            if photos:  # a browser cannot keep chosen files across pages
                messages.warning(request, f"已选的 {len(photos)} 张照片未保存：请在关联或仍然上报前重新选择")
    if request.method == "POST" and wants_json(request):
        return JsonResponse({"error": f"上报有误：{form_error_text(form)}"}, status=400)
    grids = visibility.visible_grids(request.user)
    return render(request, "pages/report.html", {"form": form, "grids_geojson": _grids_geojson(grids),
                                                "duplicates": found})


def _open_case(request: HttpRequest, data: dict, point: Point, photos: list, found: list) -> HttpResponse:
    now = timezone.now()
    reported_at = queued_time(data["queued_at"], now=now)
    notes = []
    if reported_at != now:  # a report made offline keeps the time it was made
        notes.append(f"离线上报，{timezone.localtime(now):%Y-%m-%d %H:%M} 上传")
    if found:
        notes.append("附近可能重复：" + "、".join(f"事件 {c.pk}" for c in found))
    client_id = data["client_id"]
    try:
        with transaction.atomic():
            incident = lifecycle.report(
                by=request.user, reporter_name=request.user.get_username(), geom=point,
                category=data["category"], description=data["description"], address=data["address"],
                client_id=client_id, reported_at=reported_at, note="；".join(notes)[:300])
            incident_photos.attach(incident, photos, stage=IncidentPhoto.Stage.REPORT, by=request.user)
    except IntegrityError:
        # The same report sent twice at once (a replay and a retry): the first one stays.
        incident = _existing_incident(request.user, client_id)
        if not incident:
            raise
        return _reported(request, incident, created=False)
    return _reported(request, incident, created=True)


def _grids_geojson(grids) -> dict:
    import json

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(g.geom.geojson), "properties": {"name": g.name, "code": g.code}}
        for g in grids]}


@login_required
@permission_required("incidents.add_incident", raise_exception=True)
def grid_at(request: HttpRequest) -> JsonResponse:
    """The grid an incident reported at a point (?lon=&lat=) would go to, for the report
    form; 404 with the reason when the report would be refused (layers.accounts.reporting)."""
    try:
        point = Point(float(request.GET["lon"]), float(request.GET["lat"]), srid=4326)
    except (KeyError, ValueError):
        return JsonResponse({"error": "需要 lon 和 lat 参数（WGS84 度）"}, status=400)
    try:
        grid = report_grid(request.user, point)
    except ReportLocationError as e:
        return JsonResponse({"error": str(e)}, status=404)
    return JsonResponse({"code": grid.code, "name": grid.name, "community": grid.community.name})
