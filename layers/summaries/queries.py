"""The database side of the summaries: counts per grid for a period (see layers.summaries.figures
for what each key means), set-based (GROUP BY grid), for a given set of grids.

Deadlines are the lifecycle's rules through their SQL twins in layers.incidents.limits
(with_handle_deadline for lifecycle.deadline, with_stage_deadline / overdue_q for is_overdue):
no query or Python loop per case; each figure is one aggregate query.
Service-circle completeness reads the stored walking times (facilities_householdaccess): no
walking is computed here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from layers.grids.partitions import district_codes_holding
from layers.incidents import lifecycle, limits
from layers.incidents.lifecycle import OPEN_STATUSES, IncidentStatus
from layers.incidents.models import Incident
from layers.people.models import Household, HouseholdTag
from layers.people.priority import interval_days
from layers.summaries.figures import LEDGER_GROUPS, Counts
from layers.summaries.periods import Period

CLOSED_STATUSES = (IncidentStatus.CLOSED, IncidentStatus.EVALUATED)


def circle_minutes() -> int:
    """The 15-minute life circle: the widest service circle drawn (settings.GRIDMAP_CIRCLE_MINUTES)."""
    return max(settings.GRIDMAP_CIRCLE_MINUTES)


def _bump(out: dict[int, Counts], grid_id: int, key: str, n: int) -> None:
    row = out[grid_id]
    row[key] = row.get(key, 0) + int(n)


@dataclass(frozen=True)
class Holding:
    """The district codes of the partitions holding some grids' households and cases: every
    query of a summary names them, so only those partitions are read (issue #15). Read from the
    rows, not the grids' districts: a household or case on a district border may be kept in the
    neighbouring district's partition. A household's ledger memberships, visits and walking
    times are kept in its partition. Found once per summary (a look into every partition's grid
    index, 0.25 s for a district at 10 million households) and passed to each query."""

    households: list[str]
    incidents: list[str]

    @classmethod
    def of(cls, grid_ids: Sequence[int]) -> Holding:
        return cls(district_codes_holding(Household, grid_ids), district_codes_holding(Incident, grid_ids))


def grid_counts(grid_ids: Sequence[int], period: Period, *, now=None, snapshot: bool = True,
                holding: Holding | None = None) -> dict[int, Counts]:
    """Counts of each grid in ``grid_ids`` for ``period`` (keys: layers.summaries.figures);
    ``snapshot`` False leaves out what has no history (households, residents, walking access):
    the previous period's comparison needs only the rest. ``holding``: Holding.of(grid_ids),
    found here when not given."""
    out: dict[int, Counts] = defaultdict(dict)
    ids = list(grid_ids)
    if not ids:
        return {}
    holding = holding or Holding.of(ids)
    codes = holding.households
    if snapshot:
        for row in (Household.objects.filter(district_code__in=codes, grid_id__in=ids).values("grid_id")
                    .annotate(n=Count("id"), people=Sum("residents"))):
            _bump(out, row["grid_id"], "households", row["n"])
            _bump(out, row["grid_id"], "residents", row["people"] or 0)
        _coverage_counts(out, ids, codes)
    for grid_id, group, n in group_members(ids, period, codes):
        _bump(out, grid_id, f"group:{group}", n)
    _incident_counts(out, ids, period, holding.incidents, now=now)
    for grid_id, due, done in _visit_counts(ids, period, codes):
        _bump(out, grid_id, "visits_due", due)
        _bump(out, grid_id, "visits_done", done)
    return dict(out)


def group_members(grid_ids: Sequence[int], period: Period,
                  codes: Sequence[str] | None = None) -> list[tuple[int, str, int]]:
    """(grid id, group, households) in each ledger group on the period's last day (``codes``:
    the partitions holding the grids' households, district_codes_holding)."""
    codes = district_codes_holding(Household, grid_ids) if codes is None else codes
    with connection.cursor() as cur:
        cur.execute(
            "SELECT h.grid_id, m.\"group\", count(DISTINCT m.household_id)"
            "  FROM people_prioritymembership m"
            "  JOIN people_household h ON h.id = m.household_id AND h.district_code = m.district_code"
            " WHERE h.district_code = ANY(%s) AND h.grid_id = ANY(%s) AND m.\"group\" = ANY(%s)"
            "   AND (m.entered_on IS NULL OR m.entered_on <= %s) AND (m.left_on IS NULL OR m.left_on > %s)"
            " GROUP BY 1, 2", [list(codes), list(grid_ids), list(LEDGER_GROUPS), period.last_day(), period.last_day()])
        return cur.fetchall()


def _cohort(grid_ids: Sequence[int], period: Period, codes: Sequence[str]):
    return Incident.objects.filter(district_code__in=codes, grid_id__in=grid_ids,
                                   reported_at__gte=period.start, reported_at__lt=period.end)


def _incident_counts(out: dict[int, Counts], grid_ids: Sequence[int], period: Period, codes: Sequence[str], *,
                     now=None) -> None:
    cohort = _cohort(grid_ids, period, codes)
    # 按期结案 is lifecycle.deadline's rule in SQL (limits.with_handle_deadline, its twin): one
    # aggregate instead of a query-and-loop over every closed case of the period.
    on_time = Q(status__in=CLOSED_STATUSES) & limits.closed_on_time_q()
    for row in (limits.with_handle_deadline(cohort).values("grid_id", "status", "category__code")
                .annotate(n=Count("id"), revisited=Count("id", filter=~Q(satisfaction="")),
                          satisfied=Count("id", filter=Q(satisfaction=lifecycle.SATISFIED)),
                          on_time=Count("id", filter=on_time)).order_by()):
        g, n = row["grid_id"], row["n"]
        _bump(out, g, "reported", n)
        _bump(out, g, f"status:{row['status']}", n)
        _bump(out, g, f"category:{row['category__code']}", n)
        _bump(out, g, "revisited", row["revisited"])
        _bump(out, g, "satisfied", row["satisfied"])
        if row["status"] == IncidentStatus.CANCELLED:
            _bump(out, g, "cancelled", n)
        if row["status"] in CLOSED_STATUSES:
            _bump(out, g, "closed", n)
            if row["on_time"]:  # (as before: no key for a grid without a case closed on time)
                _bump(out, g, "closed_on_time", row["on_time"])
    # Overdue on the running stage's clock, in one query (limits.overdue_q is the SQL twin of
    # lifecycle.is_overdue; a query per open case made a district page slow).
    now = now or timezone.now()
    overdue = limits.with_stage_deadline(cohort.filter(status__in=OPEN_STATUSES), codes).filter(limits.overdue_q(now))
    for row in overdue.values("grid_id").annotate(n=Count("id")).order_by():
        _bump(out, row["grid_id"], "overdue", row["n"])


def visit_intervals_json() -> str:
    """Days between due visits per vulnerable tag (settings), as JSON for the SQL below."""
    # layers.people.priority.interval_days is the one rule (the same as 今日任务's).
    return json.dumps({str(t): max(1, interval_days([t])) for t in HouseholdTag.vulnerable()}, ensure_ascii=False)


def _visit_counts(grid_ids: Sequence[int], period: Period, codes: Sequence[str]) -> list[tuple[int, int, int]]:
    """(grid id, visits due, visits done) of the households in a vulnerable group on the period's
    last day: each is due max(1, ⌊days / interval⌋) visits (its shortest interval), and its
    visits in the period count up to that number (more visits to one household do not make up
    for another's missing ones). Visits are the recorded ones (people_visit); a household whose
    最近走访 (last_visit, also set by imports) falls in the period counts at least one."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH intervals AS (SELECT key AS tag, value::int AS every_days FROM jsonb_each_text(%(intervals)s::jsonb)),
            due AS (
                SELECT m.household_id, greatest(1, %(days)s / min(i.every_days)) AS visits
                  FROM people_prioritymembership m JOIN intervals i ON i.tag = m."group"
                 WHERE m.district_code = ANY(%(codes)s)
                   AND (m.entered_on IS NULL OR m.entered_on <= %(last_day)s)
                   AND (m.left_on IS NULL OR m.left_on > %(last_day)s)
                 GROUP BY m.household_id),
            done AS (
                SELECT v.household_id, count(*) AS visits FROM people_visit v
                 WHERE v.district_code = ANY(%(codes)s)
                   AND v.visited_at >= %(start)s AND v.visited_at < %(end)s GROUP BY v.household_id)
            SELECT h.grid_id, sum(due.visits)::int,
                   sum(least(greatest(coalesce(done.visits, 0),
                                      CASE WHEN h.last_visit >= %(first_day)s AND h.last_visit <= %(last_day)s
                                           THEN 1 ELSE 0 END), due.visits))::int
              FROM due JOIN people_household h ON h.id = due.household_id
              LEFT JOIN done ON done.household_id = due.household_id
             WHERE h.district_code = ANY(%(codes)s) AND h.grid_id = ANY(%(grids)s)
             GROUP BY h.grid_id
            """,
            {"intervals": visit_intervals_json(), "days": period.days(), "last_day": period.last_day(),
             "first_day": period.first_day, "start": period.start, "end": period.end, "grids": list(grid_ids),
             "codes": list(codes)})
        return cur.fetchall()


def _coverage_counts(out: dict[int, Counts], grid_ids: Sequence[int], codes: Sequence[str]) -> None:
    """cov:<type> and circle_complete from the stored walking times (NULL minutes: not reached),
    kept in the cache under the coverage data version (layers.facilities.walking.reports): they
    read every walking time of the grids (107 of the 152 s a whole 10-million-household
    province's summary took), and change only when households' grids, walking times, types or
    grid levels are written, not with cases or visits."""
    import hashlib

    from django.core.cache import cache

    from layers.facilities.walking.reports import coverage_data_version

    # The version is read first: a write while counting draws a new one, and these counts are
    # then never served for it.
    ids = sorted(grid_ids)
    state = f"{coverage_data_version()}|{circle_minutes()}|{ids}"
    key = "gridmap:summary_coverage:" + hashlib.sha256(state.encode()).hexdigest()[:40]
    counts = cache.get(key)
    if counts is None:
        counts = _count_coverage(ids, codes)
        cache.set(key, counts, timeout=24 * 3600)
    for grid_id, key_, n in counts:
        _bump(out, grid_id, key_, n)
    with connection.cursor() as cur:
        # What full completeness would be: every household reaching every type.
        cur.execute("SELECT count(*) FROM facilities_facilitytype")
        types = cur.fetchone()[0]
    for row in out.values():
        row["circle_reached"] = sum(v for k, v in row.items() if k.startswith("cov:"))
        row["circle_possible"] = row.get("households", 0) * types


def _count_coverage(grid_ids: Sequence[int], codes: Sequence[str]) -> list[tuple[int, str, int]]:
    """(grid id, "cov:<type>" or "circle_complete", households) from the walking times."""
    minutes = circle_minutes()
    found = []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT h.grid_id, t.code, count(*) FROM people_household h"
            "  JOIN facilities_householdaccess a ON a.household_id = h.id AND a.district_code = h.district_code"
            "  JOIN facilities_facilitytype t ON t.id = a.facility_type_id"
            # (The planner does not carry ANY(...) across the join: each table names the districts.)
            " WHERE h.district_code = ANY(%s) AND a.district_code = ANY(%s) AND h.grid_id = ANY(%s)"
            "   AND a.minutes <= %s GROUP BY 1, 2",
            [list(codes), list(codes), list(grid_ids), minutes])
        found += [(grid_id, f"cov:{code}", n) for grid_id, code, n in cur.fetchall()]
        # One walking-time row per household and type (unique): reaching every type = as many rows as types.
        cur.execute(
            "SELECT h.grid_id, count(*) FROM people_household h"
            "  JOIN (SELECT household_id, count(*) AS n FROM facilities_householdaccess"
            "         WHERE district_code = ANY(%s) AND minutes <= %s GROUP BY household_id) r ON r.household_id = h.id"
            " WHERE h.district_code = ANY(%s) AND h.grid_id = ANY(%s)"
            "   AND r.n = (SELECT count(*) FROM facilities_facilitytype) GROUP BY 1",
            [list(codes), minutes, list(codes), list(grid_ids)])
        found += [(grid_id, "circle_complete", n) for grid_id, n in cur.fetchall()]
    return found


def monthly_trend(grid_ids: Sequence[int], periods: Sequence[Period], *,
                  holding: Holding | None = None) -> dict[str, Counts]:
    """Per month (key '2026-10') over ``periods``: reported, cancelled, closed, revisited,
    satisfied of that month's cohort, and ledger memberships on the month's last day
    (``priority``), summed over ``grid_ids`` — one query each, grouped by month."""
    out: dict[str, Counts] = {p.key: {} for p in periods}
    if not periods or not grid_ids:
        return out
    holding = holding or Holding.of(grid_ids)
    tz = settings.TIME_ZONE
    start, end = periods[0].start, periods[-1].end
    with connection.cursor() as cur:
        cur.execute(
            "SELECT to_char(reported_at AT TIME ZONE %s, 'YYYY-MM'), count(*),"
            "       count(*) FILTER (WHERE status = %s), count(*) FILTER (WHERE status = ANY(%s)),"
            "       count(*) FILTER (WHERE satisfaction <> ''), count(*) FILTER (WHERE satisfaction = %s)"
            "  FROM incidents_incident WHERE district_code = ANY(%s) AND grid_id = ANY(%s)"
            "   AND reported_at >= %s AND reported_at < %s GROUP BY 1",
            [tz, IncidentStatus.CANCELLED.value, [s.value for s in CLOSED_STATUSES], lifecycle.SATISFIED,
             holding.incidents, list(grid_ids), start, end])
        for month, reported, cancelled, closed, revisited, satisfied in cur.fetchall():
            if month in out:
                out[month].update(reported=reported, cancelled=cancelled, closed=closed, revisited=revisited,
                                  satisfied=satisfied)
        cur.execute(
            # DISTINCT in a subquery (hashed) rather than count(DISTINCT …) (a sort per month): the
            # same memberships counted once, 1.9 s → 1.4 s at a 1M-household province.
            "SELECT to_char(d, 'YYYY-MM'), count(*) FROM ("
            "SELECT DISTINCT d, m.household_id, m.\"group\""
            "  FROM unnest(%s::date[]) AS d"
            "  JOIN people_prioritymembership m ON (m.entered_on IS NULL OR m.entered_on <= d)"
            "                                  AND (m.left_on IS NULL OR m.left_on > d)"
            "  JOIN people_household h ON h.id = m.household_id AND h.district_code = m.district_code"
            " WHERE h.district_code = ANY(%s) AND h.grid_id = ANY(%s) AND m.\"group\" = ANY(%s)) members GROUP BY 1",
            [[p.last_day() for p in periods], holding.households, list(grid_ids), list(LEDGER_GROUPS)])
        for month, members in cur.fetchall():
            if month in out:
                out[month]["priority_members"] = members
    return out
