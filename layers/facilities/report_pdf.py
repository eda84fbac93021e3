"""The planner's printable A4 report as PDF: a map image drawn from the geometries (grids by
coverage, the 5/10/15-minute circles, facilities, gaps, numbered suggested sites), then the
coverage, site, before/after and completeness tables, the sources, the date and the
OpenStreetMap attribution on every page.

Drawn with matplotlib (Agg, no display) in the district's metric CRS (metres, equal axes);
Chinese needs a CJK font: :func:`cjk_font` finds one installed (fonts-noto-cjk, listed in
scripts/sysdeps.sh). Runs in the background job facilities.planner_export.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg2 import sql

from layers.facilities.export_xlsx import OSM_ATTRIBUTION
from layers.facilities.walking.planner_tables import PlannerTables

A4_INCHES = (8.27, 11.69)
PREFERRED_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                   "WenQuanYi Micro Hei", "AR PL UMing CN", "Noto Sans CJK JP")
ROWS_PER_PAGE = 34
# The same classes and styles as the planner's web map (layers/maps/planner.py), kept here
# because facilities may not import maps (apps import only those above them).
SHARE_CLASSES = [(0.2, "#eff3ff"), (0.4, "#bdd7e7"), (0.6, "#6baed6"), (0.8, "#3182bd"), (1.01, "#08519c")]
NO_HOUSEHOLDS = "#d9d9d9"
CIRCLE_STYLES = [("#D55E00", "-", 0.22), ("#E69F00", (0, (6, 3)), 0.12), ("#009E73", (0, (1, 3)), 0.06)]
GAP_COLOUR = "#7b3294"
SITE_COLOUR = "#e7298a"


NOTES = {
    "15分钟社区生活圈完整度": "按 GB 50180-2018、TD/T 1062-2021 的层级，某层级“完整”指该层级及更低层级的全部设施类型"
                       "都在其步行时间内可达；缺项为不到一半住户可达的类型。",
    "建议选址": "最大覆盖模型；每处只计前面各处尚未覆盖的住户，合计即新增覆盖。",
}


class ReportError(RuntimeError):
    """The report cannot be drawn; the message says why (in Chinese)."""


def cjk_font() -> str:
    """The family name of an installed font with Chinese glyphs (registering the files
    fontconfig lists for :lang=zh when matplotlib has not found them)."""
    from matplotlib import font_manager

    def known() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    found = next((name for name in PREFERRED_FONTS if name in known()), None)
    if found is None:
        try:
            listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30,
                                    check=False).stdout
        except OSError:
            listed = ""
        for line in listed.splitlines():
            path = line.split(":")[0].strip()
            if path:
                font_manager.fontManager.addfont(path)
        found = next((name for name in PREFERRED_FONTS if name in known()), None)
    if found is None:
        msg = "未找到中文字体，无法生成 PDF：请安装 fonts-noto-cjk（scripts/sysdeps.sh）"
        raise ReportError(msg)
    return found


def _share_colour(covered: int, households: int) -> str:
    if not households:
        return NO_HOUSEHOLDS
    share = covered / households
    return next(colour for upper, colour in SHARE_CLASSES if share < upper)


def _geoms(query: sql.Composable, params: list) -> list[tuple]:
    """Rows whose first column is WKB, as (shapely geometry, *rest)."""
    with connection.cursor() as cur:
        cur.execute(query, params)
        return [(shapely.from_wkb(bytes(r[0])), *r[1:]) for r in cur.fetchall()]


def _metric_srid(district: str | None) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT metric_srid FROM grids_district WHERE %s::text IS NULL OR code = %s ORDER BY code LIMIT 1",
                    [district, district])
        row = cur.fetchone()
    if row is None or not row[0]:
        msg = "没有区划（或其平面坐标系），无法绘制地图"
        raise ReportError(msg)
    return int(row[0])


# Rows whose geometry (the composed column) lies in district %s (all when NULL; bound twice).
IN_DISTRICT = sql.SQL("(%s::text IS NULL OR ST_Intersects({col}, (SELECT geom FROM grids_district WHERE code = %s)))")


def _fill(ax, geom, **style) -> None:
    """Polygons (holes kept: exteriors counter-clockwise, holes clockwise, non-zero fill)."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        part = shapely.geometry.polygon.orient(part, 1.0)
        rings = [np.asarray(part.exterior.coords)] + [np.asarray(r.coords) for r in part.interiors]
        path = MplPath.make_compound_path(*[MplPath(r, closed=True) for r in rings])
        ax.add_patch(PathPatch(path, **style))


def draw_map(ax, tables: PlannerTables) -> None:
    """The report's map on ``ax`` (metres in the district's metric CRS)."""
    t, district = tables, tables.district
    srid = _metric_srid(district)
    from layers.facilities.walking.reports import coverage_rows

    shares = {r.code: r for r in coverage_rows(level="grid", type_code=t.ftype.code, district=district)}
    grids = _geoms(sql.SQL("SELECT ST_AsBinary(ST_Transform(g.geom, %s)), g.code FROM grids_grid g WHERE {d}").format(
        d=IN_DISTRICT.format(col=sql.Identifier("g", "geom"))), [srid, district, district])
    for geom, code in grids:
        row = shares.get(code)
        _fill(ax, geom, facecolor=_share_colour(row.covered_households, row.households) if row else NO_HOUSEHOLDS,
              edgecolor="#666666", linewidth=0.3, alpha=0.6)
    minutes = sorted(settings.GRIDMAP_CIRCLE_MINUTES)
    for rank, minute in sorted(enumerate(minutes), key=lambda x: -x[1]):
        colour, dash, opacity = CIRCLE_STYLES[min(rank, len(CIRCLE_STYLES) - 1)]
        circles = _geoms(sql.SQL(
            "SELECT ST_AsBinary(ST_Transform(c.geom, %s)) FROM facilities_facilitycircle c"
            " JOIN facilities_facility f ON f.id = c.facility_id WHERE f.type_id = %s AND c.minutes = %s AND {d}").format(
                d=IN_DISTRICT.format(col=sql.Identifier("f", "geom"))), [srid, t.ftype.pk, minute, district, district])
        for (geom,) in circles:
            _fill(ax, geom, facecolor=colour, alpha=opacity, edgecolor="none")
            _fill(ax, geom, facecolor="none", edgecolor=colour, linewidth=1.0, linestyle=dash)
    facilities = _geoms(sql.SQL(
        "SELECT ST_AsBinary(ST_Transform(f.geom, %s)) FROM facilities_facility f WHERE f.type_id = %s AND {d}").format(
            d=IN_DISTRICT.format(col=sql.Identifier("f", "geom"))), [srid, t.ftype.pk, district, district])
    if facilities:
        xy = np.array([(g.x, g.y) for (g,) in facilities])
        ax.scatter(xy[:, 0], xy[:, 1], s=14, c=t.ftype.color, edgecolors="white", linewidths=0.6, zorder=5)
    for site in t.sites:
        if site.x_m is None or site.metric_srid != srid:
            continue
        ax.scatter([site.x_m], [site.y_m], s=120, c=SITE_COLOUR, edgecolors="white", linewidths=1, zorder=6)
        ax.text(site.x_m, site.y_m, str(site.rank), color="white", fontsize=7, ha="center", va="center",
                weight="bold", zorder=7)
    if grids:
        bounds = shapely.bounds(shapely.union_all([g for g, _ in grids]))
        pad = 0.03 * max(bounds[2] - bounds[0], bounds[3] - bounds[1])
        ax.set_xlim(bounds[0] - pad, bounds[2] + pad)
        ax.set_ylim(bounds[1] - pad, bounds[3] + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"EPSG:{srid}，单位：米", fontsize=7, loc="right")


def _legend(ax, tables: PlannerTables) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    minutes = sorted(settings.GRIDMAP_CIRCLE_MINUTES)
    handles = [Patch(facecolor=c, edgecolor="#666666", label=f"网格覆盖率 < {u:.0%}" if u < 1 else "网格覆盖率 ≥ 80%")
               for u, c in SHARE_CLASSES]
    for rank, minute in enumerate(minutes):
        colour, dash, opacity = CIRCLE_STYLES[min(rank, len(CIRCLE_STYLES) - 1)]
        handles.append(Line2D([0], [0], color=colour, linestyle=dash, linewidth=2, label=f"{minute}分钟步行服务圈"))
    handles += [Line2D([0], [0], marker="o", color="white", markerfacecolor=tables.ftype.color, markersize=7,
                       label=tables.ftype.name),
                Line2D([0], [0], marker="o", color="white", markerfacecolor=SITE_COLOUR, markersize=10,
                       label="建议选址（编号同列表）")]
    # Below the map, not on it: it would hide the numbered sites in a corner.
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.01), fontsize=6.5, framealpha=0.9, ncol=3)


def _footer(fig, page: int, when: str) -> None:
    fig.text(0.06, 0.025, f"地图数据 {OSM_ATTRIBUTION} · 生成于 {when}", fontsize=7, color="#444444")
    fig.text(0.94, 0.025, f"第 {page} 页", fontsize=7, color="#444444", ha="right")


def _table_pages(title: str, headers: list[str], rows: list[list[str]]) -> list[tuple[str, list[str], list[list[str]]]]:
    if not rows:
        return [(title, headers, [["（无）"] + [""] * (len(headers) - 1)])]
    return [(title + (f"（续 {k // ROWS_PER_PAGE + 1}）" if k else ""), headers, rows[k:k + ROWS_PER_PAGE])
            for k in range(0, len(rows), ROWS_PER_PAGE)]


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def report_tables(t: PlannerTables) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables (title, headers, rows of text), split into pages."""
    pages = _table_pages(f"各社区覆盖情况（步行 {t.ftype.threshold_minutes} 分钟）",
                         ["社区", "户数", "覆盖户", "户覆盖率", "人口覆盖率", "重点人群覆盖"],
                         [[r.name, str(r.households), str(r.covered_households), _pct(r.covered_households, r.households),
                           _pct(r.covered_residents, r.residents),
                           f"{_pct(r.focus_covered, r.focus_households)}（{r.focus_households}户）"
                           if r.focus_households else "—"] for r in t.rows if r.total != "district"])
    pages += _table_pages("建议选址（按新增覆盖排序，不重复计算）",
                          ["序号", "位置", "经度, 纬度", "新覆盖户", "新覆盖人口", "重点人群户"],
                          [[str(s.rank), s.place or s.label, f"{s.geom.x:.5f}, {s.geom.y:.5f}",
                            str(s.newly_covered_households), str(s.newly_covered_residents),
                            str(s.newly_covered_focus) if t.has_focus else "—"] for s in t.sites])
    if t.sites:
        pages += _table_pages("建设前后各社区覆盖", ["社区", "户数", "覆盖户 前→后", "覆盖率 前→后", "重点人群 前→后"],
                              [[b.name, str(b.households), f"{b.covered_before} → {b.covered_after}",
                                f"{_pct(b.covered_before, b.households)} → {_pct(b.covered_after, b.households)}",
                                f"{b.focus_before} → {b.focus_after}" if b.focus_households else "—"]
                               for b in t.before_after])
    pages += _table_pages("15分钟社区生活圈完整度",
                          ["社区", "户数", *[f"{m}分钟完整率" for m in t.levels], "缺项数"],
                          [[c.name, str(c.households), *[_pct(c.complete.get(m, 0), c.households) for m in t.levels],
                            str(len(c.missing))] for c in t.completeness])
    pages += _table_pages("生活圈缺项明细（不到一半住户可达的设施类型）", ["社区", "设施类型", "层级", "可达住户比例"],
                          [[c.name, name, f"{m}分钟", f"{share:.0%}"] for c in t.completeness
                           for name, m, share in c.missing])
    return pages


def write_pdf(tables: PlannerTables, path: Path) -> Path:
    """Write the A4 report to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    font = cjk_font()
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    t = tables
    # parse_math off: names from the data ("$…$") are text, never mathtext.
    with matplotlib.rc_context({"font.family": [font], "axes.unicode_minus": False, "pdf.fonttype": 3,
                                "text.parse_math": False}), \
            PdfPages(path) as pdf:
        fig = plt.figure(figsize=A4_INCHES)
        fig.text(0.06, 0.955, f"设施覆盖报告 · {t.ftype.name} · {t.district_label}", fontsize=16, weight="bold")
        total = next((r for r in t.rows if r.total == "all"), None)
        summary = (f"步行阈值 {t.ftype.threshold_minutes} 分钟；覆盖 {total.covered_households}/{total.households} 户"
                   f"（{_pct(total.covered_households, total.households)}）" if total else "尚无覆盖数据")
        if t.sites:
            gain = sum(s.newly_covered_households for s in t.sites)
            summary += f"；{len(t.sites)} 处建议选址可新增覆盖 {gain} 户"
        fig.text(0.06, 0.93, summary, fontsize=9)
        ax = fig.add_axes((0.06, 0.12, 0.88, 0.79))
        ax.set_anchor("N")  # a wide district sits under the title, the notes follow below
        draw_map(ax, t)
        _legend(ax, t)
        fig.text(0.06, 0.085, "说明：服务圈为沿步行路网可达的范围；网格颜色为该类设施的户覆盖率；"
                              "编号圆点为建议选址，编号与后页列表一致。", fontsize=7.5)
        fig.text(0.06, 0.065, "数据来源：住户与设施为本系统导入数据；步行路网 " + OSM_ATTRIBUTION, fontsize=7.5)
        _footer(fig, 1, when)
        pdf.savefig(fig)
        plt.close(fig)
        for page, (title, headers, rows) in enumerate(report_tables(t), start=2):
            fig = plt.figure(figsize=A4_INCHES)
            fig.text(0.06, 0.955, title, fontsize=13, weight="bold")
            ax = fig.add_axes((0.06, 0.08, 0.88, 0.85))
            ax.axis("off")
            table = ax.table(cellText=rows, colLabels=headers, loc="upper left", cellLoc="left")
            table.auto_set_font_size(False)
            table.set_fontsize(7)
            table.auto_set_column_width(list(range(len(headers))))
            table.scale(1, 1.35)
            for (r, _), cell in table.get_celld().items():
                cell.set_edgecolor("#bbbbbb")
                if r == 0:
                    cell.set_facecolor("#eeeeee")
            note = NOTES.get(title.split("（")[0], "") if "续" not in title else ""
            if title.startswith("各社区覆盖"):
                note = t.focus_note
            if note:
                fig.text(0.06, 0.05, "注：" + note, fontsize=7, wrap=True)
            _footer(fig, page, when)
            pdf.savefig(fig)
            plt.close(fig)
        meta = pdf.infodict()
        meta["Title"] = f"设施覆盖报告 {t.ftype.name}"
        meta["Subject"] = OSM_ATTRIBUTION
    return path
