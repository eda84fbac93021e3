"""The four levels of the hierarchy as the boundary importer sees them: code length, parent,
and how a feature becomes a model instance (or is found unchanged)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import models
from pyproj import Geod
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from importers.columns import ColumnMap
from importers.readers import RowIssue
from layers.grids.models import Community, District, Grid, Street

if TYPE_CHECKING:
    from importers.loaders.boundaries import Feature

_GEOD = Geod(ellps="WGS84")


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area in m² on the WGS84 ellipsoid of a lon/lat polygon."""
    return abs(_GEOD.geometry_area_perimeter(geom)[0])


SAME_SHAPE_M2 = 0.01
"""Two shapes whose symmetric difference is at most this area (m²) are the same boundary:
a file reprojected and back differs from the stored shape by float noise, not by an edit."""


def same_shape(a: BaseGeometry, b: BaseGeometry) -> bool:
    return shapely.equals(a, b) or geodesic_area_m2(shapely.symmetric_difference(a, b)) <= SAME_SHAPE_M2


def multipolygon(geom: BaseGeometry | None) -> MultiPolygon | None:
    """The polygonal parts of ``geom`` as one MultiPolygon (None if there are none)."""
    if geom is None or geom.is_empty:
        return None
    parts = [g for g in shapely.get_parts(shapely.get_parts(geom)) if g.geom_type in ("Polygon", "MultiPolygon")]
    polygons = [p for g in parts for p in (g.geoms if g.geom_type == "MultiPolygon" else [g]) if not p.is_empty]
    return MultiPolygon(polygons) if polygons else None


@dataclass(frozen=True)
class Level:
    """One level: ``key`` (grid), ``layer`` (grids, for importers.columns), the model, the
    code length and the parent's (model, FK field, code length)."""

    key: str
    layer: str
    what: str
    model: type[models.Model]
    digits: int
    parent_model: type[models.Model] | None = None
    parent_field: str = ""
    parent_digits: int = 0

    @property
    def name_required(self) -> bool:
        return self.key != "grid"

    @property
    def code_required(self) -> bool:
        return self.key != "grid"

    def resolve_parent(self, f: Feature, columns: ColumnMap) -> list[RowIssue]:
        """Find ``f.parent``; issues when the parent is missing or the codes disagree."""
        if self.parent_model is None:
            return []
        pc_header = columns.header("parent_code") if "parent_code" in columns else "上级编码"
        code_header = columns.header("code") if "code" in columns else "编码"
        if f.parent_code and f.code and not f.code.startswith(f.parent_code):
            return [RowIssue(f.number, code_header, f.code, f"{code_header} {f.code} 不以上级编码 {f.parent_code} 开头 "
                             f"(the code must start with its parent's code, {pc_header})", "code_mismatch")]
        parent_code = f.parent_code or f.code[: self.parent_digits]
        if parent_code:
            parent = self.parent_model.objects.filter(code=parent_code).first()
            if parent is None:
                what = self.parent_model._meta.verbose_name
                return [RowIssue(f.number, pc_header if f.parent_code else code_header, parent_code,
                                 f"{what} {parent_code} 不存在 (no such {self.parent_field}): import it first with "
                                 f"--level {self.parent_field}", "missing_parent")]
            f.parent = parent
            return []
        from importers.loaders.topology import community_by_location  # grids only

        found = community_by_location(shapely.to_wkb(f.geom))
        if found is None:
            return [RowIssue(f.number, "geometry", "", "不在任何社区内 (inside no community): give a 社区编码 column "
                             "or import the communities first", "missing_parent")]
        f.parent = Community.objects.get(pk=found[0])
        return []

    def build(self, f: Feature, file_name: str) -> models.Model | None:
        """The instance to save for ``f``, or None when the stored row is the same."""
        geom = GEOSGeometry(memoryview(shapely.to_wkb(f.geom)), srid=4326)
        obj = f.existing
        name = f.name or (obj.name if obj is not None else f"网格{f.code[-3:]}")
        if obj is None:
            obj = self.model(code=f.code, name=name, geom=geom)
            if self.key == "district":
                obj.source = f"导入 {file_name}"[:200]
        else:
            same_geom = same_shape(shapely.from_wkb(bytes(obj.geom.wkb)), f.geom)
            same_parent = self.parent_field == "" or getattr(obj, f"{self.parent_field}_id") == f.parent.pk
            if same_geom and same_parent and obj.name == name:
                return None
            obj.name = name
            if not same_geom:
                obj.geom = geom
        if self.parent_field:
            setattr(obj, self.parent_field, f.parent)
        return obj

    def old_area(self, f: Feature) -> float:
        return shapely.from_wkb(bytes(f.existing.geom.wkb)).area if f.existing is not None else 0.0


LEVELS: dict[str, Level] = {
    "district": Level("district", "districts", "区 districts", District, 6),
    "street": Level("street", "streets", "街道 streets", Street, 9, District, "district", 6),
    "community": Level("community", "communities", "社区 communities", Community, 12, Street, "street", 9),
    "grid": Level("grid", "grids", "网格 grids", Grid, 15, Community, "community", 12),
}
