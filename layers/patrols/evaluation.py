"""Is the hot spot map any good? Flag cells from incidents before a day, count later incidents.

Two ways of flagging the same share of the study area (``area_share``, e.g. 5 %), judged on
the incidents of the ``test_days`` from the day on:

- Gi*: the cells with the highest positive Gi* z-score over the ``train_days`` before the
  day (what the hot spot map shows, hottest first);
- naive baseline: the cells with the most incidents in the ``baseline_days`` (a month)
  before the day.

Cells are taken in decreasing score while their total area stays within ``area_share`` of
the study area (``evaluation.top_cells_by_area_share``; ties keep the cells' order, i.e.
grid code or hexagon row), so the flagged share can be a little below ``area_share`` and
differs between the two methods when cells differ in size. Both are scored by hit rate,
area share and the Prediction Accuracy Index PAI = hit rate / area share (DOMAIN.md §5).
Areas are the grids' areas, or the part of each hexagon inside the study area.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.patrols.counts import IncidentFilter, IncidentQueryError, count_incidents, local_zone
from layers.patrols.hotspots import gi_for_cells
from layers.patrols.stats.pai import PAIResult, prediction_accuracy, top_cells_by_area_share


@dataclass(frozen=True)
class MethodScore:
    """One way of flagging cells: its Chinese name, the flagged cell ids, and its PAI figures.
    ``n_significant`` is how many flagged cells are Gi* hot spots at 90 % or more (Gi* only)."""

    name_zh: str
    cells: tuple[str, ...]
    score: PAIResult
    n_significant: int | None = None


@dataclass(frozen=True)
class HotspotEvaluation:
    """The two methods judged on the same later incidents."""

    train_until: dt.date
    kind: str
    area_share: float
    train: IncidentFilter
    baseline: IncidentFilter
    test: IncidentFilter
    n_train: int
    n_baseline: int
    gi: MethodScore
    naive: MethodScore


def _flag(scores: pd.Series, areas: pd.Series, area_share: float) -> list[str]:
    positive = scores[scores > 0]
    if positive.empty:
        return []
    return [str(c) for c in top_cells_by_area_share(positive, areas, area_share=area_share)]


def evaluate(
    train_until: dt.date,
    *,
    area_share: float = 0.05,
    train_days: int = 90,
    baseline_days: int = 30,
    test_days: int = 30,
    kind: str = "grid",
    size_m: float | None = None,
    categories: tuple[str, ...] = (),
    district: str | None = None,
    permutations: int | None = None,
    seed: int | None = 0,
    fdr: float | None = None,
) -> HotspotEvaluation:
    """Gi*-flagged cells and the naive last-month cells, scored on the later incidents.

    The day ``train_until`` starts at local midnight: training uses incidents before it,
    the test period starts with it.
    """
    if not 0 < area_share <= 1:
        msg = f"面积比例应大于 0 且不超过 1；收到的是 {area_share}"
        raise IncidentQueryError(msg)
    cut = dt.datetime.combine(train_until, dt.time(), local_zone())
    common = {"categories": tuple(categories), "district": district}
    train = IncidentFilter(since=cut - dt.timedelta(days=train_days), until=cut, **common)
    baseline = IncidentFilter(since=cut - dt.timedelta(days=baseline_days), until=cut, **common)
    test = IncidentFilter(since=cut, until=cut + dt.timedelta(days=test_days), **common)

    train_counts = count_incidents(train, kind=kind, size_m=size_m)
    base_counts = count_incidents(baseline, kind=kind, size_m=size_m)
    test_counts = count_incidents(test, kind=kind, size_m=size_m)
    if test_counts["count"].sum() == 0:
        msg = f"{test.describe_zh()} 期间没有事件，无法检验"
        raise IncidentQueryError(msg)
    if train_counts["count"].sum() == 0:
        msg = f"{train.describe_zh()} 期间没有事件，无法标记热点"
        raise IncidentQueryError(msg)

    ids = train_counts["cell_id"].astype(str).to_numpy()
    areas = pd.Series(train_counts["area_m2"].to_numpy(dtype=float), index=ids)
    later = np.repeat(ids, test_counts["count"].to_numpy())

    gi = gi_for_cells(train_counts, permutations=permutations, seed=seed, fdr=fdr).cells
    z = pd.Series(np.nan_to_num(gi["gi_z"].to_numpy(dtype=float), nan=-np.inf), index=ids)
    gi_cells = _flag(z, areas, area_share)
    significant = int((gi.set_index(ids).loc[gi_cells, "gi_class"] > 0).sum()) if gi_cells else 0
    naive_cells = _flag(pd.Series(base_counts["count"].to_numpy(dtype=float), index=ids), areas, area_share)

    return HotspotEvaluation(
        train_until=train_until, kind=kind, area_share=area_share, train=train, baseline=baseline, test=test,
        n_train=int(train_counts["count"].sum()), n_baseline=int(base_counts["count"].sum()),
        gi=MethodScore("Gi* 热点", tuple(gi_cells), prediction_accuracy(gi_cells, areas, later), significant),
        naive=MethodScore("上月事件最多", tuple(naive_cells), prediction_accuracy(naive_cells, areas, later)),
    )  # fmt: skip


# --- the page's check: last period's map against this period's incidents -----------------------


@dataclass(frozen=True)
class PeriodCheck:
    """How the hot spots of the ``days`` before ``train_until`` caught the incidents of the
    ``days`` from it, next to the naive baseline (last period's count ranking); plain
    numbers, small enough for the cache and the page. Shares are fractions (0.12 = 12 %)."""

    train_until: dt.date
    days: int
    n_test: int
    gi_hit_rate: float
    gi_area_share: float
    gi_pai: float
    gi_cells: int
    gi_significant: int
    naive_hit_rate: float
    naive_area_share: float
    naive_pai: float
    naive_cells: int
    error: str = ""

    @property
    def verdict_zh(self) -> str:
        """One sentence on when the map is worth trusting."""
        if self.error:
            return self.error
        if self.n_test < MIN_TEST_INCIDENTS:
            return (f"本期只有 {self.n_test} 起事件，太少，检验结果不可靠；"
                    "热点图只作参考，以巡逻员对辖区的了解为准。")
        if self.gi_cells == 0 or not np.isfinite(self.gi_pai):
            return "上期没有可标记的热点单元，热点图本期无法检验；请按事件数排名安排巡逻。"
        if self.gi_pai >= self.naive_pai * 1.1 and self.gi_pai > 1:
            return (f"上期的热点图预测本期事件好于“按上期事件数排名”（预测准确指数 {self.gi_pai:.1f} 对"
                    f" {self.naive_pai:.1f}）：这类事件的热点图值得信任。")
        if self.gi_pai > 1 and self.gi_pai * 1.1 >= self.naive_pai:
            return (f"上期的热点图与“按上期事件数排名”不相上下（{self.gi_pai:.1f} 对 {self.naive_pai:.1f}）："
                    "两种排名都可用，热点图的优势在于找出连片多发区域。")
        if self.gi_pai > 1:
            return (f"“按上期事件数排名”预测本期事件比热点图更准（预测准确指数 {self.naive_pai:.1f} 对"
                    f" {self.gi_pai:.1f}）：本期请优先参考事件数排名，热点图只作补充。")
        return (f"上期的热点图没有比随机巡逻更好地预测本期事件（预测准确指数 {self.gi_pai:.1f}）："
                "本期请谨慎使用热点图，优先参考事件数排名和现场情况。")


MIN_TEST_INCIDENTS = 20
"""Below this many incidents in the checked period the comparison says it is not reliable."""


def period_check(days: int, *, today: dt.date, categories: tuple[str, ...] = (), district: str | None = None,
                 kind: str = "grid", area_share: float = 0.05) -> PeriodCheck:
    """:func:`evaluate` with the page's period: the ``days`` whole days before ``today`` are
    this period, the ``days`` before them the last one (Gi* and the naive count ranking both
    from the last period, so only the method differs). Heavy (Gi* permutations): run it in
    the background job ``patrols.period_check``."""
    cut = today - dt.timedelta(days=days)
    empty = {"gi_hit_rate": np.nan, "gi_area_share": np.nan, "gi_pai": np.nan, "gi_cells": 0, "gi_significant": 0,
             "naive_hit_rate": np.nan, "naive_area_share": np.nan, "naive_pai": np.nan, "naive_cells": 0}
    try:
        ev = evaluate(cut, area_share=area_share, train_days=days, baseline_days=days, test_days=days, kind=kind,
                      categories=categories, district=district)
    except IncidentQueryError as e:
        return PeriodCheck(cut, days, 0, error=f"无法检验：{e}", **empty)
    return PeriodCheck(
        cut, days, ev.gi.score.n_incidents,
        gi_hit_rate=ev.gi.score.hit_rate, gi_area_share=ev.gi.score.area_share, gi_pai=ev.gi.score.pai,
        gi_cells=len(ev.gi.cells), gi_significant=int(ev.gi.n_significant or 0),
        naive_hit_rate=ev.naive.score.hit_rate, naive_area_share=ev.naive.score.area_share,
        naive_pai=ev.naive.score.pai, naive_cells=len(ev.naive.cells),
    )  # fmt: skip
