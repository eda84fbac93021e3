"""python manage.py coverage_report [--type CODE] [--level community|grid] [--district CODE] [--format table|json|csv]"""

from __future__ import annotations

import csv
import json
import unicodedata

from django.core.management.base import BaseCommand, CommandError

from layers.facilities.models import FacilityType
from layers.facilities.walking import reports
from layers.facilities.walking.refresh import refresh_pending

FIELDS = ["type_code", "type_name", "threshold_minutes", "district", "total", "code", "name", "households", "covered_households",
          "household_share", "residents", "covered_residents", "resident_share", "focus_households",
          "focus_covered", "focus_share", "straight_line", "fragment_households"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _cell(value, width: int, *, right: bool = False) -> str:
    """``value`` padded to ``width`` terminal columns (CJK characters take two)."""
    text = str(value)
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    pad = " " * max(width - used, 1 if right else 0)
    return pad + text if right else text + pad + " "


class Command(BaseCommand):
    help = (
        "Per facility type, the share of households and residents within the type's walking threshold "
        "per community or grid (priority groups such as 独居老人/高龄 for elderly care separately), and "
        "each unit's life-circle completeness. --gaps FILE writes the gap areas of --type as GeoJSON."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--type", dest="type_code")
        parser.add_argument("--level", choices=sorted(reports.LEVELS), default="community")
        parser.add_argument("--format", dest="fmt", choices=["table", "json", "csv"], default="table")
        parser.add_argument("--gaps", metavar="FILE", help="write the gap areas of --type as GeoJSON")
        parser.add_argument("--district", help="区划代码 (6-digit district code); default: every district, "
                                                 "with a total row per district")

    def handle(self, *args, type_code=None, level="community", fmt="table", gaps=None, district=None,
               **options) -> None:
        from layers.grids.models import District

        if district and not District.objects.filter(code=district).exists():
            msg = f"未知的区划代码 (unknown district) {district!r}"
            raise CommandError(msg)
        if type_code and not FacilityType.objects.filter(code=type_code).exists():
            msg = f"unknown facility type {type_code!r}"
            raise CommandError(msg)
        if gaps and not type_code:
            msg = "--gaps needs --type"
            raise CommandError(msg)
        refresh_pending()
        rows = reports.coverage_rows(level=level, type_code=type_code, district=district)
        complete = reports.completeness_rows(level=level, district=district)
        if gaps:
            self._write_gaps(type_code, gaps, district)
        if fmt == "json":
            self.stdout.write(json.dumps({
                "level": level, "district": district,
                "coverage": [self._record(r) for r in rows],
                "completeness": [{"code": c.code, "name": c.name, "households": c.households,
                                  "levels": {str(k): v for k, v in c.level_shares.items()}, "all": c.all_share}
                                 for c in complete],
            }, ensure_ascii=False, indent=2))
        elif fmt == "csv":
            writer = csv.DictWriter(self.stdout, fieldnames=FIELDS)
            writer.writeheader()
            for r in rows:
                writer.writerow(self._record(r))
        else:
            self._table(rows, complete, level)

    @staticmethod
    def _record(r: reports.CoverageRow) -> dict:
        return {f: getattr(r, f) for f in FIELDS}

    def _table(self, rows, complete, level) -> None:
        unit = "社区" if level == "community" else "网格"
        self.stdout.write(_cell("设施类型", 24) + _cell("阈值", 6, right=True) + " " + _cell(unit + "编码", 16)
                          + _cell(unit, 14) + "".join(_cell(h, 12, right=True) for h in (
                              "户数", "覆盖户", "户覆盖率", "人口覆盖率", "重点人群户", "重点覆盖率", "路网不连通")))
        for r in rows:
            flag = f"  ⚠ {r.straight_line} 户为直线距离(未加载路网或离路网过远)" if r.straight_line else ""
            self.stdout.write(
                _cell(r.type_name, 24) + _cell(f"{r.threshold_minutes}分钟", 6, right=True) + " "
                + _cell(r.code or "-", 16) + _cell(r.name, 14)
                + "".join(_cell(v, 12, right=True) for v in (
                    r.households, r.covered_households, _pct(r.household_share), _pct(r.resident_share),
                    r.focus_households, _pct(r.focus_share), r.fragment_households)) + flag)
        cut_off = sum(r.fragment_households for r in rows if r.code == "*")
        if cut_off:
            self.stdout.write(f"\n路网不连通: {cut_off} 户(按设施类型累计)所在的路段与主路网断开、片段上没有该类设施, "
                              "既不算覆盖也不算覆盖空白; 请补全该处路网 (households on cut-off network fragments)")
        levels = sorted({lvl for c in complete for lvl in c.level_shares})
        self.stdout.write("\n生活圈完整度 (life-circle completeness): 可在阈值内到达该层级全部设施类型的户占比")
        self.stdout.write(_cell(unit + "编码", 16) + _cell(unit, 14) + _cell("户数", 8, right=True)
                          + "".join(_cell(f"{lvl}分钟层级", 12, right=True) for lvl in levels)
                          + _cell("全部层级", 12, right=True))
        for c in complete:
            self.stdout.write(_cell(c.code or "-", 16) + _cell(c.name, 14) + _cell(c.households, 8, right=True)
                              + "".join(_cell(_pct(c.level_shares.get(lvl)), 12, right=True) for lvl in levels)
                              + _cell(_pct(c.all_share), 12, right=True))

    def _write_gaps(self, type_code: str, path: str, district: str | None = None) -> None:
        import shapely

        areas = reports.gap_areas(type_code, district=district)
        collection = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(shapely.to_geojson(a.geom)),
             "properties": {"type_code": type_code, "households": a.households, "residents": a.residents,
                            "focus_households": a.focus_households}} for a in areas]}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(collection, f, ensure_ascii=False)
        self.stderr.write(f"{len(areas)} 个覆盖空白区 (gap areas) → {path}")
