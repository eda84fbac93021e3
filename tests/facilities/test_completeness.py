"""Fifteen-minute life-circle completeness: the pure counts, and the snapshot against the
stored walking times counted directly in SQL."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from layers.facilities.analysis.completeness import life_circle_completeness, missing_types, reached_types
from layers.facilities.models import CompletenessSnapshot, FacilityType
from layers.facilities.walking.completeness import (
    access_state,
    completeness_lines,
    compute_snapshots,
    is_current,
    request_snapshot,
)
from tests.facilities.planner_fixtures import planner_district
from tests.facilities.walk_fixtures import add_household

NAN = np.nan


def test_levels_are_cumulative_and_unreachable_is_missing():
    # Types: A (5 min), B (10 min), C (15 min). Household 0 reaches all; 1 misses C; 2 misses A
    # (6 min > 5) but reaches B and C; 3 reaches nothing.
    minutes = np.array([[4, 9, 14], [5, 10, NAN], [6, 2, 3], [NAN, NAN, NAN]], dtype=float)
    levels = np.array([5, 10, 15])
    assert reached_types(minutes, levels).tolist() == [[True] * 3, [True, True, False], [False, True, True],
                                                       [False] * 3]
    result = life_circle_completeness(minutes, levels, np.array([0, 0, 1, 1]), 2)
    assert result.levels.tolist() == [5, 10, 15]
    assert result.households.tolist() == [2, 2]
    # Group 0: both complete at 5 and 10, only household 0 at 15. Group 1: household 2 misses A,
    # so it is complete at no level (the 5-minute types belong to every higher circle).
    assert result.complete.tolist() == [[2, 2, 1], [0, 0, 0]]
    assert result.reached.tolist() == [[2, 2, 1], [0, 1, 1]]
    assert missing_types(result.reached[1], 2).tolist() == [0]
    assert missing_types(result.reached[0], 2, min_share=0.75).tolist() == [2]
    assert missing_types(np.array([0, 0]), 0).tolist() == []


@pytest.mark.django_db
def test_snapshot_matches_direct_counts_per_community_and_grid():
    planner_district()
    compute_snapshots()
    snapshot = CompletenessSnapshot.objects.get(level="community")
    assert is_current(snapshot)
    codes = [t["code"] for t in snapshot.types]
    assert codes == list(FacilityType.objects.order_by("sort_order", "id").values_list("code", flat=True))
    lines, levels, _ = completeness_lines("community")
    assert levels == [5, 10, 15]
    by_code = {line.code: line for line in lines}
    with connection.cursor() as cur:
        for type_code in ("kindergarten", "primary_school"):
            cur.execute("""
                SELECT c.code, count(*) FILTER (WHERE a.minutes <= t.level_minutes)
                  FROM people_household h JOIN grids_grid g ON g.id = h.grid_id
                  JOIN grids_community c ON c.id = g.community_id
                  CROSS JOIN facilities_facilitytype t
                  LEFT JOIN facilities_householdaccess a ON a.household_id = h.id AND a.facility_type_id = t.id
                 WHERE t.code = %s GROUP BY c.code""", [type_code])
            k = codes.index(type_code)
            for code, reached in cur.fetchall():
                row = next(r for r in snapshot.rows if r["code"] == code)
                assert row["reached"][k] == reached
    # West: the kindergarten reaches the 5 households near it (and not the 3 at -300, 900 m on);
    # the east reaches nothing. No community has every type: complete nowhere.
    k = codes.index("kindergarten")
    assert next(r for r in snapshot.rows if r["code"] == "510104001001")["reached"][k] == 5
    assert next(r for r in snapshot.rows if r["code"] == "510104001002")["reached"][k] == 0
    assert by_code["510104001001"].households == 8 and by_code["510104001002"].households == 4
    assert by_code["*"].total and by_code["*"].households == 12
    assert all(line.complete[15] == 0 for line in lines)
    east_missing = {name for name, _, _ in by_code["510104001002"].missing}
    assert {"幼儿园", "小学"} <= east_missing and len(east_missing) == len(codes)
    assert "幼儿园" not in {name for name, _, _ in by_code["510104001001"].missing}
    assert len(CompletenessSnapshot.objects.get(level="grid").rows) == 2


@pytest.mark.django_db
def test_a_change_makes_the_snapshot_stale_and_the_page_asks_again():
    planner_district()
    assert request_snapshot() is False  # inline in tests: computed now
    before = access_state()
    assert is_current(CompletenessSnapshot.objects.get(level="community"))
    add_household(1200, 20, address="测试路 99 号")
    assert access_state() != before
    assert not is_current(CompletenessSnapshot.objects.get(level="community"))
    request_snapshot()
    lines, _, _ = completeness_lines("community")
    assert next(line for line in lines if line.total).households == 13
