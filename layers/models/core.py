"""Spatial models of gridmap: the 区 → 街道 → 社区 → 网格 hierarchy, facilities, households
and incidents.

All geometries are stored in WGS84 (SRID 4326), must be valid (a CHECK constraint) and
carry a named GiST index. Household and incident rows are linked to the grid that covers
them by database triggers (layers/sql/0002_grid_linking.sql); their ``grid`` field is
derived and never set by hand. Grid topology (inside its community, no overlap with a
sibling) is checked by the database too (layers/sql/0003_grid_topology.sql), so that
admin, importers and plain SQL follow one rule.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q

from layers import masking

WGS84 = 4326


def _geometry_rules(table: str) -> tuple[list, list]:
    """A named GiST index and a validity constraint for a model's ``geom``."""
    indexes = [GistIndex(fields=["geom"], name=f"{table}_geom_gist")]
    constraints = [models.CheckConstraint(condition=Q(geom__isvalid=True), name=f"{table}_geom_valid")]
    return indexes, constraints


def _code_rule(table: str, digits: int) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(code__regex=rf"^[0-9]{{{digits}}}$"), name=f"{table}_code_digits")


class Synthetic(models.Model):
    """Rows generated for the demo carry ``synthetic=True`` and are labelled so everywhere."""

    synthetic = models.BooleanField("合成数据", default=False, db_index=True)

    class Meta:
        abstract = True


# --- the administrative hierarchy -----------------------------------------------------------


class District(models.Model):
    """区 (county-level division). ``code`` is its 6-digit GB/T 2260 code, e.g. 510104."""

    code = models.CharField("区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=WGS84, spatial_index=False)
    source = models.CharField("来源", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "区"
        ordering = ["code"]
        indexes, constraints = _geometry_rules("district")
        constraints = [*constraints, _code_rule("district", 6)]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Street(models.Model):
    """街道 / 乡镇. ``code`` is 9 digits: the district code and a 3-digit street code."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name="区")
    code = models.CharField("街道代码", max_length=9, unique=True)
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "街道"
        ordering = ["code"]
        indexes, constraints = _geometry_rules("street")
        constraints = [*constraints, _code_rule("street", 9)]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Community(models.Model):
    """社区 / 村. ``code`` is 12 digits: the street code and a 3-digit community code."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name="街道")
    code = models.CharField("社区代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "社区"
        ordering = ["code"]
        indexes, constraints = _geometry_rules("community")
        constraints = [*constraints, _code_rule("community", 12)]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Grid(models.Model):
    """网格: the unit grid. ``code`` is the 15-digit unit-grid code (DOMAIN.md §2): the
    community code and a 3-digit sequence numbered west→east, north→south; generated on
    save when left empty (layers.grid_codes)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name="社区"
    )
    code = models.CharField("网格编码", max_length=15, unique=True, blank=True)
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "网格"
        ordering = ["code"]
        indexes, constraints = _geometry_rules("grid")
        constraints = [*constraints, _code_rule("grid", 15)]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        """Report what the database would refuse, as form errors (same SQL as the trigger)."""
        if self.geom is None or self.community_id is None:
            return
        with connection.cursor() as cur:
            cur.execute(
                "SELECT gridmap_grid_problems(ST_GeomFromEWKT(%s), %s, %s, %s)",
                [self.geom.ewkt, self.community_id, self.pk, self.code or None],
            )
            problems = cur.fetchone()[0]
        if problems:
            raise ValidationError({"geom": problems})

    def save(self, *args, **kwargs) -> None:
        if not self.code:
            from layers.grid_codes import next_grid_code

            self.code = next_grid_code(self.community, self.geom)
        super().save(*args, **kwargs)


class GridAssignment(models.Model):
    """A user's role on a grid: the grid worker (网格员) who owns it, or a deputy."""

    class Role(models.TextChoices):
        WORKER = "worker", "专职网格员"
        DEPUTY = "deputy", "兼职网格员"
        LEADER = "leader", "网格长"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_assignments", verbose_name="用户"
    )
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="assignments", verbose_name="网格")
    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.WORKER)
    since = models.DateField("起始日期", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "网格分配"
        constraints = [models.UniqueConstraint(fields=["user", "grid"], name="gridassignment_user_grid_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.grid} ({self.get_role_display()})"


# --- facilities -------------------------------------------------------------------------------


class FacilityType(models.Model):
    """A kind of service facility and the walk its life-circle level allows (DOMAIN.md §4)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    level_minutes = models.PositiveSmallIntegerField(
        "生活圈层级(分钟)", choices=[(5, "5分钟"), (10, "10分钟"), (15, "15分钟")]
    )
    threshold_minutes = models.PositiveSmallIntegerField("步行时间阈值(分钟)")
    color = models.CharField("颜色", max_length=7, default="#3388ff")
    osm_tags = models.JSONField("OSM 标签", default=list, blank=True, help_text='[["amenity", "school"], ...]')
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "设施类型"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(level_minutes__in=[5, 10, 15]), name="facilitytype_level"),
            models.CheckConstraint(condition=Q(threshold_minutes__gt=0), name="facilitytype_threshold_positive"),
            models.CheckConstraint(condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="facilitytype_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name


class Facility(Synthetic):
    """A service facility at a point. ``source`` and ``source_id`` keep where it came from
    (an OSM element such as ``node/123``, an import file's key, or a generator)."""

    class Source(models.TextChoices):
        OSM = "osm", "OpenStreetMap"
        IMPORT = "import", "导入"
        MANUAL = "manual", "手工录入"
        SYNTHETIC = "synthetic", "合成(演示)"

    type = models.ForeignKey(FacilityType, on_delete=models.PROTECT, related_name="facilities", verbose_name="类型")
    name = models.CharField("名称", max_length=200)
    geom = models.PointField("位置", srid=WGS84, spatial_index=False)
    address = models.CharField("地址", max_length=300, blank=True)
    capacity = models.PositiveIntegerField("容量", null=True, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.MANUAL)
    source_id = models.CharField("来源编号", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "设施"
        ordering = ["type", "name"]
        indexes, constraints = _geometry_rules("facility")
        constraints = [
            *constraints,
            models.UniqueConstraint(
                fields=["source", "source_id"], condition=~Q(source_id=""), name="facility_source_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- households -----------------------------------------------------------------------------


class HouseholdTag(models.TextChoices):
    """Household tags kept under dynamic management (DOMAIN.md §2)."""

    DIBAO = "低保", "低保户"
    TEKUN = "特困", "特困供养"
    CANJI = "残疾", "残疾人"
    DUJU = "独居老人", "独居/空巢老人"
    GAOLING = "高龄", "高龄(80岁以上)"
    LIUDONG = "流动人口", "流动人口"
    SHIYE = "下岗失业", "下岗失业"
    MANBING = "慢性病", "慢性病"
    YOUER = "有幼儿", "有学龄前儿童"

    @classmethod
    def vulnerable(cls) -> set[str]:
        """Tags that mark a household for priority visits and service coverage."""
        return {cls.DIBAO, cls.TEKUN, cls.CANJI, cls.DUJU, cls.GAOLING}


class GridLinked(models.Model):
    """A point linked to the grid covering it. ``grid`` is set by the database trigger on
    every insert and move; NULL means the point lies outside every grid (unassigned)."""

    geom = models.PointField("位置", srid=WGS84, spatial_index=False)
    grid = models.ForeignKey(
        Grid,
        # The database re-links rows when a grid is deleted (trigger), so Django must not.
        on_delete=models.DO_NOTHING,
        db_constraint=True,
        null=True,
        blank=True,
        editable=False,
        related_name="%(class)ss",
        verbose_name="网格",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # The trigger chose the grid: read it back so the instance tells the truth.
        self.refresh_from_db(fields=["grid"])

    @property
    def unassigned(self) -> bool:
        return self.grid_id is None


class Household(GridLinked, Synthetic):
    """户: a household at an address point. ID number and phone are stored in full and
    shown masked (layers.masking) unless the viewer holds ``layers.view_household_pii``."""

    external_id = models.CharField("编号", max_length=64, blank=True)
    address = models.CharField("地址", max_length=300)
    residents = models.PositiveSmallIntegerField("人口数", default=1)
    head_name = models.CharField("户主姓名", max_length=50)
    id_number = models.CharField("身份证号", max_length=18, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    tags = ArrayField(
        models.CharField(max_length=10, choices=HouseholdTag.choices), default=list, blank=True, verbose_name="标签"
    )
    last_visit = models.DateField("最近走访", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "户"
        ordering = ["id"]
        # (grid_id has the index Django gives every foreign key.)
        indexes, constraints = _geometry_rules("household")
        constraints = [
            *constraints,
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""), name="household_external_key"),
            models.CheckConstraint(condition=Q(residents__gte=1), name="household_residents_positive"),
        ]
        permissions = [("view_household_pii", "可查看户的完整身份证号和电话")]

    def __str__(self) -> str:
        return f"{masking.mask_name(self.head_name)} · {self.address}"

    @property
    def id_number_masked(self) -> str:
        return masking.mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return masking.mask_phone(self.phone)

    @property
    def vulnerable_tags(self) -> list[str]:
        return [t for t in self.tags if t in HouseholdTag.vulnerable()]


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


class IncidentStatus(models.TextChoices):
    """The incident lifecycle of 数字城管 / 网格化服务管理 (DOMAIN.md §3)."""

    REPORTED = "reported", "信息采集"
    ACCEPTED = "accepted", "立案"
    DISPATCHED = "dispatched", "派遣"
    HANDLING = "handling", "处理中"
    FEEDBACK = "feedback", "处理反馈"
    CLOSED = "closed", "核查结案"
    EVALUATED = "evaluated", "回访评价"
    CANCELLED = "cancelled", "不予立案"


class Incident(GridLinked, Synthetic):
    """事件 reported at a point. ``status`` is the current step; every change is kept in
    IncidentTransition (layers.lifecycle moves an incident and writes the history)."""

    external_id = models.CharField("编号", max_length=64, blank=True)
    category = models.ForeignKey(
        IncidentCategory, on_delete=models.PROTECT, related_name="incidents", verbose_name="类别"
    )
    description = models.TextField("描述")
    address = models.CharField("地址", max_length=300, blank=True)
    reported_at = models.DateTimeField("上报时间", db_index=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="上报人"
    )
    reporter_name = models.CharField("上报人姓名", max_length=50, blank=True)
    status = models.CharField("状态", max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.REPORTED)
    dispatched_at = models.DateTimeField("派遣时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    satisfaction = models.CharField(
        "回访结果", max_length=4, blank=True, choices=[("满意", "满意"), ("不满意", "不满意")]
    )

    class Meta:
        verbose_name = verbose_name_plural = "事件"
        ordering = ["-reported_at"]
        indexes, constraints = _geometry_rules("incident")
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


class IncidentTransition(models.Model):
    """One step of an incident's history: who moved it from which status to which, when."""

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

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
