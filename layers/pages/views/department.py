"""The departments' and the command centre's pages (GB/T 30428 roles): /dept/ lists the
open cases sent to the user's department(s) (and, for the command centre, the reports
waiting for 立案 and 派遣); the case page's department controls (派遣 with a department,
接收处置, 处置反馈) post to :func:`incident_step`; /notifications/ is the bell's list.

Rows come through layers.accounts.visibility; every step through lifecycle.move, which
checks the role (a department user moves only its own cases)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from layers.accounts import visibility
from layers.incidents import lifecycle
from layers.incidents import photos as incident_photos
from layers.incidents.lifecycle import IncidentStatus as S
from layers.incidents.models import Department, IncidentTransition, Notification
from layers.maps.worker import countdown_text

# The steps the department include shows (the rest stay with the case page's own buttons).
DEPARTMENT_STEPS = {S.DISPATCHED, S.FEEDBACK}
STEP_LABELS = {S.DISPATCHED: "派遣", S.HANDLING: "接收处置", S.FEEDBACK: "处置反馈"}
NOTE_MAX = 300


def _department_step(incident, to_status: str) -> bool:
    return to_status in DEPARTMENT_STEPS or (to_status == S.HANDLING and incident.status == S.DISPATCHED)


def department_controls(incident, user, steps: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict]:
    """Split the case page's steps: those the include _incident_department.html shows
    (派遣 with its department select, 接收处置, 处置反馈) and the others. Returns
    (other steps, context for the include)."""
    mine = [(code, STEP_LABELS.get(code, label)) for code, label in steps if _department_step(incident, code)]
    others = [(code, label) for code, label in steps if not _department_step(incident, code)]
    context = {"dept_steps": mine, "dispatch_departments": []}
    if any(code == S.DISPATCHED for code, _ in mine):
        district = incident.grid.community.street.district.code if incident.grid_id else None
        context["dispatch_departments"] = list(
            visibility.visible_departments(user, district).filter(active=True).order_by("kind", "name"))
    return others, context


class StepForm(forms.Form):
    to_status = forms.ChoiceField(choices=[(s, STEP_LABELS[s]) for s in (S.DISPATCHED, S.HANDLING, S.FEEDBACK)])
    from_status = forms.ChoiceField(choices=S.choices)
    note = forms.CharField(label="说明", required=False, max_length=NOTE_MAX)
    department = forms.ModelChoiceField(Department.objects.filter(active=True), required=False, label="处置部门",
                                        error_messages={"invalid_choice": "所选处置部门不存在或已停用"})


@login_required
@require_POST
def incident_step(request: HttpRequest, pk: int) -> HttpResponse:
    """派遣 (with a department), 接收处置 or 处置反馈 of one case, through lifecycle.move."""
    incident = get_object_or_404(visibility.visible_incidents(request.user), pk=pk)
    if not request.user.has_perm("incidents.change_incident"):
        raise PermissionDenied("无权变更事件状态")
    form = StepForm(request.POST)
    if not form.is_valid():
        errors = "；".join(f"{form.fields[k].label or k}：{e}" if k != "__all__" else e
                          for k, errs in form.errors.items() for e in errs)
        messages.error(request, f"提交的内容无效：{errors}")
        return redirect("incident", pk=pk)
    data = form.cleaned_data
    department = data["department"] if data["to_status"] == S.DISPATCHED else None
    if department is not None and not visibility.visible_departments(request.user).filter(pk=department.pk).exists():
        messages.error(request, "处置部门：无权派遣到该部门")
        return redirect("incident", pk=pk)
    try:
        incident_photos.move_with_photos(incident, data["to_status"], request.FILES.getlist(incident_photos.FIELD),
                                         by=request.user, note=data["note"], expected_status=data["from_status"],
                                         department=department)
    except (lifecycle.TransitionError, incident_photos.PhotoError) as e:  # a refused role: the message says who may
        messages.error(request, str(e))
    else:
        messages.success(request, f"状态已更新为「{incident.get_status_display()}」")
    return redirect("incident", pk=pk)


def _may_use(user) -> bool:
    return user.has_perm(lifecycle.HANDLE_PERMISSION) or user.has_perm(lifecycle.COMMAND_PERMISSION)


@login_required
def department_page(request: HttpRequest) -> HttpResponse:
    """待办: the department's open cases (派遣 待接收, 处理中, 退回) with the time left; for the
    command centre also the reports waiting for 立案 and the cases waiting for 派遣."""
    user = request.user
    if not _may_use(user):
        raise PermissionDenied("本页供处置部门和指挥中心使用")
    now = timezone.now()
    last_from = Subquery(IncidentTransition.objects.filter(incident=OuterRef("pk")).order_by("-id")
                         .values("from_status")[:1])
    visible = visibility.visible_incidents(user).select_related("category", "grid", "department")
    mine = (visible.filter(department_id__in=visibility.user_department_ids(user),
                           status__in=[S.DISPATCHED, S.HANDLING])
            .annotate(last_from=last_from).order_by("dispatched_at", "id"))
    cases = [{"i": i, "left": countdown_text(i, now=now), "overdue": lifecycle.is_overdue(i, now=now),
              "returned": i.status == S.HANDLING and i.last_from in (S.FEEDBACK, S.CLOSED)} for i in mine]
    waiting = []
    if user.has_perm(lifecycle.COMMAND_PERMISSION):
        waiting = list(visible.filter(status__in=[S.REPORTED, S.ACCEPTED]).order_by("reported_at", "id")[:200])
    return render(request, "pages/department.html", {
        "cases": cases, "waiting": waiting, "command": user.has_perm(lifecycle.COMMAND_PERMISSION),
        "departments": Department.objects.filter(users=user).order_by("name"),
    })


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    """The bell's list, newest first; POST marks them read (all, or ``id``)."""
    mine = Notification.objects.filter(user=request.user)
    if request.method == "POST":
        unread = mine.filter(read_at__isnull=True)
        if raw := request.POST.get("id"):
            if not raw.isdigit():
                return HttpResponse("参数 id 必须是消息编号（整数）", status=400, content_type="text/plain; charset=utf-8")
            unread = unread.filter(pk=int(raw))
        unread.update(read_at=timezone.now())
        return redirect("notifications")
    items = list(mine.select_related("incident__category")[:100])
    return render(request, "pages/notifications.html", {"items": items})
