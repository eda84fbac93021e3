"""python manage.py hotspots [--days N | --since DATE --until DATE] [--category CODE] [--cell grid|hex]
[--format table|json|geojson]: Getis-Ord Gi* hot and cold spots of incidents."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from layers.patrols import hotspots
from layers.patrols.counts import BIN_KINDS, IncidentQueryError
from layers.patrols.geojson import cell_records, geojson
from layers.patrols.management.commands._hotspot_options import (
    add_filter_arguments,
    add_gi_arguments,
    dump_json,
    filter_from_options,
    text_table,
)


class Command(BaseCommand):
    help = (
        "事件热点分析: Getis-Ord Gi* (esda, star=True, 置换检验) 统计每个网格或六边形的热点/冷点, "
        "类别 ±3/±2/±1 = 99/95/90 % 置信度. Counts incidents per grid cell (queen contiguity weights) or "
        "hexagon (6 adjacent cells), filtered by time window, category, status, hours and weekdays; "
        "--emerging adds the emerging hot spot pattern per cell; --map writes a map."
    )

    def add_arguments(self, parser) -> None:
        add_filter_arguments(parser)
        add_gi_arguments(parser)
        parser.add_argument("--format", choices=["table", "json", "geojson"], default="table")
        parser.add_argument(
            "--all", action="store_true", help="表格列出所有单元 (table: every cell, not only significant)"
        )
        parser.add_argument("--emerging", choices=BIN_KINDS, help="时空热点模式, 按周或按月分期 (emerging hot spots)")
        parser.add_argument("--bins", type=int, default=settings.GRIDMAP_EMERGING_BINS,
                            help="时空分析期数 (bins, at least 10), ending with the time window's end")  # fmt: skip
        parser.add_argument("--out", help="写入文件而不是标准输出 (write to FILE)")
        parser.add_argument("--map", metavar="FILE.html", help="同时生成热点地图 (also write a map)")

    def handle(self, *args, **options) -> None:
        flt = filter_from_options(options)
        try:
            result = hotspots.hotspots(
                flt, kind=options["cell"], size_m=options["hex_size"], permutations=options["permutations"],
                seed=options["seed"], fdr=options["fdr"],
            )  # fmt: skip
            emerging = None
            if options["emerging"]:
                emerging = hotspots.emerging(
                    flt, kind=options["cell"], size_m=options["hex_size"], bin_kind=options["emerging"],
                    n_bins=options["bins"], permutations=options["permutations"], seed=options["seed"],
                    fdr=options["fdr"],
                )  # fmt: skip
        except IncidentQueryError as e:
            raise CommandError(str(e)) from e
        if options["format"] == "table":
            text = self.table(result, emerging, every=options["all"])
        elif options["format"] == "json":
            text = dump_json(self.summary(result) | {"cells": cell_records(result, emerging)})
        else:
            text = dump_json(geojson(result, emerging) | {"properties": self.summary(result)})
        if options["out"]:
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"已写入 {options['out']} (written)")
        else:
            self.stdout.write(text)
        if options["map"]:
            self.write_map(result, emerging, options["map"])

    @staticmethod
    def summary(result: hotspots.HotspotResult) -> dict:
        return {
            "filter": result.filter.describe_zh(),
            "cell_kind": result.kind,
            "hex_size_m": result.cells.attrs.get("size_m"),
            "weights": result.weights_description,
            "permutations": result.permutations,
            "fdr": result.fdr,
            "n_cells": len(result.cells),
            "n_incidents": result.n_incidents,
            "class_counts": {hotspots.CLASS_LABELS_ZH[k]: v for k, v in result.class_counts().items()},
        }

    def table(
        self, result: hotspots.HotspotResult, emerging: hotspots.EmergingAnalysis | None, *, every: bool
    ) -> str:
        counts = result.class_counts()
        kind_zh = "网格" if result.kind == "grid" else f"六边形 {result.cells.attrs['size_m']:g} m"
        lines = [
            f"事件热点 (Getis-Ord Gi*) · {result.filter.describe_zh()}",
            f"单元: {kind_zh} {len(result.cells)} 个 · 权重: {result.weights_description} · "
            f"置换 {result.permutations} 次 · FDR: {result.fdr if result.fdr else '无'}",
            f"事件 {result.n_incidents} 起 · " + " · ".join(
                f"{hotspots.CLASS_LABELS_ZH[k]}: {n}" for k, n in counts.items()),
        ]  # fmt: skip
        ranked = result.ranked()
        if not every:
            ranked = ranked[ranked["gi_class"] != 0]
        headers = ["排名", "单元", "名称", "事件数", "Gi* z", "p(置换)", "类别"]
        if emerging is not None:
            headers.append("时空模式")
            pattern = dict(zip(emerging.cells["cell_id"], emerging.cells["category_zh"], strict=True))
        rows = []
        for rank, row in enumerate(ranked.itertuples(index=False), start=1):
            values = [rank, row.cell_id, row.name, row.count, _num(row.gi_z, 2), _num(row.gi_p_sim, 3),
                      f"{row.gi_label}（{row.gi_note}）" if row.gi_note else row.gi_label]
            rows.append([*values, pattern[row.cell_id]] if emerging is not None else values)
        if rows:
            lines += ["", text_table(headers, rows)]
        else:
            lines.append("没有显著的热点或冷点 (no significant hot or cold spots)")
        noted = result.cells[result.cells["gi_note"] != ""]
        if not every and len(noted):
            lines.append("")
            lines += [f"说明: {row.cell_id} {row.name} (事件 {row.count} 起) 记为不显著: {row.gi_note}"
                      for row in noted.itertuples(index=False)]
        if emerging is not None and not every:
            found = emerging.cells[emerging.cells["category"] != "no_pattern"]
            lines.append("")
            lines.append(f"时空热点模式 ({len(emerging.edges) - 1} 期, 每期一{'周' if emerging.bin_kind == 'week' else '月'}): "
                         + (" · ".join(f"{k}: {v}" for k, v in found["category_zh"].value_counts().items()) or "无"))  # fmt: skip
            for row in found.itertuples(index=False):
                lines.append(
                    f"  {row.cell_id}  {row.name}  {row.category_zh} (热点 {row.hot_bins} 期, 冷点 {row.cold_bins} 期)"
                )
        return "\n".join(lines)

    def write_map(
        self, result: hotspots.HotspotResult, emerging: hotspots.EmergingAnalysis | None, path: str
    ) -> None:
        from layers.maps.base import render
        from layers.maps.patrol import patrol_map
        from layers.patrols.counts import incident_points
        from layers.patrols.route import street_lines

        density = hotspots.density_surface(result.filter)
        streets = street_lines(tuple(result.cells.to_crs(4326).total_bounds))  # embedded: the file works offline
        m = patrol_map(hotspots=result, density=density, emerging=emerging, streets=streets,
                       incidents=incident_points(result.filter, limit=1000), title="事件热点")  # fmt: skip
        Path(path).write_text(render(m, offline=True), encoding="utf-8")  # a file: CSP in a <meta>
        self.stdout.write(f"地图已写入 {path} (map written)")


def _num(value: float, digits: int) -> str:
    return "—" if value != value else f"{value:.{digits}f}"  # NaN: no Gi* (see the note)
