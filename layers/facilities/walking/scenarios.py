"""Evaluating a planning scenario without touching the real data: walking times to the
facility set the scenario describes (real facilities, minus those closed, with those moved at
their new place, plus those added) for the types it changes, the stored walking times for the
others; then coverage per community and type, and life-circle completeness per community,
for the scenario and for today. Runs in the background job facilities.scenario.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from layers.facilities.analysis.completeness import life_circle_completeness
from layers.facilities.models import Scenario
from layers.facilities.walking.households import walks_by_metric_srid


def _households() -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[list[str]]]:
    """ids, lon/lat, community codes ("" outside every grid), names, tags."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT h.id, ST_X(h.geom), ST_Y(h.geom), COALESCE(c.code, ''), COALESCE(c.name, '未关联网格'), h.tags
              FROM people_household h LEFT JOIN grids_grid g ON g.id = h.grid_id
              LEFT JOIN grids_community c ON c.id = g.community_id ORDER BY h.id""")
        rows = cur.fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    lonlat = np.array([(r[1], r[2]) for r in rows], dtype=float).reshape(-1, 2)
    return ids, lonlat, [r[3] for r in rows], [r[4] for r in rows], [list(r[5] or []) for r in rows]


def _stored_minutes(ids: np.ndarray, types: list[tuple]) -> np.ndarray:
    """(households, types) stored walking minutes (NaN: none)."""
    minutes = np.full((len(ids), len(types)), np.nan)
    column = {t[0]: k for k, t in enumerate(types)}
    with connection.cursor() as cur:
        cur.execute("SELECT household_id, facility_type_id, minutes FROM facilities_householdaccess"
                    " WHERE minutes IS NOT NULL")
        access = np.array(cur.fetchall(), dtype=float).reshape(-1, 3)
    if len(access) and len(ids):
        rows = np.searchsorted(ids, access[:, 0].astype(np.int64))
        ok = (rows < len(ids)) & (ids[np.minimum(rows, len(ids) - 1)] == access[:, 0])
        cols = np.array([column.get(int(t), -1) for t in access[:, 1]], dtype=np.int64)
        ok &= cols >= 0
        minutes[rows[ok], cols[ok]] = access[ok, 2]
    return minutes


def scenario_facilities(scenario: Scenario, type_id: int) -> np.ndarray:
    """(n, 2) lon/lat of the type's facilities in the scenario."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT ST_X(COALESCE(m.geom, f.geom)), ST_Y(COALESCE(m.geom, f.geom))
              FROM facilities_facility f
              LEFT JOIN LATERAL (SELECT c.geom FROM facilities_scenariochange c
                                  WHERE c.scenario_id = %s AND c.facility_id = f.id AND c.action = 'move'
                                  ORDER BY c.id DESC LIMIT 1) m ON true
             WHERE f.type_id = %s AND NOT EXISTS (SELECT 1 FROM facilities_scenariochange c WHERE c.scenario_id = %s
                                                  AND c.facility_id = f.id AND c.action = 'close')
            UNION ALL
            SELECT ST_X(c.geom), ST_Y(c.geom) FROM facilities_scenariochange c
             WHERE c.scenario_id = %s AND c.action = 'add' AND c.facility_type_id = %s""",
                    [scenario.pk, type_id, scenario.pk, scenario.pk, type_id])
        return np.array(cur.fetchall(), dtype=float).reshape(-1, 2)


def changed_type_ids(scenario: Scenario) -> list[int]:
    with connection.cursor() as cur:
        cur.execute("""SELECT DISTINCT COALESCE(c.facility_type_id, f.type_id) FROM facilities_scenariochange c
                         LEFT JOIN facilities_facility f ON f.id = c.facility_id WHERE c.scenario_id = %s""",
                    [scenario.pk])
        return sorted(r[0] for r in cur.fetchall())


def _figures(minutes: np.ndarray, types: list[tuple], group: np.ndarray, n_groups: int,
             tags: list[list[str]]) -> dict:
    """Coverage per group and type ([households, covered, priority, priority covered]) and
    completeness per group ({households, complete: {minutes: households}})."""
    coverage = {}
    for k, (_, code, _, _, threshold) in enumerate(types):
        focus_tags = set(settings.GRIDMAP_COVERAGE_FOCUS_TAGS.get(code, []))
        focus = np.array([bool(focus_tags & set(t)) for t in tags], dtype=bool)
        with np.errstate(invalid="ignore"):
            covered = minutes[:, k] <= threshold
        coverage[code] = np.column_stack([
            np.bincount(group, minlength=n_groups), np.bincount(group, weights=covered, minlength=n_groups),
            np.bincount(group, weights=focus, minlength=n_groups),
            np.bincount(group, weights=focus & covered, minlength=n_groups)]).astype(int).tolist()
    result = life_circle_completeness(minutes, np.array([t[3] for t in types], dtype=float), group, n_groups)
    complete = [{str(int(m)): int(result.complete[g, k]) for k, m in enumerate(result.levels)}
                for g in range(n_groups)]
    return {"coverage": coverage, "complete": complete, "households": result.households.tolist()}


def evaluate(scenario: Scenario) -> Scenario:
    """Compute the scenario's and today's figures and store them on the scenario."""
    with connection.cursor() as cur:
        cur.execute("SELECT id, code, name, level_minutes, threshold_minutes FROM facilities_facilitytype"
                    " ORDER BY sort_order, id")
        types = cur.fetchall()
    ids, lonlat, codes, names, tags = _households()
    communities = sorted(set(zip(codes, names, strict=True)), key=lambda c: (c[0] == "", c[0]))
    index = {c: k for k, c in enumerate(communities)}
    group = np.array([index[c] for c in zip(codes, names, strict=True)], dtype=np.int64)
    baseline = _stored_minutes(ids, types)
    minutes = baseline.copy()
    changed = changed_type_ids(scenario)
    columns = [k for k, t in enumerate(types) if t[0] in changed]
    if columns and len(ids):
        walks = walks_by_metric_srid(lonlat, [scenario_facilities(scenario, types[k][0]) for k in columns])
        speed = settings.GRIDMAP_WALK_SPEED_M_PER_MIN
        for k, (distance, *_rest) in zip(columns, walks, strict=True):
            minutes[:, k] = np.where(np.isfinite(distance), distance / speed, np.nan)
    scenario.results = {
        "types": [{"code": t[1], "name": t[2], "level_minutes": t[3], "threshold_minutes": t[4]} for t in types],
        "communities": [{"code": c, "name": n} for c, n in communities],
        "changed": [t[1] for t in types if t[0] in changed],
        "scenario": _figures(minutes, types, group, len(communities), tags),
        "baseline": _figures(baseline, types, group, len(communities), tags),
    }
    scenario.computed_at = timezone.now()
    scenario.save(update_fields=["results", "computed_at"])
    return scenario


def comparison(scenarios: list[Scenario], type_code: str) -> tuple[list[str], list[dict]]:
    """Side by side per community: today, then each scenario: (covered, households) for
    ``type_code`` and households complete at the widest level. Returns column titles and rows
    ({code, name, cells: [(covered, households, complete)]}) with the total last. Each
    scenario's figures are matched by community code (they may have been computed at
    different times)."""
    done = [s for s in scenarios if s.results]
    if not done:
        return [], []
    first = done[0].results
    top = str(max((t["level_minutes"] for t in first["types"]), default=15))
    titles = ["现状"] + [s.name for s in done]
    figure_sets = [(first["communities"], first["baseline"])] + [(s.results["communities"], s.results["scenario"])
                                                                 for s in done]
    lookups = [{c["code"]: k for k, c in enumerate(communities)} for communities, _ in figure_sets]
    names = {c["code"]: c["name"] for communities, _ in figure_sets for c in communities}
    codes = sorted(names, key=lambda c: (c == "", c))
    rows = []
    totals = [[0, 0, 0] for _ in figure_sets]
    for code in codes:
        cells = []
        for k, ((_, f), lookup) in enumerate(zip(figure_sets, lookups, strict=True)):
            g = lookup.get(code)
            households, covered = f["coverage"][type_code][g][:2] if g is not None and type_code in f["coverage"] \
                else (0, 0)
            complete = f["complete"][g].get(top, 0) if g is not None else 0
            cells.append((covered, households, complete))
            totals[k] = [totals[k][0] + covered, totals[k][1] + households, totals[k][2] + complete]
        rows.append({"code": code, "name": names[code], "cells": cells})
    rows.append({"code": "*", "name": "合计", "cells": [tuple(t) for t in totals], "total": True})
    return titles, rows
