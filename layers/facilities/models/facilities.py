"""Service facilities (设施) and their types (DOMAIN.md §4)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import Q

from layers.grids.models import WGS84, Synthetic, geometry_rules

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
        indexes, constraints = geometry_rules("facility")
        constraints = [
            *constraints,
            models.UniqueConstraint(
                fields=["source", "source_id"], condition=~Q(source_id=""), name="facility_source_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name
