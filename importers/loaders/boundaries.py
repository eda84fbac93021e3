"""Boundaries: districts (区), streets (街道), communities (社区) and grids (网格) as polygons.

Natural key: the code (6, 9, 12, 15 digits, DOMAIN.md §2). Parents are found by the parent
code column, else by the code's prefix (codes are hierarchical); a grid without either is
given the community holding most of its area. A grid without a code first looks for a
stored grid of that community with the same shape (so re-importing a file without codes is
idempotent), else gets the next free code in reading order (layers.grids.codes, numbered
after the codes in use and the codes in the file).

Invalid polygons are repaired with make_valid and reported as warnings. For grids every
overlap, every part leaving its community and every gap inside a community is reported
with its area in m² before anything is written (importers.loaders.topology); overlaps and
leaving reject the grid, gaps are warnings (a partial file may leave gaps another file
fills). The database trigger checks every write again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import DataError, IntegrityError, models, transaction
from shapely.geometry import MultiPolygon

from importers import checks
from importers.loaders import topology
from importers.loaders.base import ImportResult, Loader
from importers.loaders.boundary_levels import LEVELS, Level, geodesic_area_m2, multipolygon, same_shape
from importers.readers import Chunk, ReadError, RowIssue, Source
from importers.readers.spatial import GisSource
from importers.report import Report
from layers.grids.codes import format_code, reading_order

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


@dataclass
class Feature:
    number: int
    code: str
    name: str
    parent_code: str
    geom: MultiPolygon
    parent: models.Model | None = None
    existing: models.Model | None = None

    @property
    def wkb(self) -> bytes:
        return shapely.to_wkb(self.geom)


class BoundaryLoader(Loader):
    """Import one level of the hierarchy; ``level`` is district, street, community or grid."""

    def __init__(self, path, options=None, *, level: str) -> None:
        super().__init__(path, options)
        self.level: Level = LEVELS[level]
        self.layer = self.level.layer
        self.what = self.level.what
        self.features: list[Feature] = []

    def prepare(self, source: Source, report: Report) -> None:
        self.source, self.columns, self.report = source, source.columns, report
        if not isinstance(source, GisSource) and "geometry" not in source.columns:
            raise ReadError(f"{self.path.name}: 边界需要多边形 (boundaries need polygons): use a GIS file "
                            "(GeoJSON, Shapefile, GeoPackage, KML) or a WKT 几何 column")
        declared = getattr(source, "geometry_type", "")
        if re.search(r"Point|LineString", declared):
            raise ReadError(f"{self.path.name}: 几何类型是 {declared}, 边界需要多边形 (wrong geometry type: "
                            f"{self.level.what} need Polygon/MultiPolygon; points belong to import_facilities, "
                            "import_households or import_incidents)")

    # --- reading ------------------------------------------------------------------------------

    def take(self, chunk: Chunk, report: Report) -> None:
        issues = list(chunk.issues)
        geoms = shapely.force_2d(chunk.geoms)
        present = ~shapely.is_missing(geoms)
        polygonal = present & np.isin(shapely.get_type_id(geoms), _POLYGONAL)
        names = np.array([shapely.GeometryType(t).name if t >= 0 else "" for t in shapely.get_type_id(geoms)])
        issues += checks.issues_for(chunk, present & ~polygonal, names, "geometry", "geometry_type",
                                    "几何类型 {value}, 应为多边形 (wrong geometry type {value}: expected Polygon)")
        issues += checks.issues_for(chunk, ~present, names, "geometry", "no_geometry", "没有几何 (no geometry)")
        wgs = np.full(len(chunk), None, dtype=object)
        wgs[polygonal] = checks.polygons_to_wgs84(geoms[polygonal], self.source.crs)
        codes, names_text, parents, more = self._attributes(chunk)
        issues += more
        features = []
        for i, number in enumerate(chunk.numbers):
            if not polygonal[i]:
                continue
            geom, geom_issues = self._geometry(int(number), wgs[i])
            issues += geom_issues
            if geom is not None:
                features.append(Feature(int(number), codes[i], names_text[i], parents[i], geom))
        rejected = report.add(issues)
        self.features += [f for f in features if f.number not in rejected]

    def _attributes(self, chunk: Chunk) -> tuple[list[str], list[str], list[str], list[RowIssue]]:
        level, issues = self.level, []
        for name, digits in (("code", level.digits), ("parent_code", level.parent_digits)):
            if name not in self.columns or not digits:
                continue
            values = checks.text(chunk, name).str.replace(r"\s", "", regex=True)
            header = self.columns.header(name)
            bad = (values != "").to_numpy() & ~values.str.fullmatch(rf"\d{{{digits}}}").to_numpy(dtype=bool)
            issues += checks.issues_for(chunk, bad, values, header, f"bad_{name}",
                                        f"{header} 应为 {digits} 位数字 (must be {digits} digits): {{value!r}}")
        codes = checks.text(chunk, "code").str.replace(r"\s", "", regex=True)
        names = checks.text(chunk, "name")
        if level.name_required:
            header = self.columns.header("name")
            issues += checks.issues_for(chunk, checks.blank(names), names, header, "missing_name", f"{header} 为空 (empty)")
        if "code" in self.columns and level.code_required:
            header = self.columns.header("code")
            issues += checks.issues_for(chunk, (codes == "").to_numpy(), codes, header, "missing_code",
                                        f"{header} 为空 (empty)")
        issues += checks.too_long(chunk, self.columns, "name", 100)
        parents = checks.text(chunk, "parent_code").str.replace(r"\s", "", regex=True)
        return list(codes), list(names), list(parents), issues

    def _geometry(self, number: int, geom) -> tuple[MultiPolygon | None, list[RowIssue]]:
        issues: list[RowIssue] = []
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            msg = (f"坐标不是经纬度 (coordinates {minx:.0f}, {miny:.0f} are not degrees after conversion from "
                   f"{self.source.crs.name}): wrong --crs?")
            return None, [RowIssue(number, "geometry", "", msg, "not_degrees")]
        if not shapely.is_valid(geom):
            reason = shapely.is_valid_reason(geom)
            fixed = multipolygon(shapely.make_valid(geom))
            if fixed is None:
                return None, [RowIssue(number, "geometry", reason, f"无效多边形无法修复 (invalid polygon: {reason})",
                                       "invalid_geometry")]
            msg = (f"无效多边形已用 make_valid 修复 (invalid polygon repaired: {reason}); "
                   f"面积 area after repair {geodesic_area_m2(fixed):,.1f} m²")
            issues.append(RowIssue(number, "geometry", reason, msg, "repaired", "warning"))
            return fixed, issues
        return multipolygon(geom), issues

    # --- checks across features -----------------------------------------------------------------

    def check(self, report: Report) -> None:
        issues = self._duplicates()
        for f in self.features:
            issues += self.level.resolve_parent(f, self.columns)
        bad = report.add(issues)
        self.features = [f for f in self.features if f.number not in bad]
        existing = self.level.model.objects.in_bulk([f.code for f in self.features if f.code], field_name="code")
        for f in self.features:
            f.existing = existing.get(f.code)
        if self.level.key == "grid":
            bad = report.add(self._grid_codes())
            self.features = [f for f in self.features if f.number not in bad]
            bad = report.add(self._topology())
            self.features = [f for f in self.features if f.number not in bad]

    def _duplicates(self) -> list[RowIssue]:
        seen: dict[str, list[int]] = defaultdict(list)
        for f in self.features:
            if f.code:
                seen[f.code].append(f.number)
        header = self.columns.header("code") if "code" in self.columns else "编码"
        return [RowIssue(n, header, code, f"{header} {code} 在文件中重复 (duplicate code: {self.source.label}s "
                         f"{', '.join(map(str, numbers))}); none of them is imported", "duplicate")
                for code, numbers in seen.items() if len(numbers) > 1 for n in numbers]

    def _grid_codes(self) -> list[RowIssue]:
        """Codes for grids without one: a stored grid of the same shape, else the next free code."""
        tolerance = topology.tolerance_m2()
        issues: list[RowIssue] = []
        new_by_community: dict[int, list[Feature]] = defaultdict(list)
        used: dict[int, set[int]] = defaultdict(set)
        for f in self.features:
            if f.code:
                used[f.parent.pk].add(int(f.code[12:]))
                continue
            same = topology.same_grid(f.parent.pk, f.wkb, tolerance)
            if same:
                f.code = same[1]
                f.existing = self.level.model.objects.get(pk=same[0])
            else:
                new_by_community[f.parent.pk].append(f)
        for community_id, features in new_by_community.items():
            community = features[0].parent
            taken = used[community_id] | {int(c[12:]) for c in community.grids.values_list("code", flat=True)}
            order = reading_order([GEOSGeometry(memoryview(f.wkb), srid=4326) for f in features])
            for offset, index in enumerate(order, start=1):
                try:
                    features[index].code = format_code(community.code, max(taken, default=0) + offset)
                except ValueError as e:
                    issues.append(RowIssue(features[index].number, "code", "", str(e), "code_overflow"))
        return issues

    def _topology(self) -> list[RowIssue]:
        tolerance = topology.tolerance_m2()
        topology.stage([topology.StagedGrid(f.number, f.code, f.parent.pk, f.existing.pk if f.existing else None,
                                            f.wkb) for f in self.features])
        # A grid the file leaves as stored cannot be the one at fault when a changed neighbour overlaps it.
        unchanged = {f.number for f in self.features
                     if f.existing is not None and same_shape(shapely.from_wkb(bytes(f.existing.geom.wkb)), f.geom)}
        issues = []
        for o in topology.overlaps(tolerance):
            if o.number in unchanged and o.other_number is not None and o.other_number not in unchanged:
                continue
            other = (f"{self.source.label} {o.other_number} (网格 {o.other_code})" if o.other_number
                     else f"已有网格 {o.other_name} {o.other_code} (stored grid)")
            issues.append(RowIssue(o.number, "geometry", f"{o.area_m2:.1f}",
                                   f"网格 {o.code} 与 {other} 重叠 {o.area_m2:,.1f} m² (overlap)", "overlap"))
        for o in topology.outside(tolerance):
            issues.append(RowIssue(o.number, "geometry", f"{o.area_m2:.1f}",
                                   f"网格 {o.code} 超出所属社区 {o.community_name} {o.community_code} "
                                   f"{o.area_m2:,.1f} m² (leaves its community)", "outside_community"))
        for g in topology.gaps(tolerance):
            issues.append(RowIssue(0, f"社区 {g.community_code}", f"{g.area_m2:.1f}",
                                   f"社区 {g.community_name} {g.community_code} 内有 {g.area_m2:,.1f} m² 不属于任何网格 "
                                   f"(gap inside the community near {g.lon:.6f}, {g.lat:.6f})", "gap", "warning"))
        topology.drop()
        return issues

    # --- writing ---------------------------------------------------------------------------------

    def apply(self, result: ImportResult) -> None:
        pending = []
        for f in self.features:
            obj = self.level.build(f, self.path.name)
            if obj is None:
                result.unchanged += 1
            else:
                pending.append((f, obj))
        # Shrinking grids first frees the space growing neighbours take; several passes
        # settle the remaining orders, the trigger judges each write in a savepoint.
        pending.sort(key=lambda item: (item[1].pk is None, item[0].geom.area - self.level.old_area(item[0])))
        while pending:
            failed = []
            for f, obj in pending:
                adding = obj.pk is None
                try:
                    with transaction.atomic():
                        obj.save()
                except (IntegrityError, DataError) as e:
                    failed.append((f, obj, e))
                    continue
                if adding:
                    result.created += 1
                else:
                    result.updated += 1
            if len(failed) == len(pending):
                self.report.add([RowIssue(f.number, "", f.code, f"数据库拒绝 (refused by the database): "
                                          f"{str(e).splitlines()[0]}", "database") for f, _, e in failed])
                break
            pending = [(f, obj) for f, obj, _ in failed]

    def cleanup(self) -> None:
        topology.drop()
