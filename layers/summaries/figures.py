"""The leaders' figures, one home: what is counted per grid, how grids roll up into communities,
streets and districts, and the rates read from the sums. Pure: aggregate rows in (plain dicts
of counts), totals and rates out; the database work is in layers.summaries.queries.

Every figure of a level is a sum of its grids' counts, so a level's numbers add up to its
children's by construction; a rate is always computed from the summed numerator and
denominator (never an average of the children's rates).

Counts of one grid for one period (a month, local time), keys:

    households, residents            now (households carry no history)
    group:<tag>                       households in the group on the period's last day (ledger)
    reported                          incidents reported in the period (the period's cohort)
    cancelled                         … of them 不予立案 (invalid reports, not cases)
    status:<status>, category:<code>  … of them by current status and by category
    closed                            … of them closed now (核查结案 or 回访评价)
    closed_on_time                    … of those closed by their deadline (lifecycle.deadline)
    overdue                           … of them open now and past their deadline (lifecycle.is_overdue)
    revisited, satisfied              … of them with a 回访 result, and with 满意
    visits_due, visits_done           visits vulnerable households were due in the period, and
                                      those done (each household's done visits capped at its due)
    cov:<type code>                   households within the 15-minute walk of a type (now)
    circle_reached, circle_possible   the sum of cov:<type> over all types, and households × types:
                                      their ratio is the 15-minute circle's completeness (now)
    circle_complete                   households within it for every type (now)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Counts = dict[str, int]

LEVELS = ("district", "street", "community", "grid")
LEVEL_NAMES = {"all": "全部辖区", "district": "区", "street": "街道", "community": "社区", "grid": "网格"}
CHILD_LEVEL = {"district": "street", "street": "community", "community": "grid"}

LEDGER_GROUPS = ("低保", "特困", "残疾", "独居老人", "高龄", "流动人口")
"""The priority groups a 民政 office keeps ledgers of (the six of the brief, DOMAIN.md §2)."""

RATES: dict[str, tuple[str, str, str]] = {
    # key: (label, numerator, denominator)
    "close_rate": ("结案率", "closed", "cases"),
    "on_time_rate": ("按期结案率", "closed_on_time", "closed"),
    "satisfaction_rate": ("满意率", "satisfied", "revisited"),
    "visit_rate": ("走访完成率", "visits_done", "visits_due"),
    "circle_rate": ("15分钟生活圈完整率", "circle_reached", "circle_possible"),
    "circle_all_rate": ("全部设施类型可达户占比", "circle_complete", "households"),
}
"""Each rate: its Chinese label, numerator and denominator (keys of the summed counts)."""

HEADLINE: tuple[tuple[str, str], ...] = (
    ("households", "户数"), ("residents", "人口"), ("priority", "重点人群户次"),
    ("reported", "上报事件"), ("cases", "有效案件(上报-不予立案)"), ("closed", "已结案"),
    ("close_rate", "结案率"), ("on_time_rate", "按期结案率"), ("satisfaction_rate", "满意率"),
    ("overdue", "逾期未结"), ("visits_due", "应走访(次)"), ("visits_done", "已走访(次)"), ("visit_rate", "走访完成率"),
    ("circle_rate", "15分钟生活圈完整率"),
)
"""The headline figures of a summary, in the order pages, API and exports show them."""


def add(rows: Iterable[Mapping[str, int]]) -> Counts:
    """The key-wise sum of count rows."""
    total: Counts = {}
    for row in rows:
        for key, value in row.items():
            total[key] = total.get(key, 0) + int(value)
    return total


def rollup(grid_counts: Mapping[int, Mapping[str, int]], parent_of: Mapping[int, str]) -> dict[str, Counts]:
    """Counts per parent unit: the sum of its grids' counts (``parent_of``: grid id → the code
    of the unit at the wanted level). Grids without counts add nothing."""
    grouped: dict[str, list[Mapping[str, int]]] = {}
    for grid_id, parent in parent_of.items():
        grouped.setdefault(parent, []).append(grid_counts.get(grid_id, {}))
    return {parent: add(rows) for parent, rows in grouped.items()}


def derived(counts: Mapping[str, int]) -> Counts:
    """The counts plus the sums defined from them: cases (reported less 不予立案) and priority
    (households counted once per ledger group)."""
    out = dict(counts)
    out["cases"] = counts.get("reported", 0) - counts.get("cancelled", 0)
    out["priority"] = sum(counts.get(f"group:{g}", 0) for g in LEDGER_GROUPS)
    return out


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator as a fraction (0–1); None when there is nothing to divide."""
    return numerator / denominator if denominator > 0 else None


def value(counts: Mapping[str, int], key: str) -> float | int | None:
    """A headline figure from summed counts: a count, or a rate (fraction) for keys of RATES."""
    full = derived(counts)
    if key in RATES:
        _, num, den = RATES[key]
        return rate(full.get(num, 0), full.get(den, 0))
    return full.get(key, 0)


@dataclass(frozen=True)
class Figure:
    """One headline figure now and in the previous period. ``is_rate``: a fraction 0–1."""

    key: str
    label: str
    current: float | int | None
    previous: float | int | None
    is_rate: bool

    @property
    def change(self) -> float | int | None:
        """current − previous (percentage points ×0.01 for rates); None when either is missing."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


SNAPSHOT_KEYS = {"households", "residents", "circle_rate", "circle_all_rate"}
"""Figures stored without history: their previous value is not known (shown as —)."""


def headline(current: Mapping[str, int], previous: Mapping[str, int]) -> list[Figure]:
    """The headline figures of summed counts, each with the previous period's value."""
    return [Figure(key, label, value(current, key), None if key in SNAPSHOT_KEYS else value(previous, key),
                   key in RATES) for key, label in HEADLINE]


def breakdown(counts: Mapping[str, int], prefix: str, keys: Iterable[str]) -> list[tuple[str, int]]:
    """(key, count) for ``prefix:<key>`` of each key, in the order given."""
    return [(k, int(counts.get(f"{prefix}:{k}", 0))) for k in keys]


def percent(fraction: float | None) -> str:
    """A rate for people: '87.5%' (one decimal), '—' when undefined."""
    return "—" if fraction is None else f"{fraction * 100:.1f}%"
