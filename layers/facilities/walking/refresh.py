"""Recompute what the triggers queued (facilities_accessqueue), or whole scopes on request.

Why a queue filled by triggers rather than Django signals alone: the rule then holds on
every write path (admin, importers using bulk_create or COPY, plain SQL, the demo
generator), the same way grid linking does (layers/grids/sql/0001_grid_for_point.sql); and a bulk load of thousands of rows
queues keys that one refresh merges and handles in a batch (one multi-source Dijkstra per
facility type), instead of one recomputation per row. Django
saves schedule :func:`refresh_pending` after commit (layers.signals), and readers (the
report, the planner map) call it first, so nothing stale is ever shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from django.conf import settings
from django.db import connection, transaction
from tqdm import tqdm

from layers.facilities.walking.circles import CircleParams, facility_ids_for, rebuild_circles
from layers.facilities.walking.households import all_type_ids, households_without_access, refresh_access


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh recomputed: facilities and circle rows, types, households and the
    walking-time rows that changed."""

    facilities: int = 0
    circle_rows: int = 0
    type_ids: frozenset[int] = frozenset()
    households: int = 0
    access_rows_changed: int = 0

    def summary(self) -> str:
        return (f"{self.facilities} 个设施的 {self.circle_rows} 个服务圈; {len(self.type_ids)} 类设施 × "
                f"{self.households} 户的步行时间, {self.access_rows_changed} 行有变化")

    def __add__(self, other: RefreshResult) -> RefreshResult:
        return RefreshResult(self.facilities + other.facilities, self.circle_rows + other.circle_rows,
                             self.type_ids | other.type_ids, max(self.households, other.households),
                             self.access_rows_changed + other.access_rows_changed)


# pg_advisory_xact_lock key held by a refresh until it commits. One refresh at a time: a
# second one waits, then takes what was queued meanwhile and reads it committed (two
# refreshes side by side could store a result computed on the older snapshot last).
REFRESH_LOCK = 7_372_015


def _take_queue() -> list[tuple[str, int]]:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        cur.execute("DELETE FROM facilities_accessqueue RETURNING kind, key")
        return cur.fetchall()


def pending_count() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM facilities_accessqueue")
        return cur.fetchone()[0]


def refresh_pending(*, progress: TextIO | None = None) -> RefreshResult:
    """Take everything queued and recompute exactly that, in one transaction. ``progress``:
    a stream for progress bars (None: quiet)."""
    with transaction.atomic():
        items = _take_queue()
        if not items:
            return RefreshResult()
        kinds: dict[str, set[int]] = {}
        for kind, key in items:
            kinds.setdefault(kind, set()).add(key)
        facilities = _existing_facilities(kinds.get("facility", set()))
        full_types = set(all_type_ids()) if "network" in kinds else set(kinds.get("type", set()))
        households = set(kinds.get("household", set()))
        if "households" in kinds:
            households |= set(households_without_access())
        return _recompute(facilities, full_types, households, progress=progress)


def rebuild(*, type_code: str | None = None, minutes: Iterable[int] | None = None,
            progress: TextIO | None = None, district: str | None = None) -> RefreshResult:
    """Recompute every circle (of one type, or all) and all walking times of that scope,
    then whatever else is queued. ``minutes`` overrides settings.GRIDMAP_CIRCLE_MINUTES.

    ``district`` (a 6-digit code) keeps it to that district's facilities and households
    (layers.jobs.districts, one task per district): rebuilds of different districts run side
    by side, and what else is queued is left to the next refresh."""
    if district is not None:
        return _rebuild_district(district, type_code=type_code, minutes=minutes, progress=progress)
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        facilities = facility_ids_for(type_code)
        types = set(_type_ids(type_code))
        params = CircleParams.from_settings(minutes)
        result = _recompute(set(facilities), types, set(), progress=progress, params=params)
        with connection.cursor() as cur:
            if minutes is None:  # circles of minutes no longer in the settings go
                cur.execute("DELETE FROM facilities_facilitycircle WHERE facility_id = ANY(%s) AND minutes <> ALL(%s)",
                            [facilities, list(params.minutes)])
            cur.execute("DELETE FROM facilities_accessqueue WHERE (kind = 'facility' AND key = ANY(%s))"
                        " OR (kind = 'type' AND key = ANY(%s))", [facilities, list(types)])
        rest = refresh_pending(progress=progress)
    return result + rest


def _rebuild_district(district: str, *, type_code: str | None, minutes: Iterable[int] | None,
                      progress: TextIO | None) -> RefreshResult:
    with transaction.atomic():
        with connection.cursor() as cur:
            # Shared with the other districts' rebuilds, exclusive against a whole refresh (which
            # takes REFRESH_LOCK alone); one rebuild of the same district at a time.
            cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", [REFRESH_LOCK])
            cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [REFRESH_LOCK, district])
        facilities = facility_ids_for(type_code, district)
        types = set(_type_ids(type_code))
        params = CircleParams.from_settings(minutes)
        result = _recompute(set(facilities), types, set(), progress=progress, params=params, district=district)
        with connection.cursor() as cur:
            if minutes is None:  # circles of minutes no longer in the settings go
                cur.execute("DELETE FROM facilities_facilitycircle WHERE facility_id = ANY(%s) AND minutes <> ALL(%s)",
                            [facilities, list(params.minutes)])
            # The circles of these facilities are done; a type's walking times are for every
            # district, so a queued type stays for the next whole refresh.
            cur.execute("DELETE FROM facilities_accessqueue WHERE kind = 'facility' AND key = ANY(%s)", [facilities])
    return result


def _recompute(facilities: set[int], full_types: set[int], households: set[int], *, progress: TextIO | None,
               params: CircleParams | None = None, district: str | None = None) -> RefreshResult:
    circle_rows = 0
    if facilities:
        with tqdm(total=len(facilities), desc="服务圈 circles", unit="设施", file=progress,
                  disable=progress is None) as bar:
            circle_rows = rebuild_circles(facilities, params=params, progress=bar.update)
    counts_full = counts_part = None
    if full_types:
        with tqdm(total=len(full_types), desc="步行时间 walking times", unit="类", file=progress,
                  disable=progress is None) as bar:
            counts_full = refresh_access(full_types, district=district, progress=bar.update)
    other_types = set(all_type_ids()) - full_types
    if households and other_types:
        counts_part = refresh_access(other_types, households)
    changed = sum(c.rows_written for c in (counts_full, counts_part) if c)
    n_households = max([c.households for c in (counts_full, counts_part) if c] or [len(households)])
    types = frozenset(full_types | (other_types if households else set()))
    return RefreshResult(len(facilities), circle_rows, types, n_households, changed)


def _existing_facilities(ids: set[int]) -> set[int]:
    if not ids:
        return set()
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM facilities_facility WHERE id = ANY(%s)", [sorted(ids)])
        return {r[0] for r in cur.fetchall()}


def _type_ids(type_code: str | None) -> list[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM facilities_facilitytype WHERE %s::text IS NULL OR code = %s", [type_code, type_code])
        return [r[0] for r in cur.fetchall()]


def request_refresh() -> bool:
    """Have what the triggers queued recomputed; True when walking times are being updated.

    Web requests never recompute: with settings.GRIDMAP_ACCESS_REFRESH = "queue" (the
    default) the work goes to the background worker as one job (repeated requests collapse
    into the job already waiting). "inline" recomputes here and now (commands, tests).
    """
    if settings.GRIDMAP_ACCESS_REFRESH == "inline":
        refresh_pending()
        return False
    if not pending_count():
        return False
    from layers.jobs.services import submit

    submit("facilities.access_refresh", label="更新步行时间与服务圈")
    return True
