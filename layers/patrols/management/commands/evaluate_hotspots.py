"""python manage.py evaluate_hotspots --train-until DATE [--area-share 0.05]: how well the hottest
cells before DATE catch the incidents after it (hit rate, area share, PAI), Gi* next to the naive
"most incidents last month" baseline."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from layers.patrols.counts import IncidentQueryError
from layers.patrols.evaluation import HotspotEvaluation, MethodScore, evaluate
from layers.patrols.management.commands._hotspot_options import (
    add_cell_arguments,
    add_gi_arguments,
    dump_json,
    parse_date,
    text_table,
)


class Command(BaseCommand):
    help = (
        "热点图检验: 用 DATE 之前的事件标记最热的单元 (Gi* z 值最高, 面积不超过 --area-share), "
        "统计之后 --test-days 天的事件落入其中的比例 (命中率)、面积占比和预测精度指数 PAI = 命中率/面积占比, "
        "并与朴素基线 (上个月事件最多的单元) 对比. Prediction Accuracy Index of the hot spot map vs the naive baseline."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--train-until", type=parse_date, required=True, metavar="DATE",
                            help="训练截止日期 (不含当天): incidents before it flag the cells, later ones test them")  # fmt: skip
        parser.add_argument("--area-share", type=float, default=0.05, help="标记面积占比上限 (default 0.05)")
        parser.add_argument("--train-days", type=int, default=90, help="Gi* 使用 DATE 前多少天 (default 90)")
        parser.add_argument("--baseline-days", type=int, default=30, help="基线的“上个月”天数 (default 30)")
        parser.add_argument("--test-days", type=int, default=30, help="检验期天数 (default 30)")
        parser.add_argument("--category", action="append", default=[], metavar="CODE", help="事件类别代码, 可重复")
        parser.add_argument("--district", help="区划代码 (6-digit district code)")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        add_cell_arguments(parser)
        add_gi_arguments(parser)

    def handle(self, *args, **options) -> None:
        try:
            ev = evaluate(
                options["train_until"], area_share=options["area_share"], train_days=options["train_days"],
                baseline_days=options["baseline_days"], test_days=options["test_days"], kind=options["cell"],
                size_m=options["hex_size"], categories=tuple(options["category"]), district=options["district"],
                permutations=options["permutations"], seed=options["seed"], fdr=options["fdr"],
            )  # fmt: skip
        except IncidentQueryError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(dump_json(self.as_dict(ev)) if options["format"] == "json" else self.table(ev))

    @staticmethod
    def _method(m: MethodScore) -> dict:
        s = m.score
        return {"method": m.name_zh, "cells": list(m.cells), "n_cells": len(m.cells), "n_significant": m.n_significant,
                "hits": s.n_hits, "incidents": s.n_incidents, "hit_rate": round(s.hit_rate, 4),
                "area_share": round(s.area_share, 4), "pai": None if s.pai != s.pai else round(s.pai, 3)}  # fmt: skip

    def as_dict(self, ev: HotspotEvaluation) -> dict:
        return {
            "train_until": ev.train_until.isoformat(), "cell_kind": ev.kind, "area_share_limit": ev.area_share,
            "train": ev.train.describe_zh(), "n_train": ev.n_train, "baseline": ev.baseline.describe_zh(),
            "n_baseline": ev.n_baseline, "test": ev.test.describe_zh(),
            "gi": self._method(ev.gi), "naive": self._method(ev.naive),
        }  # fmt: skip

    def table(self, ev: HotspotEvaluation) -> str:
        rows = []
        for m in (ev.gi, ev.naive):
            s = m.score
            sig = f" (显著 {m.n_significant})" if m.n_significant is not None else ""
            pai = "—" if s.pai != s.pai else f"{s.pai:.2f}"
            rows.append([m.name_zh, f"{len(m.cells)}{sig}", f"{s.area_share:.1%}", f"{s.n_hits}/{s.n_incidents}",
                         f"{s.hit_rate:.1%}", pai])  # fmt: skip
        kind = "网格" if ev.kind == "grid" else "六边形"
        return "\n".join([
            f"热点图检验 (PAI) · 单元: {kind} · 面积上限 {ev.area_share:.0%}",
            f"Gi* 训练: {ev.train.describe_zh()} ({ev.n_train} 起)",
            f"基线 (上月): {ev.baseline.describe_zh()} ({ev.n_baseline} 起)",
            f"检验: {ev.test.describe_zh()} ({ev.gi.score.n_incidents} 起)",
            "",
            text_table(["方法", "标记单元", "面积占比", "命中事件", "命中率", "PAI"], rows),
            "",
            "PAI = 命中率 / 面积占比 (Chainey et al. 2008); 1 = 与随机相当, 越高越好.",
        ])  # fmt: skip
