"""Summaries of the 区 → 街道 → 社区 → 网格 levels for a user: which units they may open
(layers.accounts.visibility decides which grids), and each unit's counts summed from its grids.

Administrators and leaders (accounts.view_all_grids) open every level; a grid worker opens the
summaries of their own grids only (a street or community would show others' grids). A unit
out of scope is simply absent (NotInScope → 404), as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from layers.accounts.visibility import visible_grids
from layers.grids.models import Grid
from layers.summaries import figures, queries
from layers.summaries.figures import CHILD_LEVEL, LEVELS, Counts
from layers.summaries.periods import Period

CODE_DIGITS = {"district": 6, "street": 9, "community": 12, "grid": 15}
_PATHS = {
    "grid": ("code", "name"),
    "community": ("community__code", "community__name"),
    "street": ("community__street__code", "community__street__name"),
    "district": ("community__street__district__code", "community__street__district__name"),
}
TREND_MONTHS = 12


class SummaryError(ValueError):
    """A level or code that cannot be read (400); the message is Chinese and names the parameter
    (``param``: 'level' or 'code')."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


class NotInScope(LookupError):
    """No such unit among those the user may open (404)."""


@dataclass(frozen=True)
class Unit:
    """A node of the hierarchy: level ('all' for every district held), code and name, and
    its ancestors as (level, code, name) from the district down."""

    level: str
    code: str
    name: str
    trail: tuple[tuple[str, str, str], ...] = ()

    @property
    def level_name(self) -> str:
        return figures.LEVEL_NAMES[self.level]


@dataclass
class Row:
    unit: Unit
    current: Counts
    previous: Counts = field(default_factory=dict)

    @property
    def figures(self) -> list[figures.Figure]:
        return figures.headline(self.current, self.previous)


@dataclass
class Summary:
    """One unit's counts for a period and the previous one, its children's, and monthly trends."""

    unit: Unit
    period: Period
    child_level: str | None
    total: Row
    children: list[Row]
    trend: dict[str, Counts]
    grid_count: int


def sees_all(user) -> bool:
    return user.is_superuser or user.has_perm("accounts.view_all_grids")


def check_table_scope(user, level: str) -> None:
    """NotInScope unless ``user`` may list every unit of ``level`` (a grid worker: their grids only)."""
    if level != "grid" and not sees_all(user):
        raise NotInScope(level)


def _grid_rows(user) -> list[dict]:
    fields = ["id"] + [f for pair in _PATHS.values() for f in pair]
    return list(visible_grids(user).values(*fields).order_by("code"))


def _unit(row: dict, level: str) -> Unit:
    trail = tuple((lv, row[_PATHS[lv][0]], row[_PATHS[lv][1]]) for lv in LEVELS[:LEVELS.index(level)])
    return Unit(level, row[_PATHS[level][0]], row[_PATHS[level][1]], trail)


def check_level(level: str | None, code: str | None, *, code_required: bool = True) -> tuple[str, str | None]:
    """A level among district/street/community/grid and a code of its digits (else SummaryError)."""
    if level not in LEVELS:
        raise SummaryError(f"参数 level：应为 district / street / community / grid 之一（收到 {str(level)[:20]!r}）", "level")
    if not code:
        if code_required:
            raise SummaryError("参数 code：需要该级单位的代码", "code")
        return level, None
    digits = CODE_DIGITS[level]
    if not (code.isascii() and code.isdigit() and len(code) == digits):
        raise SummaryError(f"参数 code：{figures.LEVEL_NAMES[level]}代码应为 {digits} 位数字（收到 {code[:20]!r}）", "code")
    return level, code


def open_unit(user, level: str, code: str | None) -> tuple[Unit, list[dict], str | None]:
    """The unit, its grids (rows of the user's visible grids) and the level of its children.
    ``level`` 'all': every grid the user holds, children are districts (or the grid worker's
    grids)."""
    rows = _grid_rows(user)
    if level == "all":
        unit = Unit("all", "", "全部辖区" if sees_all(user) else "我的网格")
        return unit, rows, ("district" if sees_all(user) else "grid")
    level, code = check_level(level, code)
    if level != "grid" and not sees_all(user):
        raise NotInScope(code)
    column = _PATHS[level][0]
    mine = [r for r in rows if r[column] == code]
    if not mine:
        raise NotInScope(code)
    return _unit(mine[0], level), mine, CHILD_LEVEL.get(level)


def summarize(user, level: str, code: str | None, period: Period, *, trend: bool = True, now=None) -> Summary:
    """The summary of one unit for ``period``; NotInScope or SummaryError when it cannot be opened."""
    unit, rows, child_level = open_unit(user, level, code)
    ids = [r["id"] for r in rows]
    holding = queries.Holding.of(ids)  # the partitions every query below reads
    current = queries.grid_counts(ids, period, now=now, holding=holding)
    previous = queries.grid_counts(ids, period.previous(), now=now, snapshot=False, holding=holding)
    children: list[Row] = []
    if child_level:
        column = _PATHS[child_level][0]
        parent_of = {r["id"]: r[column] for r in rows}
        cur_by, prev_by = figures.rollup(current, parent_of), figures.rollup(previous, parent_of)
        seen: dict[str, Unit] = {}
        for r in rows:
            seen.setdefault(r[column], _unit(r, child_level))
        children = [Row(u, cur_by.get(c, {}), prev_by.get(c, {})) for c, u in seen.items()]
    total = Row(unit, figures.add(current.values()), figures.add(previous.values()))
    months = queries.monthly_trend(ids, period.back(TREND_MONTHS), holding=holding) if trend else {}
    return Summary(unit, period, child_level, total, children, months, len(ids))


def table(user, level: str, period: Period, *, code: str | None = None) -> list[Row]:
    """Every unit of ``level`` the user may see (or the one with ``code``) with its counts for
    ``period`` and the previous period; ``user`` None: every grid (the command line)."""
    level, code = check_level(level, code, code_required=False)
    if user is None:
        fields = ["id"] + [f for pair in _PATHS.values() for f in pair]
        rows = list(Grid.objects.values(*fields).order_by("code"))
    else:
        check_table_scope(user, level)
        rows = _grid_rows(user)
    column = _PATHS[level][0]
    if code:
        rows = [r for r in rows if r[column] == code]
        if not rows:
            raise NotInScope(code)
    ids = [r["id"] for r in rows]
    parent_of = {r["id"]: r[column] for r in rows}
    holding = queries.Holding.of(ids)
    cur_by = figures.rollup(queries.grid_counts(ids, period, holding=holding), parent_of)
    prev_by = figures.rollup(queries.grid_counts(ids, period.previous(), snapshot=False, holding=holding), parent_of)
    units: dict[str, Unit] = {}
    for r in rows:
        units.setdefault(r[column], _unit(r, level))
    return [Row(u, cur_by.get(c, {}), prev_by.get(c, {})) for c, u in units.items()]
