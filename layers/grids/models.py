"""The 区 → 街道 → 社区 → 网格 hierarchy, grid assignments, and the model rules every
spatial table of gridmap shares.

All geometries are stored in WGS84 (SRID 4326), must be valid (a CHECK constraint) and
carry a named GiST index. Topology at every level (inside its parent, no overlap with a
sibling) is checked by the database (layers/grids/sql/0001_topology.sql for grids,
0002_boundary_topology.sql for districts, streets and communities), so that admin,
importers and plain SQL follow one rule. Points (households, incidents) are linked to the grid that
covers them by database triggers: :class:`GridLinked` and layers/grids/sql/0001_grid_for_point.sql.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q

from layers.grids.crs import ACCEPTED_SRIDS, zone_srid_for_lonlat

WGS84 = 4326


def geometry_rules(table: str) -> tuple[list, list]:
    """A named GiST index and a validity constraint for a model's ``geom``."""
    indexes = [GistIndex(fields=["geom"], name=f"{table}_geom_gist")]
    constraints = [models.CheckConstraint(condition=Q(geom__isvalid=True), name=f"{table}_geom_valid")]
    return indexes, constraints


def code_rule(table: str, digits: int) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(code__regex=rf"^[0-9]{{{digits}}}$"), name=f"{table}_code_digits")


class Synthetic(models.Model):
    """Rows generated for the demo carry ``synthetic=True`` and are labelled so everywhere."""

    synthetic = models.BooleanField("合成数据", default=False, db_index=True)

    class Meta:
        abstract = True


# --- the administrative hierarchy -----------------------------------------------------------


class BoundaryRules:
    """clean() for districts, streets and communities: what the database trigger would refuse
    (layers/grids/sql/0002_boundary_topology.sql), as form errors in the admin."""

    topology_level = ""
    parent_field = ""

    def clean(self) -> None:
        if self.geom is None:
            return
        parent = getattr(self, f"{self.parent_field}_id") if self.parent_field else None
        with connection.cursor() as cur:
            cur.execute("SELECT gridmap_boundary_problems(%s, ST_GeomFromEWKT(%s), %s, %s, %s)",
                        [self.topology_level, self.geom.ewkt, parent, self.pk, self.code or None])
            problems = cur.fetchone()[0]
        if problems:
            raise ValidationError({"geom": problems})


class District(BoundaryRules, models.Model):
    """区 (county-level division). ``code`` is its 6-digit GB/T 2260 code, e.g. 510104."""

    code = models.CharField("区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=WGS84, spatial_index=False)
    source = models.CharField("来源", max_length=200, blank=True)
    metric_srid = models.PositiveIntegerField(
        "投影坐标系 (EPSG)", blank=True, choices=[(s, f"EPSG:{s}") for s in ACCEPTED_SRIDS],
        help_text="CGCS2000 3度带高斯-克吕格投影, 创建时按区的中心自动选择 (layers.grids.crs)")
    topology_level = "district"

    class Meta:
        verbose_name = verbose_name_plural = "区"
        ordering = ["code"]
        indexes, constraints = geometry_rules("district")
        constraints = [*constraints, code_rule("district", 6),
                       models.CheckConstraint(condition=Q(metric_srid__in=ACCEPTED_SRIDS),
                                              name="district_metric_srid_accepted")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        super().clean()
        if not self.metric_srid and self.geom is not None:
            try:
                zone_srid_for_lonlat(self.geom.centroid.x, self.geom.centroid.y)
            except ValueError as e:
                raise ValidationError({"geom": str(e)}) from e

    def save(self, *args, **kwargs) -> None:
        """A new district takes the Gauss–Krüger zone of its centroid (kept afterwards, so that
        hexagon ids and grid codes stay stable)."""
        if not self.metric_srid and self.geom is not None:
            centre = self.geom.centroid
            self.metric_srid = zone_srid_for_lonlat(centre.x, centre.y)
        super().save(*args, **kwargs)


class Street(BoundaryRules, models.Model):
    """街道 / 乡镇. ``code`` is 9 digits: the district code and a 3-digit street code."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name="区")
    topology_level, parent_field = "street", "district"
    code = models.CharField("街道代码", max_length=9, unique=True)
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "街道"
        ordering = ["code"]
        indexes, constraints = geometry_rules("street")
        constraints = [*constraints, code_rule("street", 9)]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Community(BoundaryRules, models.Model):
    """社区 / 村. ``code`` is 12 digits: the street code and a 3-digit community code."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name="街道")
    topology_level, parent_field = "community", "street"
    code = models.CharField("社区代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "社区"
        ordering = ["code"]
        indexes, constraints = geometry_rules("community")
        constraints = [*constraints, code_rule("community", 12)]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Grid(models.Model):
    """网格: the unit grid. ``code`` is the 15-digit unit-grid code (DOMAIN.md §2): the
    community code and a 3-digit sequence numbered west→east, north→south; generated on
    save when left empty (layers.grids.codes)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name="社区"
    )
    code = models.CharField("网格编码", max_length=15, unique=True, blank=True)
    name = models.CharField("名称", max_length=100)
    geom = models.MultiPolygonField("范围", srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "网格"
        ordering = ["code"]
        indexes, constraints = geometry_rules("grid")
        constraints = [*constraints, code_rule("grid", 15)]

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
            from layers.grids.codes import next_grid_code

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


class DistrictPartitionedQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """bulk_create() skips save(): the rows' district codes are filled here, in one query."""
        objs = list(objs)
        fill_district_codes(objs)
        return super().bulk_create(objs, *args, **kwargs)


class DistrictPartitioned(models.Model):
    """A row of a table LIST-partitioned by ``district_code`` (layers.grids.partitions).

    The one Python home of the rule: PostgreSQL routes a row to its partition before any
    trigger runs, so the writer supplies the code. A point (:class:`GridLinked`) takes the
    district of its grid, else of its position ('000000': none); a child row (a visit, a
    case's step, a walking time) takes its parent's, named by ``partition_parent``. The
    database checks the point's code and the children's composite foreign keys."""

    district_code = models.CharField("区划代码", max_length=6, editable=False,
                                     help_text="所在区的6位区划代码，000000 表示不在任何区内")
    partition_parent = ""

    objects = DistrictPartitionedQuerySet.as_manager()

    class Meta:
        abstract = True

    def district_code_now(self) -> str:
        if self.partition_parent:
            return getattr(self, self.partition_parent).district_code
        from layers.grids.partitions import district_code_for_point

        return district_code_for_point(self.geom)

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        watched = {self.partition_parent or "geom", f"{self.partition_parent}_id"}
        if update_fields is None or watched & set(update_fields):
            self.district_code = self.district_code_now()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "district_code"}
        super().save(*args, **kwargs)


def fill_district_codes(objs: list) -> None:
    """Set ``district_code`` on unsaved rows of one DistrictPartitioned model, in one query."""
    todo = [o for o in objs if not o.district_code]
    if not todo:
        return
    parent = todo[0].partition_parent
    if parent:
        field = todo[0]._meta.get_field(parent)
        ids = {getattr(o, f"{parent}_id") for o in todo}
        codes = dict(field.related_model.objects.filter(pk__in=ids).values_list("pk", "district_code"))
        for o in todo:
            o.district_code = codes.get(getattr(o, f"{parent}_id"), "")
        return
    from layers.grids.partitions import district_codes_for_points

    for o, code in zip(todo, district_codes_for_points([o.geom for o in todo]), strict=True):
        o.district_code = code


def grid_link_field(*, db_index: bool = True) -> models.ForeignKey:
    """The link of a :class:`GridLinked` row to its grid; ``db_index`` False for a model that
    indexes ``grid`` itself (a covering index, people.Household)."""
    return models.ForeignKey(
        Grid,
        # The database re-links rows when a grid is deleted (trigger), so Django must not.
        on_delete=models.DO_NOTHING,
        db_constraint=True,
        db_index=db_index,
        null=True,
        blank=True,
        editable=False,
        related_name="%(class)ss",
        verbose_name="网格",
    )


class GridLinked(DistrictPartitioned):
    """A point linked to the grid covering it. ``grid`` is set by the database trigger on
    every insert and move; NULL means the point lies outside every grid (unassigned). Its
    table is partitioned by district (:class:`DistrictPartitioned`)."""

    geom = models.PointField("位置", srid=WGS84, spatial_index=False)
    grid = grid_link_field()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # The trigger chose the grid: read it back so the instance tells the truth.
        self.refresh_from_db(fields=["grid"])

    @property
    def unassigned(self) -> bool:
        return self.grid_id is None
