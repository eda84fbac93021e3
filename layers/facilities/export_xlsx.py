"""The planner's tables as an Excel workbook with Chinese headers: coverage per community,
the suggested sites and their before/after, life-circle completeness, and a sheet saying
what the figures are and where they come from.

Text cells from the database (names, places) pass importers.readers.base.neutralise, the one
rule against spreadsheet formulas in exported text; numbers stay numbers.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from importers.readers.base import neutralise
from layers.facilities.walking.planner_tables import PlannerTables

OSM_ATTRIBUTION = "© OpenStreetMap 贡献者, ODbL"

COVERAGE_HEADERS = ["社区编码", "社区", "户数", "覆盖户数", "户覆盖率(%)", "人口", "覆盖人口", "人口覆盖率(%)",
                    "重点人群户数", "重点人群覆盖户数", "路网不连通户数"]
SITE_HEADERS = ["序号", "位置描述", "候选地块", "经度", "纬度", "平面坐标X(m)", "平面坐标Y(m)", "平面坐标系EPSG",
                "新覆盖户数", "新覆盖人口", "新覆盖重点人群户数"]
BEFORE_AFTER_HEADERS = ["社区编码", "社区", "户数", "建设前覆盖户数", "建设后覆盖户数", "建设前户覆盖率(%)",
                        "建设后户覆盖率(%)", "重点人群户数", "建设前重点人群覆盖户数", "建设后重点人群覆盖户数"]


def completeness_headers(levels: list[int]) -> list[str]:
    cells = [h for m in levels for h in (f"{m}分钟完整户数", f"{m}分钟完整率(%)")]
    return ["社区编码", "社区", "户数", *cells, "缺项（不到一半住户可达的类型）"]


def _text(value: object) -> object:
    return neutralise(value) if isinstance(value, str) else value


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _sheet(book: Workbook, title: str, headers: list[str], rows: list[list[object]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_text(v) for v in row])
    sheet.freeze_panes = "A2"
    for k, header in enumerate(headers):
        sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width = max(10, 2 * len(header) + 2)


def write_xlsx(tables: PlannerTables, path: Path) -> Path:
    """Write the workbook to ``path``; the last row of each table is its 合计 (total)."""
    book = Workbook()
    book.remove(book.active)
    t = tables
    _sheet(book, "覆盖率", COVERAGE_HEADERS, [
        [("合计" if r.total else r.code), r.name, r.households, r.covered_households,
         _percent(r.covered_households, r.households), r.residents, r.covered_residents,
         _percent(r.covered_residents, r.residents), r.focus_households, r.focus_covered, r.fragment_households]
        for r in t.rows if r.total != "district"])
    _sheet(book, "建议选址", SITE_HEADERS, [
        [s.rank, s.place, s.label, round(s.geom.x, 6), round(s.geom.y, 6),
         None if s.x_m is None else round(s.x_m, 1), None if s.y_m is None else round(s.y_m, 1), s.metric_srid,
         s.newly_covered_households, s.newly_covered_residents, s.newly_covered_focus] for s in t.sites])
    _sheet(book, "建设前后", BEFORE_AFTER_HEADERS, [
        [("合计" if b.total else b.code), b.name, b.households, b.covered_before, b.covered_after,
         _percent(b.covered_before, b.households), _percent(b.covered_after, b.households), b.focus_households,
         b.focus_before, b.focus_after] for b in t.before_after] if t.sites else [])
    _sheet(book, "生活圈完整度", completeness_headers(t.levels), [
        [("合计" if c.total else c.code), c.name, c.households,
         *[v for m in t.levels for v in (c.complete.get(m, 0), _percent(c.complete.get(m, 0), c.households))],
         c.missing_text] for c in t.completeness])
    now = timezone.localtime()
    _sheet(book, "说明", ["项目", "内容"], [
        ["设施类型", t.ftype.name], ["辖区", t.district_label],
        ["步行阈值", f"{t.ftype.threshold_minutes} 分钟（沿步行路网，步速 {settings.GRIDMAP_WALK_SPEED_M_PER_MIN:.1f} 米/分钟）"],
        ["生成时间", now.strftime("%Y-%m-%d %H:%M")],
        ["生活圈完整度计算时间", timezone.localtime(t.completeness_at).strftime("%Y-%m-%d %H:%M")
         if t.completeness_at else "尚未计算"],
        ["重点人群", t.focus_note],
        ["建议选址", "最大覆盖模型；每处只计前面各处尚未覆盖的住户，合计即新增覆盖，不重复计算"],
        ["生活圈层级", "GB 50180-2018、TD/T 1062-2021：某层级完整指该层级及更低层级的全部设施类型都在其步行时间内可达"],
        ["数据来源", f"住户与设施：本系统导入数据；步行路网：{OSM_ATTRIBUTION}"],
    ])
    book.save(path)
    return path
