"""Incidents (事件): categories, the lifecycle statuses, incidents at points and their
history. ``status`` is the current step; every change is kept in IncidentTransition
(layers.incidents.lifecycle moves an incident and writes the history).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField

from layers.grids.limits import ADDRESS_MAX, DESCRIPTION_MAX, KEY_MAX, PERSON_NAME_MAX, validate_not_before_2000
from layers.grids.models import District, DistrictPartitioned, GridLinked, Synthetic, geometry_rules, grid_link_field
from layers.incidents.lifecycle import SATISFACTION_CHOICES, IncidentLifecycle, IncidentStatus

__all__ = ["Department", "Incident", "IncidentCategory", "IncidentPhoto", "IncidentReport", "IncidentStatus",
           "IncidentTransition", "IncidentUrge", "Notification"]

# --- incidents ------------------------------------------------------------------------------


class IncidentCategory(models.Model):
    """An incident class (DOMAIN.md §3), kept as data, with a time limit per stage
    (layers.incidents.limits): 立案 from the report, 派遣 from 立案, 处置 from 派遣 to 结案."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    color = models.CharField("颜色", max_length=7, default="#e41a1c")
    time_limit_hours = models.PositiveIntegerField("处置时限(小时)", help_text="自派遣起至核查结案")
    # Fractions of an hour: cities set 立案 and 派遣 in minutes (DOMAIN.md §3, e.g. 15 minutes each).
    accept_limit_hours = models.DecimalField(
        "立案时限(小时)", max_digits=6, decimal_places=2, default=Decimal("0.25"),
        validators=[MinValueValidator(0.01)], help_text="自上报起至立案（或不予立案）")
    dispatch_limit_hours = models.DecimalField(
        "派遣时限(小时)", max_digits=6, decimal_places=2, default=Decimal("0.25"),
        validators=[MinValueValidator(0.01)], help_text="自立案起至派遣")
    group = models.CharField("体系", max_length=20, default="社会治理", help_text="数字城管 或 社会治理")

    class Meta:
        verbose_name = verbose_name_plural = "事件类别"
        ordering = ["group", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="incidentcategory_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """处置部门 (GB/T 30428 专业部门): who a case is dispatched (派遣) to. Its users see and
    handle exactly the cases sent to it (layers.accounts.visibility)."""

    class Kind(models.TextChoices):
        CITY_ADMIN = "城管", "城管"
        SANITATION = "环卫", "环卫"
        MUNICIPAL = "市政", "市政"
        GREENING = "园林", "园林"
        PROPERTY = "物业", "物业"
        POLICE = "派出所", "派出所"
        CIVIL = "民政", "民政"
        OTHER = "其他", "其他"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.OTHER)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="departments", verbose_name="所属区")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="departments",
                                   verbose_name="部门人员")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "处置部门"
        ordering = ["district", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="department_district_name")]

    def __str__(self) -> str:
        return self.name


class Incident(IncidentLifecycle, GridLinked, Synthetic):
    """事件 reported at a point. ``status`` is the current step; every change is kept in
    IncidentTransition. ``status`` is protected: only layers.incidents.lifecycle.move
    changes it (with the row locked) and writes the history in the same transaction."""

    # The grid's and the category's searches go through incident_grid_status_idx and
    # incident_category_time_idx, which lead with them: no index of their own to write too.
    grid = grid_link_field(db_index=False)
    external_id = models.CharField("编号", max_length=KEY_MAX, blank=True)
    category = models.ForeignKey(
        IncidentCategory, on_delete=models.PROTECT, related_name="incidents", verbose_name="类别", db_index=False
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
    # Set by the lifecycle at 派遣 only (lifecycle.move(..., department=)); kept when the case
    # comes back (核查 not passed, 回访 不满意).
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="incidents", verbose_name="处置部门")
    dispatched_at = models.DateTimeField("派遣时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    satisfaction = models.CharField("回访结果", max_length=4, blank=True, choices=SATISFACTION_CHOICES)
    # Merged by the command centre (layers.incidents.duplicates.merge): this report is the same
    # case as ``duplicate_of``; the status is moved separately, through the lifecycle.
    # (the database's key is (duplicate_of_id, district_code): a case merges within its district)
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="merged", verbose_name="重复于", db_constraint=False)
    # Made by the phone (crypto.randomUUID) before sending: a report queued offline and sent
    # twice (a retry, a lost answer) is stored once (layers/pages/views/worker.py, the API).
    client_id = models.UUIDField("客户端编号", null=True, blank=True, editable=False)

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
            # 编号 and the phone's client_id: unique within a district (partitioned table).
            models.UniqueConstraint(fields=["external_id", "district_code"], condition=~Q(external_id=""),
                                    name="incident_external_key"),
            models.UniqueConstraint(fields=["client_id", "district_code"], name="incidents_incident_client_id_key"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.reported_at:%Y-%m-%d %H:%M}"

    def clean_fields(self, exclude=None) -> None:
        # ``status`` is protected (only the lifecycle moves it): validating the other fields
        # (admin, importers, full_clean) must not write it back.
        super().clean_fields(exclude={*(exclude or ()), "status"})


class IncidentTransition(DistrictPartitioned):
    """One step of an incident's history: who moved it from which status to which, when.

    Append-only, in id order: each step's from_status is the previous step's to_status and
    the last step's to_status is the incident's status (checked by the database, see
    sql/0002_incident_history_guard.sql)."""

    # Searched through incidenttransition_last_idx (incident, -id): no index of its own.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="transitions", verbose_name="事件",
                                 db_constraint=False, db_index=False)
    partition_parent = "incident"
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


class Notification(models.Model):
    """A message in the app (the bell): a case was sent to the user, came back, waits for
    their 核查/回访, or is about to run out of time. Written by layers.incidents.notifications."""

    class Kind(models.TextChoices):
        SENT = "sent", "新派遣"
        RETURNED = "returned", "退回处理"
        FEEDBACK = "feedback", "待核查"
        VISIT = "visit", "待回访"
        DUE_SOON = "due_soon", "即将超时"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name="接收人")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications", verbose_name="事件",
                                 db_constraint=False)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    text = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "消息通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread_idx")]
        constraints = [
            # 即将超时 once per case and person, whatever how often the scheduled task runs.
            models.UniqueConstraint(fields=["user", "incident"], condition=Q(kind="due_soon"),
                                    name="notification_due_soon_once"),
        ]

    def __str__(self) -> str:
        return self.text


class IncidentUrge(models.Model):
    """督办 (by the command centre) or 催办 (by the reporter or grid worker) on a case: logged
    here, never as a status move, so the history stays the list of moves."""

    SUPERVISE, URGE = "督办", "催办"
    KIND_CHOICES = [(SUPERVISE, "督办"), (URGE, "催办")]

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="urges", verbose_name="事件",
                                 db_constraint=False)
    kind = models.CharField("类型", max_length=2, choices=KIND_CHOICES)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           verbose_name="操作人")
    at = models.DateTimeField("时间")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "督办催办记录"
        ordering = ["incident", "at", "id"]
        permissions = [("supervise_incident", "可督办事件"), ("urge_incident", "可催办事件")]
        constraints = [models.CheckConstraint(condition=Q(kind__in=["督办", "催办"]), name="incidenturge_kind")]

    def __str__(self) -> str:
        return f"{self.kind} · {self.at:%Y-%m-%d %H:%M}"


class IncidentReport(models.Model):
    """A further report of an existing case (a duplicate the reporter linked instead of opening
    a second case): who, when, where and everything they typed."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reports", verbose_name="事件",
                                 db_constraint=False)
    category = models.ForeignKey(IncidentCategory, on_delete=models.PROTECT, verbose_name="上报类别")
    description = models.TextField("描述", max_length=DESCRIPTION_MAX, validators=[MaxLengthValidator(DESCRIPTION_MAX)])
    address = models.CharField("地址", max_length=ADDRESS_MAX, blank=True)
    geom = models.PointField("位置", srid=4326)
    reported_at = models.DateTimeField("上报时间")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 verbose_name="上报人")
    reporter_name = models.CharField("上报人姓名", max_length=PERSON_NAME_MAX, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "重复上报记录"
        ordering = ["incident", "reported_at", "id"]
        permissions = [("merge_incident", "可合并重复事件")]
        indexes, constraints = geometry_rules("incidentreport")

    def __str__(self) -> str:
        return f"{self.incident_id} · {self.reported_at:%Y-%m-%d %H:%M}"


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

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="photos", verbose_name="事件",
                                 db_constraint=False)
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
