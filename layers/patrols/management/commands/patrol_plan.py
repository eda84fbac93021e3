"""python manage.py patrol_plan [--top N] [--hours 20-02] [--start LAT,LON] [--out FILE.html]:
a walking patrol route through the hottest cells for the chosen hours."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from layers.patrols import hotspots, route
from layers.patrols.counts import IncidentQueryError, incident_points
from layers.patrols.management.commands._hotspot_options import (
    add_filter_arguments,
    add_gi_arguments,
    dump_json,
    filter_from_options,
    parse_lat_lon,
    text_table,
)


class Command(BaseCommand):
    help = (
        "巡逻路线: 所选时段内最热的 N 个单元 (Gi* 热点优先), 沿步行路网 (pgRouting) 排出步行顺序, "
        "给出全长和步行时间, 可输出可打印的地图. The N hottest cells for the chosen hours, ordered "
        "along the street network (pgr_dijkstraCostMatrix + nearest neighbour + 2-opt, legs by pgr_dijkstra)."
    )

    def add_arguments(self, parser) -> None:
        add_filter_arguments(parser)
        add_gi_arguments(parser)
        parser.add_argument("--top", type=int, default=settings.GRIDMAP_PATROL_STOPS, help="巡逻站点数 (stops)")
        parser.add_argument("--start", type=parse_lat_lon, metavar="LAT,LON", help="起点 纬度,经度 (start point)")
        parser.add_argument("--return", dest="return_to_start", action="store_true", help="回到起点 (closed round)")
        parser.add_argument("--out", metavar="FILE.html", help="可打印的巡逻地图 (printable map)")
        parser.add_argument("--rank", choices=["gi", "count"], default="gi",
                            help="站点排序: gi 按 Gi* 热点 (默认; 无显著热点时按事件数) | count 按事件数")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument("--recent-days", type=int, default=7, help="地图上显示最近几天的事件 (default 7)")

    def handle(self, *args, **options) -> None:
        flt = filter_from_options(options)
        try:
            result = hotspots.hotspots(
                flt, kind=options["cell"], size_m=options["hex_size"], permutations=options["permutations"],
                seed=options["seed"], fdr=options["fdr"],
            )  # fmt: skip
            plan = route.plan_patrol(result, top_n=options["top"], start_lon_lat=options["start"],
                                            return_to_start=options["return_to_start"], rank=options["rank"])  # fmt: skip
        except (IncidentQueryError, route.PatrolPlanError) as e:
            raise CommandError(str(e)) from e
        if options["format"] == "json":
            self.stdout.write(dump_json(self.as_dict(result, plan)))
        else:
            self.stdout.write(self.table(result, plan))
        for warning in plan.warnings:
            self.stderr.write(self.style.WARNING(f"注意: {warning}"))
        if options["out"]:
            self.write_map(result, plan, options)

    @staticmethod
    def as_dict(result: hotspots.HotspotResult, plan: route.PatrolPlan) -> dict:
        return {
            "filter": result.filter.describe_zh(),
            "cell_kind": result.kind,
            "length_m": round(plan.length_m, 1),
            "walk_minutes": round(plan.walk_minutes, 1),
            "speed_m_per_min": plan.speed_m_per_min,
            "closed": plan.closed,
            "rank": plan.rank,
            "rank_zh": plan.rank_label,
            "start": None if plan.start is None else {"lon": plan.start.lon, "lat": plan.start.lat,
                                                       "node_id": plan.start.node_id, "snap_m": round(plan.start.snap_m, 1)},
            "stops": [{"number": s.number, "cell_id": s.cell_id, "name": s.name, "count": s.count,
                       "gi_class": s.gi_class, "gi_z": round(s.gi_z, 3), "lon": s.lon, "lat": s.lat,
                       "node_id": s.node_id, "snap_m": round(s.snap_m, 1)} for s in plan.stops],
            "legs": [{"from": leg.from_number, "to": leg.to_number, "length_m": round(leg.length_m, 1),
                      "edges": list(leg.edge_ids)} for leg in plan.legs],
            "warnings": list(plan.warnings),
        }  # fmt: skip

    @staticmethod
    def table(result: hotspots.HotspotResult, plan: route.PatrolPlan) -> str:
        leg_to = {leg.to_number: leg.length_m for leg in plan.legs}
        rows = [[s.number, s.cell_id, s.name, s.count, hotspots.CLASS_LABELS_ZH[s.gi_class], f"{s.gi_z:.2f}",
                 f"{s.snap_m:.0f}", f"{leg_to[s.number]:.0f}" if s.number in leg_to else "—"]
                for s in plan.stops]  # fmt: skip
        lines = [f"巡逻路线 · {result.filter.describe_zh()} · {'网格' if result.kind == 'grid' else '六边形'}"
                 f" · {plan.rank_label}"]
        if plan.start is not None:
            lines.append(f"起点: {plan.start.lat:.6f},{plan.start.lon:.6f} (离路网 {plan.start.snap_m:.0f} m)")
        lines += [
            "",
            text_table(["站", "单元", "名称", "事件数", "Gi* 类别", "Gi* z", "离路网(m)", "上一站到此(m)"], rows),
            "",
        ]
        back = f" (含返回起点 {leg_to.get(0, 0.0):.0f} m)" if plan.closed and plan.start is not None else ""
        lines.append(f"路线全长 {plan.length_m:,.0f} m{back}，步行约 {plan.walk_minutes:.0f} 分钟 "
                     f"(按 {plan.speed_m_per_min:.1f} m/分钟; route length, walking time)")  # fmt: skip
        return "\n".join(lines)

    def write_map(self, result: hotspots.HotspotResult, plan: route.PatrolPlan, options: dict) -> None:
        from layers.maps.base import render
        from layers.maps.patrol import patrol_map

        until = result.filter.until or timezone.now()
        recent = result.filter.replace(since=until - dt.timedelta(days=options["recent_days"]), until=until)
        bounds = result.cells.to_crs(4326).total_bounds
        m = patrol_map(
            hotspots=result, density=hotspots.density_surface(result.filter), plan=plan,
            incidents=incident_points(recent, limit=2000), streets=route.street_lines(tuple(bounds)),
            title=f"巡逻路线 ({len(plan.stops)} 站)",
        )  # fmt: skip
        Path(options["out"]).write_text(render(m, offline=True), encoding="utf-8")  # a file: CSP in a <meta>
        self.stdout.write(f"地图已写入 {options['out']} (map written)")
