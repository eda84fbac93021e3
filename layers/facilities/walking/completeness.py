"""Life-circle completeness on the database: reads the stored walking times
(facilities_householdaccess, walking/households.py), computes with
layers.facilities.analysis.completeness, keeps the result as CompletenessSnapshot rows.

The computation reads every household's time to every type (households × types rows): it
runs in the background job facilities.access_refresh (after the walking times) or
facilities.completeness, never in a web request. Pages read the snapshot and, when it is
older than the data (``is_current``), ask for a new one with :func:`request_snapshot`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from layers.facilities.analysis.completeness import life_circle_completeness, missing_types
from layers.facilities.models import CompletenessSnapshot

LEVELS = ("community", "grid")
MISSING_SHARE = 0.5
"""A type is listed as missing in a unit when fewer than this share of its households reach it."""


def access_state() -> str:
    """What the completeness depends on: walking times, households (and their grids), types.

    It counts every walking time and household, so it is kept under the coverage data version
    (a sequence every write to those tables advances): pages asking whether the snapshot is
    current read one sequence instead of scanning households × types rows each time."""
    from django.core.cache import cache

    from layers.facilities.walking.reports import coverage_data_version

    key = f"gridmap:access_state:v{coverage_data_version()}"  # read first: a write meanwhile draws a new one
    state = cache.get(key)
    if state is None:
        state = _count_access_state()
        cache.set(key, state, timeout=24 * 3600)
    return state


def _count_access_state() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), max(computed_at) FROM facilities_householdaccess")
        access = cur.fetchone()
        cur.execute("SELECT count(*), max(id), COALESCE(sum(grid_id), 0) FROM people_household")
        households = cur.fetchone()
        cur.execute("SELECT string_agg(id || ':' || level_minutes || ':' || sort_order, ',' ORDER BY id)"
                    " FROM facilities_facilitytype")
        types = cur.fetchone()[0] or ""
    return f"{access[0]}|{access[1]}|{households[0]}|{households[1]}|{households[2]}|{types}"[:200]


def compute_snapshots() -> list[CompletenessSnapshot]:
    """Recompute completeness per community and per grid and store it (replacing the last)."""
    state = access_state()
    with connection.cursor() as cur:
        cur.execute("SELECT id, code, name, level_minutes FROM facilities_facilitytype ORDER BY sort_order, id")
        types = cur.fetchall()
        cur.execute("""
            SELECT h.id, COALESCE(g.code, ''), COALESCE(g.name, ''), COALESCE(c.code, ''), COALESCE(c.name, ''),
                   COALESCE(d.code, '')
              FROM people_household h
              LEFT JOIN grids_grid g ON g.id = h.grid_id
              LEFT JOIN grids_community c ON c.id = g.community_id
              LEFT JOIN grids_street s ON s.id = c.street_id
              LEFT JOIN grids_district d ON d.id = s.district_id
             ORDER BY h.id""")
        households = cur.fetchall()
        cur.execute("SELECT household_id, facility_type_id, minutes FROM facilities_householdaccess"
                    " WHERE minutes IS NOT NULL")
        access = np.array(cur.fetchall(), dtype=float).reshape(-1, 3)
    ids = np.array([h[0] for h in households], dtype=np.int64)
    type_column = {t[0]: k for k, t in enumerate(types)}
    minutes = np.full((len(ids), len(types)), np.nan)
    if len(access) and len(ids):
        rows = np.searchsorted(ids, access[:, 0].astype(np.int64))
        ok = (rows < len(ids)) & (ids[np.minimum(rows, len(ids) - 1)] == access[:, 0])
        cols = np.array([type_column.get(int(t), -1) for t in access[:, 1]], dtype=np.int64)
        ok &= cols >= 0
        minutes[rows[ok], cols[ok]] = access[ok, 2]
    type_levels = np.array([t[3] for t in types], dtype=float)
    type_info = [{"code": t[1], "name": t[2], "level_minutes": int(t[3])} for t in types]
    now = timezone.now()
    snapshots = []
    for level, (code_at, name_at) in (("community", (3, 4)), ("grid", (1, 2))):
        keys = [(h[code_at], h[name_at], h[5]) for h in households]
        unique = sorted(set(keys), key=lambda k: (k[0] == "", k[0]))
        index = {k: i for i, k in enumerate(unique)}
        group = np.array([index[k] for k in keys], dtype=np.int64)
        result = life_circle_completeness(minutes, type_levels, group, len(unique)) if len(types) else None
        rows = []
        for i, (code, name, district) in enumerate(unique):
            rows.append({
                "code": code, "name": name or "未关联网格", "district": district,
                "households": int(result.households[i]) if result else int((group == i).sum()),
                "complete": {str(int(m)): int(result.complete[i, k]) for k, m in enumerate(result.levels)}
                if result else {},
                "reached": [int(v) for v in result.reached[i]] if result else [],
            })
        snapshots.append(CompletenessSnapshot(level=level, state=state, computed_at=now, types=type_info, rows=rows))
    with transaction.atomic():
        CompletenessSnapshot.objects.filter(level__in=LEVELS).delete()
        CompletenessSnapshot.objects.bulk_create(snapshots)
    return snapshots


def is_current(snapshot: CompletenessSnapshot | None) -> bool:
    return snapshot is not None and snapshot.state == access_state()


def request_snapshot() -> bool:
    """Ask the worker for new snapshots when they are missing or older than the data; True
    when one is being computed (the page says so and shows the last one meanwhile)."""
    from django.conf import settings

    if is_current(CompletenessSnapshot.objects.filter(level="community").first()):
        return False
    if settings.GRIDMAP_ACCESS_REFRESH == "inline":
        compute_snapshots()
        return False
    from layers.jobs.services import submit

    submit("facilities.completeness", label="计算生活圈完整度")
    return True


@dataclass(frozen=True)
class CompletenessLine:
    """One unit's completeness for people: shares per level (None: no households), and the
    types fewer than half of its households reach (name, level minutes, share reaching)."""

    code: str
    name: str
    district: str
    households: int
    complete: dict[int, int]
    missing: list[tuple[str, int, float]]
    total: bool = False

    def share(self, minutes: int) -> float | None:
        return self.complete.get(minutes, 0) / self.households if self.households else None

    @property
    def cells(self) -> list[tuple[int, int, int]]:
        """(level minutes, complete households, households) per level, ascending."""
        return [(m, self.complete[m], self.households) for m in sorted(self.complete)]

    @property
    def missing_text(self) -> str:
        """The missing types for people: "小学（10分钟，可达 0%）、…", or "—"."""
        return "、".join(f"{name}（{m}分钟，可达 {share:.0%}）" for name, m, share in self.missing) or "—"


def completeness_lines(level: str = "community", *, district: str | None = None
                       ) -> tuple[list[CompletenessLine], list[int], CompletenessSnapshot | None]:
    """The snapshot's rows of one district (all when None) with a total line last; the level
    minutes; the snapshot (None: never computed)."""
    snapshot = CompletenessSnapshot.objects.filter(level=level).first()
    if snapshot is None:
        return [], [], None
    levels = sorted({int(t["level_minutes"]) for t in snapshot.types})
    lines = []
    reached_total = np.zeros(len(snapshot.types), dtype=np.int64)
    complete_total: dict[int, int] = dict.fromkeys(levels, 0)
    households_total = 0
    for row in snapshot.rows:
        if district and row["district"] != district:
            continue
        lines.append(_line(row["code"], row["name"], row["district"], row["households"], row["complete"],
                           row["reached"], snapshot.types))
        households_total += row["households"]
        reached_total += np.asarray(row["reached"] or [0] * len(snapshot.types), dtype=np.int64)
        for m in levels:
            complete_total[m] += int(row["complete"].get(str(m), 0))
    if lines:
        lines.append(_line("*", "合计", district or "", households_total, {str(m): v for m, v in complete_total.items()},
                           reached_total.tolist(), snapshot.types, total=True))
    return lines, levels, snapshot


def _line(code: str, name: str, district: str, households: int, complete: dict[str, int], reached: list[int],
          types: list[dict], *, total: bool = False) -> CompletenessLine:
    missing = [(types[t]["name"], int(types[t]["level_minutes"]), reached[t] / households)
               for t in missing_types(np.asarray(reached), households, min_share=MISSING_SHARE)] if reached else []
    return CompletenessLine(code, name, district, households, {int(m): int(v) for m, v in complete.items()},
                            missing, total)
