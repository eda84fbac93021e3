"""Hit rate, area share and PAI of the Gi* hot spot map and of the naive last-month baseline."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from layers.patrols.counts import IncidentQueryError
from layers.patrols.evaluation import evaluate
from tests.patrols._hotspot_data import Lattice, add_incidents, lattice, local

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 20)
BLOCK = [(3, 3), (4, 3), (3, 4), (4, 4)]
RECENT = (6, 1)  # busiest cell of the last month, far from the block
ELSEWHERE = (0, 7)


@pytest.fixture
def history() -> Lattice:
    """The block was busy two months before DAY and stays busy after it; RECENT was busy only
    in the month before DAY."""
    lat = lattice(side=8)
    add_incidents([(c, r) for c in range(8) for r in range(8)], local(2026, 2, 1), n=1)  # train only
    add_incidents(BLOCK, local(2026, 1, 10, 22), n=10)  # train, not baseline
    add_incidents(RECENT, local(2026, 3, 1, 21), n=15)  # train and baseline
    add_incidents(BLOCK, local(2026, 3, 25, 22), n=8)  # test: 32
    add_incidents(RECENT, local(2026, 3, 26, 21), n=4)  # test: 4
    add_incidents(ELSEWHERE, local(2026, 4, 2, 10), n=4)  # test: 4
    add_incidents(BLOCK, local(2026, 4, 25, 22), n=50)  # after the test period: ignored
    return lat


def test_gi_star_and_naive_baseline_scored_by_hand(history):
    ev = evaluate(DAY, area_share=0.05, seed=0)
    assert ev.train.since == local(2025, 12, 20, 0) and ev.train.until == local(2026, 3, 20, 0)
    assert ev.baseline.since == local(2026, 2, 18, 0) and ev.test.until == local(2026, 4, 19, 0)
    assert ev.n_train == 64 + 40 + 15 and ev.n_baseline == 15
    # Gi*: the four block cells score highest; three of them fit in 5 % of 64 equal cells.
    assert len(ev.gi.cells) == 3 and set(ev.gi.cells) <= {history.code(*c) for c in BLOCK}
    assert ev.gi.n_significant == 3
    gi = ev.gi.score
    assert (gi.n_hits, gi.n_incidents) == (24, 40) and gi.hit_rate == pytest.approx(0.6)
    assert gi.area_share == pytest.approx(3 / 64, rel=1e-3) and gi.pai == pytest.approx(0.6 / (3 / 64), rel=1e-3)
    # Naive: only RECENT had incidents last month.
    assert ev.naive.cells == (history.code(*RECENT),)
    naive = ev.naive.score
    assert (naive.n_hits, naive.n_incidents) == (4, 40)
    assert naive.pai == pytest.approx(0.1 / (1 / 64), rel=1e-3)
    assert gi.pai > naive.pai


def test_hexagon_cells_and_a_wider_area_share(history):
    ev = evaluate(DAY, area_share=0.2, kind="hex", size_m=100, seed=0)
    for method in (ev.gi, ev.naive):
        s = method.score
        assert 0 < s.area_share <= 0.2 and s.n_incidents == 40
        assert s.pai == pytest.approx(s.hit_rate / s.area_share)
    assert ev.gi.score.n_hits >= 24  # the block's hexagons are flagged


def test_evaluate_hotspots_command_prints_both_methods(history):
    out = StringIO()
    call_command("evaluate_hotspots", "--train-until", "2026-03-20", "--area-share", "0.05", stdout=out)
    text = out.getvalue()
    assert "热点图检验 (PAI) · 单元: 网格 · 面积上限 5%" in text
    assert "检验: 2026-03-20 00:00 至 2026-04-19 00:00 (40 起)" in text
    gi_row = next(line for line in text.splitlines() if line.startswith("Gi* 热点"))
    naive_row = next(line for line in text.splitlines() if line.startswith("上月事件最多"))
    assert "24/40" in gi_row and "60.0%" in gi_row and "12.80" in gi_row and "(显著 3)" in gi_row
    assert "4/40" in naive_row and "10.0%" in naive_row and "6.40" in naive_row

    out = StringIO()
    call_command("evaluate_hotspots", "--train-until", "2026-03-20", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["gi"]["hits"] == 24 and data["naive"]["hits"] == 4 and data["n_train"] == 119
    assert data["gi"]["pai"] == pytest.approx(12.8, abs=0.01)


def test_no_later_incidents_is_an_error(history):
    with pytest.raises(IncidentQueryError, match="期间没有事件"):
        evaluate(dt.date(2026, 6, 1))
    with pytest.raises(CommandError, match="期间没有事件"):
        call_command("evaluate_hotspots", "--train-until", "2026-06-01", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("evaluate_hotspots", "--train-until", "2026-03-20", "--area-share", "0", stdout=StringIO())


def test_the_verdict_follows_the_figures():
    import datetime as dt

    from layers.patrols.evaluation import PeriodCheck

    def check(gi: float, naive: float, n: int = 100) -> str:
        return PeriodCheck(dt.date(2026, 1, 1), 30, n, 0.5, 0.05, gi, 3, 2, 0.4, 0.05, naive, 3).verdict_zh

    assert "值得信任" in check(12.0, 8.0)
    assert "不相上下" in check(8.0, 8.5)
    assert "比热点图更准" in check(4.0, 9.0)
    assert "没有比随机巡逻更好" in check(0.8, 3.0)
    assert "太少" in check(12.0, 8.0, n=5)
