"""Boundaries: districts (区), streets (街道), communities (社区) and grids (网格) as polygons.

Natural key: the code (6, 9, 12, 15 digits, DOMAIN.md §2). Parents are found by the parent
code column, else by the code's prefix (codes are hierarchical); a grid without either is
given the community holding most of its area. A grid without a code first looks for a
stored grid of that community with the same shape (so re-importing a file without codes is
idempotent), else gets the next free code in reading order (layers.grids.codes, numbered
after the codes in use and the codes in the file).

A file none of whose features lands inside the district (China, for districts) is refused
as a whole, naming the CRS it declared and the --crs that would fit (importers.loaders.extent).

Invalid polygons are repaired with make_valid and reported as warnings; a repair that
changes the area by more than GRIDMAP_REPAIR_TOLERANCE (1 %) or leaves stored children
outside is refused unless --accept-repairs. At every level each overlap with a sibling,
each part leaving the parent and each stored child a changed boundary would leave outside
is reported with its area in m² before anything is written (importers.loaders.topology);
overlaps and leaving reject the feature; for grids the gaps inside a community are warnings
(a partial file may leave gaps another file fills). A grid file that would leave linked
households or incidents outside every grid is refused unless --allow-unlink
(importers.loaders.unlinking). The database triggers check every write again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import DataError, IntegrityError, models, transaction
from shapely.geometry import MultiPolygon

from importers import checks
from importers.loaders import extent, topology, unlinking
from importers.loaders.base import ImportResult, Loader
from importers.loaders.boundary_levels import LEVELS, Level, geodesic_area_m2, multipolygon, same_shape
from importers.readers import Chunk, ReadError, RowIssue, Source
from importers.readers.spatial import GisSource
from importers.report import Report
from layers.grids.codes import format_code, reading_order
from layers.grids.crs import community_metric_srid

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
# Chinese and English words of each level, its parent and its children, for messages.
WORDS = {"district": ("区", "district"), "street": ("街道", "street"), "community": ("社区", "community"),
         "grid": ("网格", "grid")}
PARENT = {"street": "district", "community": "street", "grid": "community"}
CHILD = {"district": "street", "street": "community", "community": "grid"}


def repair_tolerance() -> float:
    """The share of its area (0.01 = 1 %) a make_valid repair may change without --accept-repairs."""
    return float(getattr(settings, "GRIDMAP_REPAIR_TOLERANCE", 0.01))


@dataclass
class Feature:
    number: int
    code: str
    name: str
    parent_code: str
    geom: MultiPolygon
    parent: models.Model | None = None
    existing: models.Model | None = None
    repaired: bool = False
    deferred: list[RowIssue] | None = None  # a refused repair, reported with the checks across features

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
        self.raw_centres: list[np.ndarray] = []
        self.wgs_centres: list[np.ndarray] = []

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
        self.raw_centres.append(extent.centres(geoms[polygonal]))
        self.wgs_centres.append(extent.centres(wgs[polygonal]))
        codes, names_text, parents, more = self._attributes(chunk)
        issues += more
        features = []
        for i, number in enumerate(chunk.numbers):
            if not polygonal[i]:
                continue
            geom, geom_issues = self._geometry(int(number), wgs[i], f"{self.level_word} {codes[i]} {names_text[i]}")
            # A refused repair waits for check(), so that the children it strands are reported too.
            deferred = [x for x in geom_issues if x.kind == "repair_area"]
            issues += [x for x in geom_issues if x.kind != "repair_area"]
            if geom is not None:
                features.append(Feature(int(number), codes[i], names_text[i], parents[i], geom,
                                        repaired=any(x.kind.startswith("repair") for x in geom_issues),
                                        deferred=deferred))
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

    @property
    def level_word(self) -> str:
        return WORDS[self.level.key][0]

    def _geometry(self, number: int, geom, label: str) -> tuple[MultiPolygon | None, list[RowIssue]]:
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
            before, after = extent.drawn_area_m2(geom), geodesic_area_m2(fixed)
            msg = (f"无效多边形已用 make_valid 修复 (invalid polygon repaired: {reason}); "
                   f"面积 area after repair {after:,.1f} m²")
            issues.append(RowIssue(number, "geometry", reason, msg, "repaired", "warning"))
            tolerance = repair_tolerance()
            if before <= 0 or abs(after - before) > tolerance * before:
                change = f"{abs(after - before) / before:.1%}" if before > 0 else "—"
                msg = (f"{label.strip()}: make_valid 修复使面积由 {before:,.1f} m² 变为 {after:,.1f} m² (变化 {change}, "
                       f"超过容差 {tolerance * 100:g}%) (the repair changes the area from {before:,.1f} m² to "
                       f"{after:,.1f} m², more than {tolerance * 100:g}%); ")
                if self.options.accept_repairs:
                    msg, severity = msg + "已按 --accept-repairs 接受 (accepted with --accept-repairs)", "warning"
                else:
                    msg, severity = msg + ("请修正原图形，或核对修复结果后加 --accept-repairs "
                                           "(fix the polygon, or check the repair and use --accept-repairs)"), "error"
                issues.append(RowIssue(number, "geometry", f"{before:.1f}->{after:.1f}", msg, "repair_area", severity))
            return fixed, issues
        return multipolygon(geom), issues

    # --- checks across features -----------------------------------------------------------------

    def check(self, report: Report) -> None:
        raw = np.concatenate(self.raw_centres) if self.raw_centres else np.empty((0, 2))
        wgs = np.concatenate(self.wgs_centres) if self.wgs_centres else np.empty((0, 2))
        extent.check(self.path.name, self.level.key, self.source.crs, bool(self.options.crs), raw, wgs)
        issues = self._duplicates()
        for f in self.features:
            issues += self.level.resolve_parent(f, self.columns)
        bad = report.add(self._with_deferred(issues))
        self.features = [f for f in self.features if f.number not in bad]
        existing = self.level.model.objects.in_bulk([f.code for f in self.features if f.code], field_name="code")
        for f in self.features:
            f.existing = existing.get(f.code)
        if self.level.key == "grid":
            bad = report.add(self._with_deferred(self._grid_codes()))
            self.features = [f for f in self.features if f.number not in bad]
        bad = report.add(self._topology() + [x for f in self.features for x in f.deferred or []])
        self.features = [f for f in self.features if f.number not in bad]

    def _with_deferred(self, issues: list[RowIssue]) -> list[RowIssue]:
        """``issues`` plus the deferred issues of the features they reject (in one batch: one count per feature)."""
        rejected = {x.number for x in issues if x.severity == "error"}
        for f in self.features:
            if f.number in rejected and f.deferred:
                issues, f.deferred = issues + f.deferred, []
        return issues

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
            order = reading_order([GEOSGeometry(memoryview(f.wkb), srid=4326) for f in features],
                                  srid=community_metric_srid(community))
            for offset, index in enumerate(order, start=1):
                try:
                    features[index].code = format_code(community.code, max(taken, default=0) + offset)
                except ValueError as e:
                    issues.append(RowIssue(features[index].number, "code", "", str(e), "code_overflow"))
        return issues

    def _topology(self) -> list[RowIssue]:
        level, tolerance = self.level.key, topology.tolerance_m2()
        what, en = WORDS[level]
        topology.stage([topology.StagedBoundary(f.number, f.code, f.parent.pk if f.parent is not None else None,
                                                f.existing.pk if f.existing else None, f.wkb) for f in self.features])
        # A boundary the file leaves as stored cannot be the one at fault when a changed neighbour overlaps it.
        unchanged = {f.number for f in self.features
                     if f.existing is not None and same_shape(shapely.from_wkb(bytes(f.existing.geom.wkb)), f.geom)}
        issues = []
        for f in self.features:
            area = geodesic_area_m2(f.geom)
            if area <= tolerance:
                issues.append(RowIssue(f.number, "geometry", f"{area:.4f}",
                                       f"{what} {f.code} 面积仅 {area:.4f} m², 不大于容差 {tolerance:g} m² (area not above "
                                       "the sliver tolerance: coordinates in the wrong unit or wrong --crs?)", "too_small"))
        if level == "district":
            for f in self.features:
                x, y = f.geom.centroid.x, f.geom.centroid.y
                if not (extent.CHINA[0] <= x <= extent.CHINA[2] and extent.CHINA[1] <= y <= extent.CHINA[3]):
                    issues.append(RowIssue(f.number, "geometry", f"{x:.4f}, {y:.4f}",
                                           f"区 {f.code} 位于 ({x:.4f}, {y:.4f}), 不在中国范围内 (outside China: "
                                           "lon 73–136, lat 3–54)", "outside_china"))
        for o in topology.overlaps(level, tolerance):
            if o.number in unchanged and o.other_number is not None and o.other_number not in unchanged:
                continue
            other = (f"{self.source.label} {o.other_number} ({what} {o.other_code})" if o.other_number
                     else f"已有{what} {o.other_name} {o.other_code} (stored {en})")
            issues.append(RowIssue(o.number, "geometry", f"{o.area_m2:.1f}",
                                   f"{what} {o.code} 与 {other} 重叠 {o.area_m2:,.1f} m² (overlap)", "overlap"))
        if level in PARENT:
            p_what, p_en = WORDS[PARENT[level]]
            for o in topology.outside(level, tolerance):
                if o.wholly:
                    msg = (f"{what} {o.code} 完全在所属{p_what} {o.parent_name} {o.parent_code} 之外, 相距 "
                           f"{o.distance_m:,.0f} m (lies wholly outside its {p_en}, {o.distance_m:,.0f} m away)")
                else:
                    msg = (f"{what} {o.code} 超出所属{p_what} {o.parent_name} {o.parent_code} {o.area_m2:,.1f} m² "
                           f"(leaves its {p_en})")
                issues.append(RowIssue(o.number, "geometry", f"{o.area_m2:.1f}", msg, f"outside_{p_en}"))
        issues += self._children_outside(tolerance)
        if level == "grid":
            for g in topology.gaps(tolerance):
                issues.append(RowIssue(0, f"社区 {g.community_code}", f"{g.area_m2:.1f}",
                                       f"社区 {g.community_name} {g.community_code} 内有 {g.area_m2:,.1f} m² 不属于任何网格 "
                                       f"(gap inside the community near {g.lon:.6f}, {g.lat:.6f})", "gap", "warning"))
        topology.drop()
        return issues

    def _children_outside(self, tolerance: float) -> list[RowIssue]:
        """Stored children a changed boundary would leave outside: refused when make_valid made the
        shape (unless --accept-repairs), else a warning to re-import the children."""
        if self.level.key not in CHILD:
            return []
        what = WORDS[self.level.key][0]
        c_what, c_en = WORDS[CHILD[self.level.key]]
        by_row: dict[int, list[topology.ChildOutside]] = defaultdict(list)
        for c in topology.children_outside(self.level.key, tolerance):
            by_row[c.number].append(c)
        repaired = {f.number for f in self.features if f.repaired}
        issues = []
        for number, children in by_row.items():
            listed = ", ".join(f"{c.child_name} {c.child_code} ({c.area_m2:,.1f} m²)" for c in children)
            head = (f"{what} {children[0].code} 新范围使 {len(children)} 个已有{c_what}超出其范围: {listed} "
                    f"(the new shape leaves {len(children)} stored {c_en}s outside)")
            if number in repaired and not self.options.accept_repairs:
                issues.append(RowIssue(number, "geometry", str(len(children)),
                                       head + "; 新范围由 make_valid 修复得到, 请修正原图形，或核对后加 --accept-repairs "
                                       "(the shape comes from a make_valid repair: fix it, or use --accept-repairs)",
                                       "repair_children"))
            else:
                issues.append(RowIssue(number, "geometry", str(len(children)),
                                       head + f"; 请随后重新导入{c_what} (re-import the {c_en}s to match)",
                                       "children_outside", "warning"))
        return issues

    # --- writing ---------------------------------------------------------------------------------

    def apply(self, result: ImportResult) -> None:
        if self.level.key != "grid":
            self.report.add(self._refused_issues(self._write(result)))
            return
        # Grids: write in a savepoint, count the households and incidents left in no grid,
        # and roll back unless --allow-unlink (with --skip-invalid: without those grids).
        unlinking.note([f.existing.pk for f in self.features if f.existing is not None])
        while True:
            trial = ImportResult(result.file_name, result.what)
            savepoint = transaction.savepoint()
            refused = self._write(trial)
            lost = unlinking.unlinked()
            if not lost or self.options.allow_unlink:
                transaction.savepoint_commit(savepoint)
                break
            transaction.savepoint_rollback(savepoint)
            if not self.options.skip_invalid:
                self.report.add(self._unlink_issues(lost) + self._refused_issues(refused))
                unlinking.drop()
                return
            bad = self.report.add(self._unlink_issues(lost))
            self.features = [f for f in self.features if f.number not in bad]
            for f in self.features:
                if f.existing is not None:
                    f.existing.refresh_from_db()  # build() edited it for the rolled-back trial
        unlinking.drop()
        result.created, result.updated, result.unchanged = trial.created, trial.updated, trial.unchanged
        self.report.add(self._refused_issues(refused))
        if lost:
            codes = {f.existing.pk: f.code for f in self.features if f.existing is not None}
            result.notes.append("已解除关联 (un-linked, --allow-unlink): " + "; ".join(
                f"网格 {codes.get(u.grid_id, u.grid_id)}: {u.households} 户 households, {u.incidents} 个事件 incidents"
                for u in lost))

    def _unlink_issues(self, lost: list[unlinking.Unlinked]) -> list[RowIssue]:
        by_grid = {f.existing.pk: f for f in self.features if f.existing is not None}
        issues = []
        for u in lost:
            f = by_grid[u.grid_id]
            issues.append(RowIssue(
                f.number, "geometry", f"{u.households}/{u.incidents}",
                f"网格 {f.code} {f.existing.name} 导入后将有 {u.households} 户、{u.incidents} 个事件不在任何网格内 "
                f"(would un-link {u.households} households and {u.incidents} incidents: they would lie outside every "
                "grid); 如确需如此，请加 --allow-unlink (use --allow-unlink if this is intended)", "unlink"))
        return issues

    def _write(self, result: ImportResult) -> list[tuple[Feature, Exception]]:
        """Save every feature; the ones the database refuses in every pass are returned."""
        pending = []
        for f in self.features:
            obj = self.level.build(f, self.path.name)
            if obj is None:
                result.unchanged += 1
            else:
                pending.append((f, obj))
        # Shrinking boundaries first frees the space growing neighbours take; several passes
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
                return [(f, e) for f, _, e in failed]
            pending = [(f, obj) for f, obj, _ in failed]
        return []

    @staticmethod
    def _refused_issues(refused: list[tuple[Feature, Exception]]) -> list[RowIssue]:
        return [RowIssue(f.number, "", f.code, f"数据库拒绝 (refused by the database): "
                         f"{str(e).splitlines()[0]}", "database") for f, e in refused]

    def cleanup(self) -> None:
        topology.drop()
        unlinking.drop()
