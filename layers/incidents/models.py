"""Incidents (事件): categories, the lifecycle statuses, incidents at points and their
history. ``status`` is the current step; every change is kept in IncidentTransition
(layers.incidents.lifecycle moves an incident and writes the history).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField

from layers.grids.limits import ADDRESS_MAX, DESCRIPTION_MAX, KEY_MAX, PERSON_NAME_MAX, validate_not_before_2000
from layers.grids.models import GridLinked, Synthetic, geometry_rules
from layers.incidents.lifecycle import SATISFACTION_CHOICES, IncidentLifecycle, IncidentStatus

__all__ = ["Incident", "IncidentCategory", "IncidentPhoto", "IncidentStatus", "IncidentTransition"]

# --- incidents ------------------------------------------------------------------------------


class IncidentCategory(models.Model):
    """An incident class (DOMAIN.md §3), kept as data. The time limit runs from dispatch."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    color = models.CharField("颜色", max_length=7, default="#e41a1c")
    time_limit_hours = models.PositiveIntegerField("处置时限(小时)")
    group = models.CharField("体系", max_length=20, default="社会治理", help_text="数字城管 或 社会治理")

    class Meta:
        verbose_name = verbose_name_plural = "事件类别"
        ordering = ["group", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="incidentcategory_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name


class Incident(IncidentLifecycle, GridLinked, Synthetic):
    """事件 reported at a point. ``status`` is the current step; every change is kept in
    IncidentTransition. ``status`` is protected: only layers.incidents.lifecycle.move
    changes it (with the row locked) and writes the history in the same transaction."""

    external_id = models.CharField("编号", max_length=KEY_MAX, blank=True)
    category = models.ForeignKey(
        IncidentCategory, on_delete=models.PROTECT, related_name="incidents", verbose_name="类别"
    )
    # max_length: the form, the API serializer and import_incidents all read this limit; the
    # validator makes full_clean() (admin, any other path) enforce it too (a TextField's
    # max_length alone is only a hint to forms).
    description = models.TextField("描述", max_length=DESCRIPTION_MAX, validators=[MaxLengthValidator(DESCRIPTION_MAX)])
    address = models.CharField("地址", max_length=ADDRESS_MAX, blank=True)
    # Not before 2000 (a typed 0001-01-01 would be stored BC and break every page listing it);
    # no upper bound here: imports accept a day of clock difference (importers.loaders.incidents).
    reported_at = models.DateTimeField("上报时间", db_index=True, validators=[validate_not_before_2000])
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="上报人"
    )
    reporter_name = models.CharField("上报人姓名", max_length=PERSON_NAME_MAX, blank=True)
    status = FSMField("状态", max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.REPORTED,
                      protected=True)
    dispatched_at = models.DateTimeField("派遣时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    satisfaction = models.CharField("回访结果", max_length=4, blank=True, choices=SATISFACTION_CHOICES)
    # Made by the phone (crypto.randomUUID) before sending: a report queued offline and sent
    # twice (a retry, a lost answer) is stored once (layers/pages/views/worker.py, the API).
    client_id = models.UUIDField("客户端编号", null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "事件"
        ordering = ["-reported_at"]
        indexes, constraints = geometry_rules("incident")
        indexes = [
            *indexes,
            models.Index(fields=["grid", "status"], name="incident_grid_status_idx"),
            models.Index(fields=["category", "reported_at"], name="incident_category_time_idx"),
        ]
        constraints = [
            *constraints,
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""), name="incident_external_key"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.reported_at:%Y-%m-%d %H:%M}"

    def clean_fields(self, exclude=None) -> None:
        # ``status`` is protected (only the lifecycle moves it): validating the other fields
        # (admin, importers, full_clean) must not write it back.
        super().clean_fields(exclude={*(exclude or ()), "status"})


class IncidentTransition(models.Model):
    """One step of an incident's history: who moved it from which status to which, when.

    Append-only, in id order: each step's from_status is the previous step's to_status and
    the last step's to_status is the incident's status (checked by the database, see
    sql/0002_incident_history_guard.sql)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="transitions", verbose_name="事件")
    from_status = models.CharField("原状态", max_length=12, choices=IncidentStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=IncidentStatus.choices)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="操作人"
    )
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "事件流转记录"
        ordering = ["incident", "at", "id"]
        # The last step of an incident, one index probe: the history guard asks for it on every
        # new step (a backward scan of the primary key instead makes bulk loads quadratic).
        indexes = [models.Index(fields=["incident", "-id"], name="incidenttransition_last_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class IncidentPhoto(models.Model):
    """A photo of an incident, taken at report (上报), with the department's feedback
    (处置反馈) or at verification (核查). The file is the server's re-encoded JPEG (at most
    layers.incidents.photos.MAX_LONG_SIDE_PX on its long side, no metadata: no GPS) under
    MEDIA_ROOT with a random name; it is served only through the incident's page
    (layers/pages/views/photos.py), never under a public URL."""

    class Stage(models.TextChoices):
        REPORT = "report", "上报"
        FEEDBACK = "feedback", "处置反馈"
        VERIFY = "verify", "核查"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="photos", verbose_name="事件")
    stage = models.CharField("环节", max_length=10, choices=Stage.choices)
    file = models.FileField("照片", max_length=200)
    thumbnail = models.FileField("缩略图", max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    width = models.PositiveIntegerField("宽(像素)")
    height = models.PositiveIntegerField("高(像素)")

    class Meta:
        verbose_name = verbose_name_plural = "事件照片"
        ordering = ["incident", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} · {self.uploaded_at:%Y-%m-%d %H:%M}"
