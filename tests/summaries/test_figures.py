"""The pure side: roll-ups add up, rates come from summed numerators and denominators."""

from __future__ import annotations

from layers.summaries import charts, figures
from layers.summaries.periods import Period


def test_rollup_sums_each_key_of_the_children():
    grids = {1: {"reported": 3, "closed": 2}, 2: {"reported": 1}, 3: {"closed": 5, "cov:school": 4}}
    parents = figures.rollup(grids, {1: "A", 2: "A", 3: "B", 4: "B"})  # grid 4 has no counts
    assert parents == {"A": {"reported": 4, "closed": 2}, "B": {"closed": 5, "cov:school": 4}}
    assert figures.add(parents.values()) == figures.add(grids.values())


def test_rates_are_ratios_of_sums_not_averages_of_rates():
    a = {"reported": 10, "closed": 9}
    b = {"reported": 90, "closed": 45, "cancelled": 0}
    total = figures.add([a, b])
    assert figures.value(total, "close_rate") == 54 / 100  # the mean of 90 % and 50 % would be 70 %
    assert figures.value({}, "close_rate") is None
    assert figures.value({"reported": 5, "cancelled": 1}, "cases") == 4


def test_headline_compares_with_the_previous_period_except_snapshots():
    now = {"households": 10, "reported": 4, "closed": 2, "revisited": 2, "satisfied": 1}
    was = {"households": 99, "reported": 2, "closed": 2, "revisited": 1, "satisfied": 1}
    by_key = {f.key: f for f in figures.headline(now, was)}
    assert by_key["reported"].change == 2
    assert by_key["close_rate"].current == 0.5 and by_key["close_rate"].previous == 1.0
    assert by_key["satisfaction_rate"].change == -0.5
    assert by_key["households"].previous is None and by_key["households"].change is None
    assert figures.percent(0.875) == "87.5%" and figures.percent(None) == "—"


def test_trend_bars_scale_to_the_largest_count_and_rates_to_one():
    months = {"2026-09": {"reported": 2, "closed": 1}, "2026-10": {"reported": 4, "closed": 4}, "2026-11": {}}
    reported = charts.bar_chart("上报", charts.series(months, "reported", None), is_rate=False)
    assert [b.height_px for b in reported.bars][1] == max(b.height_px for b in reported.bars)
    assert reported.bars[1].height_px == 2 * reported.bars[0].height_px
    rate = charts.bar_chart("结案率", charts.series(months, "closed", "cases"), is_rate=True)
    assert rate.bars[2].height_px == 0 and rate.bars[2].text.endswith("—")
    assert rate.latest == "—" and reported.latest == "0"


def test_periods_are_local_calendar_months():
    p = Period(2026, 1)
    assert p.previous() == Period(2025, 12) and p.previous().next_first_day == p.first_day
    assert [x.key for x in Period(2026, 2).back(3)] == ["2025-12", "2026-01", "2026-02"]
    assert p.start.utcoffset().total_seconds() == 8 * 3600
