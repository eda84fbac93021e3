"""Walking access to facilities: service circles, household walking times, suggested sites.

Everything here is derived from facilities, households and the walk network, and kept
current by the database: triggers (layers/facilities/sql/0001_access.sql) put what a change affects
on :class:`AccessQueue`, and ``layers.facilities.walking.refresh.refresh_pending`` recomputes exactly
that (called after commit by layers.signals, by ``build_circles`` and before maps and
reports are read). Distances are metres walked on the street network from a household
(or any street point) to the facility; minutes = metres / walking speed.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.db.models import Q
from django.db.models.functions import Now

from layers.facilities.models.facilities import Facility, FacilityType
from layers.grids.models import WGS84, DistrictPartitioned
from layers.people.models import Household


class AccessMethod(models.TextChoices):
    """How a circle or a walking time was obtained."""

    NETWORK = "network", "路网步行距离"
    BUFFER = "buffer", "直线距离缓冲（未加载路网）"
    OFF_NETWORK = "offnet", "直线距离缓冲（离路网过远）"
    # On a part of the network cut off from the largest one (layers.facilities.walking.placement):
    # a household there reaches no facility of the type; a facility's circle ends with its part.
    FRAGMENT = "fragment", "路网不连通"


class NetworkState(models.Model):
    """The one row describing the loaded walk network. ``version`` is raised by a database
    trigger on every statement that changes facilities_walkedge; circles record the version they
    were computed on."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, db_default=1)
    version = models.PositiveIntegerField("版本", default=0, db_default=0)
    source = models.CharField("来源文件", max_length=300, blank=True, default="", db_default="")
    imported_at = models.DateTimeField("导入时间", null=True, blank=True)
    nodes = models.PositiveIntegerField("节点数", default=0, db_default=0)
    edges = models.PositiveIntegerField("路段数", default=0, db_default=0)
    components = models.PositiveIntegerField("连通分量数", default=0, db_default=0)
    largest_component_share = models.FloatField("最大连通分量占比", default=0.0, db_default=0.0)
    length_m = models.FloatField("路网总长(m)", default=0.0, db_default=0.0)
    outside_largest_m = models.FloatField("最大连通分量以外的长度(m)", default=0.0, db_default=0.0)

    class Meta:
        verbose_name = verbose_name_plural = "路网状态"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="networkstate_singleton")]

    def __str__(self) -> str:
        return f"路网 v{self.version} ({self.edges} 路段)"

    @classmethod
    def current(cls, *, for_update: bool = False) -> NetworkState:
        qs = cls.objects.select_for_update() if for_update else cls.objects
        state, _ = qs.get_or_create(id=1)
        return state


class FacilityCircle(models.Model):
    """A facility's walking service area for ``minutes`` (5/10/15 by default).

    ``geom`` is the area from which the facility is reached within ``reach_m`` metres of
    walking (``minutes`` × ``walk_speed_m_per_min``): the reachable street pieces, the last
    piece of each street cut at the exact remaining distance, buffered by ``buffer_m``. With
    ``method`` 'buffer'/'offnet' it is a straight-line disc of radius ``reach_m`` instead.
    ``reached_nodes`` are the network nodes within reach (the trigger uses them to find the
    circles a network edit affects).
    """

    facility = models.ForeignKey(
        # Deleting a facility deletes its circles in the database (trigger), on every path.
        Facility, on_delete=models.DO_NOTHING, related_name="circles", verbose_name="设施"
    )
    minutes = models.PositiveSmallIntegerField("步行时间(分钟)")
    geom = models.MultiPolygonField("服务范围", srid=WGS84, spatial_index=False)
    method = models.CharField("计算方法", max_length=8, choices=AccessMethod.choices)
    reach_m = models.FloatField("可达距离(m)")
    walk_speed_m_per_min = models.FloatField("步行速度(m/min)")
    buffer_m = models.FloatField("缓冲宽度(m)")
    snap_distance_m = models.FloatField("到路网距离(m)", null=True, blank=True)
    snapped_edge_id = models.BigIntegerField("吸附路段", null=True, blank=True)
    area_m2 = models.FloatField("面积(m²)")
    reached_nodes = ArrayField(models.BigIntegerField(), default=list, blank=True)
    network_version = models.PositiveIntegerField("路网版本", default=0)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "设施服务圈"
        ordering = ["facility", "minutes"]
        indexes = [
            GistIndex(fields=["geom"], name="facilitycircle_geom_gist"),
            GinIndex(fields=["reached_nodes"], name="facilitycircle_nodes_gin"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="facilitycircle_geom_valid"),
            models.UniqueConstraint(fields=["facility", "minutes"], name="facilitycircle_facility_minutes"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="facilitycircle_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} · {self.minutes} 分钟 ({self.get_method_display()})"


class HouseholdAccess(DistrictPartitioned):
    """Walking distance from a household to the nearest facility of a type.

    ``distance_m``/``minutes`` are NULL when no facility of the type can be reached (none
    exists, the network does not connect, or the household lies more than the snap
    tolerance from every street: ``method`` 'offnet'; on a cut-off part of the network
    holding no facility of the type: ``method`` 'fragment', 路网不连通). ``snap_distance_m`` is the straight
    line from the household to the street point it joins the network at; it is recorded,
    not added to the walk.
    """

    # No index of their own on the three keys: the unique constraint leads with the household,
    # householdaccess_type_minutes with the type and householdaccess_facility is the facility's.
    # This table holds a row per household and type (150 million at a 10-million-household
    # province), and each index is written for every row (migration 0009).
    household = models.ForeignKey(
        Household, on_delete=models.DO_NOTHING, related_name="access", verbose_name="户", db_constraint=False,
        db_index=False,
    )
    partition_parent = "household"
    facility_type = models.ForeignKey(
        FacilityType, on_delete=models.CASCADE, related_name="household_access", verbose_name="设施类型",
        db_index=False,
    )
    facility = models.ForeignKey(
        Facility, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", verbose_name="最近设施",
        db_index=False,
    )
    distance_m = models.FloatField("步行距离(m)", null=True, blank=True)
    minutes = models.FloatField("步行时间(分钟)", null=True, blank=True)
    snap_distance_m = models.FloatField("到路网距离(m)", null=True, blank=True)
    method = models.CharField("计算方法", max_length=8, choices=AccessMethod.choices)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "户到设施步行时间"
        constraints = [
            models.UniqueConstraint(fields=["household", "facility_type", "district_code"],
                                    name="householdaccess_household_type"),
        ]
        indexes = [
            models.Index(fields=["facility_type", "minutes"], name="householdaccess_type_minutes"),
            models.Index(fields=["facility"], name="householdaccess_facility"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} → {self.facility_type_id}: {self.minutes}"


class AccessQueue(models.Model):
    """Work queued by the triggers: ('facility', id) circles to recompute, ('type', id)
    walking times of a facility type, ('household', id) one household's times, ('households',
    0) households without times, ('network', 0) every type's times (the network changed).

    Keys may repeat: with no unique key, writers queueing the same work never wait for each
    other (a unique key made concurrent writers deadlock); the refresh merges duplicates."""

    kind = models.CharField(max_length=12)
    key = models.BigIntegerField()
    queued_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = verbose_name_plural = "待重算"
        indexes = [models.Index(fields=["kind", "key"], name="accessqueue_kind_key_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class SuggestedSite(models.Model):
    """A site proposed by ``suggest_sites`` for a facility type (the latest run per type)."""

    facility_type = models.ForeignKey(
        FacilityType, on_delete=models.CASCADE, related_name="suggested_sites", verbose_name="设施类型"
    )
    rank = models.PositiveSmallIntegerField("序号")
    label = models.CharField("候选地块", max_length=200, blank=True)
    geom = models.PointField("位置", srid=WGS84, spatial_index=False)
    node_id = models.BigIntegerField("路网节点", null=True, blank=True)
    newly_covered_households = models.PositiveIntegerField("新覆盖户数")
    newly_covered_residents = models.PositiveIntegerField("新覆盖人口")
    covered_before = models.PositiveIntegerField("建设前覆盖户数")
    covered_after = models.PositiveIntegerField("建设后覆盖户数")
    households = models.PositiveIntegerField("总户数")
    threshold_minutes = models.PositiveSmallIntegerField("步行时间阈值(分钟)")
    candidates = models.CharField("候选来源", max_length=300)
    created_at = models.DateTimeField("计算时间")
    place = models.CharField("位置描述", max_length=200, blank=True,
                             help_text="最近的道路交叉口，或道路名与附近门牌号范围（layers/facilities/places.py）")
    x_m = models.FloatField("平面坐标 X(m)", null=True, blank=True)
    y_m = models.FloatField("平面坐标 Y(m)", null=True, blank=True)
    metric_srid = models.PositiveIntegerField("平面坐标系 EPSG", null=True, blank=True)
    newly_covered_focus = models.PositiveIntegerField("新覆盖重点人群户数", default=0)
    community_gains = models.JSONField(
        "各社区新覆盖", default=dict, blank=True,
        help_text="社区编码 → [新覆盖户数, 其中重点人群户数]；按序号先后计，不重复计算")

    class Meta:
        verbose_name = verbose_name_plural = "建议选址"
        ordering = ["facility_type", "rank"]
        indexes = [GistIndex(fields=["geom"], name="suggestedsite_geom_gist")]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="suggestedsite_geom_valid"),
            models.UniqueConstraint(fields=["facility_type", "rank"], name="suggestedsite_type_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.facility_type} #{self.rank}"
