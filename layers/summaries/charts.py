"""Small monthly trend charts, drawn by the server as inline SVG (no script, no CDN): this module
lays out the bars (pure, numbers in pixels), templates/pages/summary.html draws them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from layers.summaries import figures
from layers.summaries.figures import Counts

WIDTH_PX, HEIGHT_PX, TOP_PX, BOTTOM_PX = 260, 90, 14, 16


@dataclass(frozen=True)
class Bar:
    x_px: float
    y_px: float
    width_px: float
    height_px: float
    month: str
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    latest: str
    width_px: int = WIDTH_PX
    height_px: int = HEIGHT_PX

    @property
    def baseline_px(self) -> int:
        return self.height_px - BOTTOM_PX


TREND_SERIES: tuple[tuple[str, str, str | None], ...] = (
    ("上报事件", "reported", None),
    ("结案率", "closed", "cases"),
    ("满意率", "satisfied", "revisited"),
    ("重点人群户次(月末)", "priority_members", None),
)
"""Each chart: title, numerator key, denominator key (None: a count)."""


def series(months: Mapping[str, Counts], numerator: str, denominator: str | None) -> list[tuple[str, float | None]]:
    """(month, value) in month order: a count, or a rate 0–1 (None when undefined)."""
    out = []
    for month in sorted(months):
        counts = figures.derived(months[month])
        if denominator is None:
            out.append((month, float(counts.get(numerator, 0))))
        else:
            out.append((month, figures.rate(counts.get(numerator, 0), counts.get(denominator, 0))))
    return out


def bar_chart(title: str, points: Sequence[tuple[str, float | None]], *, is_rate: bool) -> Chart:
    """Bars scaled to the largest value (1.0 for rates); a missing value draws no bar."""
    top = 1.0 if is_rate else max([v for _, v in points if v is not None] + [1.0])
    usable = HEIGHT_PX - TOP_PX - BOTTOM_PX
    step = WIDTH_PX / max(len(points), 1)
    bars = []
    for i, (month, v) in enumerate(points):
        text = figures.percent(v) if is_rate else ("—" if v is None else f"{v:.0f}")
        h = 0.0 if v is None else usable * (v / top)
        bars.append(Bar(round(i * step + step * 0.15, 1), round(TOP_PX + usable - h, 1), round(step * 0.7, 1),
                        round(h, 1), month, f"{month}：{text}"))
    latest = bars[-1].text.split("：", 1)[1] if bars else "—"
    return Chart(title, bars, latest)


def trend_charts(months: Mapping[str, Counts]) -> list[Chart]:
    return [bar_chart(title, series(months, num, den), is_rate=den is not None) for title, num, den in TREND_SERIES]
