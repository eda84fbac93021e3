"""The admin moves incidents only through the lifecycle (layers.incidents.lifecycle).

status, dispatched_at, closed_at and satisfaction are read-only on the change page; a form
below it (状态流转) posts to ``<id>/transition/``, which calls lifecycle.move with the row
lock, the rules (separation of duties, 回访 satisfaction) and the history, like the pages
and the API. A new incident added in the admin starts at 信息采集 with its first step.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse

from layers.incidents import lifecycle
from layers.incidents.models import Department, Incident, IncidentStatus, IncidentTransition

LIFECYCLE_FIELDS = ["status", "department", "dispatched_at", "closed_at", "satisfaction"]


class AdminTransitionForm(forms.Form):
    """One step: the target status, the status the admin saw, a note, the 回访 result."""

    to_status = forms.ChoiceField(label="下一步", choices=[])
    from_status = forms.ChoiceField(choices=IncidentStatus.choices, widget=forms.HiddenInput)
    satisfaction = forms.ChoiceField(label="回访结果（仅回访评价）", required=False,
                                     choices=[("", "—"), *lifecycle.SATISFACTION_CHOICES])
    department = forms.ModelChoiceField(Department.objects.filter(active=True), required=False,
                                        label="处置部门（仅派遣）")
    note = forms.CharField(label="说明", required=False, max_length=300)

    def __init__(self, *args, incident: Incident, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        district_id = (incident.grid.community.street.district_id if incident.grid_id else None)
        if district_id is not None:
            self.fields["department"].queryset = Department.objects.filter(active=True, district_id=district_id)
        self.fields["to_status"].choices = [(s, IncidentStatus(s).label) for s in lifecycle.steps_for(incident, user)]
        self.fields["from_status"].initial = incident.status


class TransitionInline(admin.TabularInline):
    """The history, read-only: steps are added by the lifecycle only, never edited or deleted."""

    model = IncidentTransition
    extra = 0
    readonly_fields = ["from_status", "to_status", "at", "by", "note"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class IncidentLifecycleAdmin(admin.ModelAdmin):
    """Mixed into IncidentAdmin: lifecycle fields read-only, moves through the lifecycle."""

    change_form_template = "admin/incidents/incident/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *LIFECYCLE_FIELDS]

    def save_model(self, request, obj: Incident, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        if obj.reporter_id is None:
            obj.reporter = request.user
        super().save_model(request, obj, form, change)
        lifecycle.start_history(obj, by=request.user, note="后台录入")

    def get_urls(self):
        meta = self.model._meta
        return [
            path("<path:object_id>/transition/", self.admin_site.admin_view(self.transition_view),
                 name=f"{meta.app_label}_{meta.model_name}_transition"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if obj is not None and self.has_change_permission(request, obj):
            extra_context["transition_form"] = AdminTransitionForm(incident=obj, user=request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only: one lifecycle step, then back to the change page with a message."""
        obj = self.get_object(request, object_id)  # through get_queryset: only visible incidents
        if obj is None:
            raise PermissionDenied
        if request.method != "POST" or not self.has_change_permission(request, obj):
            raise PermissionDenied
        back = HttpResponseRedirect(reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change",
                                            args=[obj.pk]))
        form = AdminTransitionForm(request.POST, incident=obj, user=request.user)
        if not form.is_valid():
            errors = "；".join(e for errs in form.errors.values() for e in errs)
            self.message_user(request, f"未变更状态：{errors}", messages.ERROR)
            return back
        data = form.cleaned_data
        try:
            department = data["department"] if data["to_status"] == IncidentStatus.DISPATCHED else None
            lifecycle.move(obj, data["to_status"], by=request.user, note=data["note"],
                           satisfaction=data["satisfaction"], expected_status=data["from_status"],
                           department=department)
        except lifecycle.TransitionError as e:
            self.message_user(request, f"未变更状态：{e}", messages.ERROR)
        else:
            self.message_user(request, f"状态已更新为「{obj.get_status_display()}」", messages.SUCCESS)
        return back
