"""Figures against the cases, visits and ledger of the small town (conftest.py): each grid's counts
as counted by hand and by direct database queries, and every level the sum of its children."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from layers.facilities.models import FacilityType, HouseholdAccess
from layers.grids.models import Grid
from layers.incidents.models import Incident
from layers.summaries import figures, queries, services
from tests.summaries.conftest import OCT, SEP, case

pytestmark = pytest.mark.django_db


def _direct(sql: str, params: list) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def test_grid_counts_match_the_cases_by_hand(town):
    counts = queries.grid_counts([town.west.id, town.east.id, town.north_grid.id], OCT)
    west, east, north = counts[town.west.id], counts[town.east.id], counts[town.north_grid.id]
    assert (west["households"], west["residents"], east["households"], north["residents"]) == (2, 3, 1, 3)
    assert (west["reported"], east["reported"], north["reported"]) == (3, 3, 1)
    assert east["cancelled"] == 1 and east["status:handling"] == 1 and east["category:fire_risk"] == 2
    assert (west["closed"], west["closed_on_time"], north["closed_on_time"]) == (2, 1, 1)
    # East: the unsatisfied case back in handling, and the fresh report never accepted (立案 is
    # due within its own stage limit, layers.incidents.limits).
    assert (west["overdue"], east["overdue"], north.get("overdue", 0)) == (1, 2, 0)
    assert (west["revisited"], west["satisfied"], east["revisited"], east.get("satisfied", 0)) == (1, 1, 1, 0)
    # Ledger on 10-31: west 独居老人+特困 and 高龄; east joined 流动人口 on 10-20; north left 残疾 on 10-12.
    assert (west["group:独居老人"], west["group:特困"], west["group:高龄"]) == (1, 1, 1)
    assert east["group:流动人口"] == 1 and north["group:低保"] == 1 and "group:残疾" not in north
    # 独居老人 every 7 days: 4 visits due in 31 days, 2 done; 高龄 1 due, none; 低保 1 due, 3 done → 1.
    assert (west["visits_due"], west["visits_done"], north["visits_due"], north["visits_done"]) == (5, 2, 1, 1)
    september = queries.grid_counts([town.west.id, town.east.id, town.north_grid.id], SEP, snapshot=False)
    assert september[town.north_grid.id]["group:残疾"] == 1 and "households" not in september[town.west.id]
    assert september[town.west.id]["closed_on_time"] == 1


def test_street_equals_sum_of_communities_and_direct_counts(town):
    summary = services.summarize(town.admin, "street", "510104001", OCT)
    assert [c.unit.code for c in summary.children] == ["510104001001", "510104001002"]
    assert summary.total.current == figures.add(c.current for c in summary.children)
    community = services.summarize(town.admin, "community", "510104001001", OCT)
    assert community.total.current == next(c.current for c in summary.children if c.unit.code == "510104001001")
    assert community.total.current == figures.add(c.current for c in community.children)
    total = summary.total.current
    start, end = OCT.start, OCT.end
    grids = list(Grid.objects.filter(community__street__code="510104001").values_list("id", flat=True))
    reported = Incident.objects.filter(grid_id__in=grids, reported_at__gte=start, reported_at__lt=end)
    assert total["reported"] == reported.count() == 7
    assert total["closed"] == reported.filter(status__in=["closed", "evaluated"]).count()
    assert total["closed_on_time"] == _direct(
        "SELECT count(*) FROM incidents_incident i JOIN incidents_incidentcategory c ON c.id = i.category_id"
        " WHERE i.grid_id = ANY(%s) AND i.reported_at >= %s AND i.reported_at < %s AND i.status IN ('closed', 'evaluated')"
        "   AND i.closed_at <= i.dispatched_at + c.time_limit_hours * interval '1 hour'", [grids, start, end])
    assert total["satisfied"] == reported.filter(satisfaction="满意").count()
    assert total["households"] == _direct("SELECT count(*) FROM people_household WHERE grid_id = ANY(%s)", [grids])
    assert total["group:低保"] == _direct(
        "SELECT count(*) FROM people_prioritymembership m JOIN people_household h ON h.id = m.household_id"
        " WHERE h.grid_id = ANY(%s) AND m.\"group\" = '低保' AND (m.entered_on IS NULL OR m.entered_on <= %s)"
        " AND (m.left_on IS NULL OR m.left_on > %s)", [grids, dt.date(2026, 10, 31), dt.date(2026, 10, 31)])
    by_key = {f.key: f for f in summary.total.figures}
    assert by_key["close_rate"].current == 3 / 6  # 不予立案 is not a case
    assert by_key["on_time_rate"].current == 2 / 3 and by_key["on_time_rate"].previous == 1.0
    assert by_key["satisfaction_rate"].current == 1 / 2
    assert by_key["visit_rate"].current == 3 / 6
    assert by_key["reported"].previous == 1 and by_key["reported"].change == 6


def test_monthly_trend_counts_each_months_cases(town):
    months = queries.monthly_trend([town.west.id, town.east.id, town.north_grid.id], OCT.back(3))
    assert months["2026-10"]["reported"] == 7 and months["2026-09"]["reported"] == 1
    assert months["2026-08"].get("reported", 0) == 0
    # On 08-31: 独居老人 (west), 高龄, 低保 and 残疾 (north); on 10-31: + 特困 and 流动人口, − 残疾.
    assert months["2026-08"]["priority_members"] == 4 and months["2026-10"]["priority_members"] == 5


def test_circle_completeness_reads_the_stored_walking_times(town):
    types = list(FacilityType.objects.order_by("id"))
    now = timezone.now()
    # The west household reaches every type within 15 minutes; the north one only the first, in 20.
    HouseholdAccess.objects.bulk_create(
        [HouseholdAccess(household=town.hw, facility_type=t, minutes=10, distance_m=600, method="network",
                         computed_at=now) for t in types]
        + [HouseholdAccess(household=town.hn, facility_type=types[0], minutes=20, distance_m=1300, method="network",
                           computed_at=now)])
    counts = queries.grid_counts([town.west.id, town.north_grid.id], OCT)
    assert counts[town.west.id]["circle_complete"] == 1 and counts[town.west.id][f"cov:{types[0].code}"] == 1
    assert counts[town.west.id]["circle_reached"] == len(types)
    assert counts[town.west.id]["circle_possible"] == 2 * len(types)
    assert "circle_complete" not in counts[town.north_grid.id]
    assert figures.value(counts[town.west.id], "circle_rate") == 0.5


def test_circle_counts_are_kept_until_walking_times_or_households_change(town):
    """The walking-time counts come from the cache while cases and visits are written (they read
    every walking time of the grids: minutes for a province), and are counted again once a
    walking time changes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from layers.people.models import Visit

    types = list(FacilityType.objects.order_by("id"))
    now = timezone.now()
    HouseholdAccess.objects.bulk_create(
        [HouseholdAccess(household=town.hw, facility_type=t, minutes=10, distance_m=600, method="network",
                         computed_at=now) for t in types])
    grids = [town.west.id, town.north_grid.id]
    assert queries.grid_counts(grids, OCT)[town.west.id]["circle_complete"] == 1
    Visit.objects.create(household=town.hw, user=town.worker_w, visited_at=now)
    case("dispute", town.hw.geom, now, [])
    with CaptureQueriesContext(connection) as captured:
        again = queries.grid_counts(grids, OCT)
    assert again[town.west.id]["circle_complete"] == 1 and again[town.west.id]["circle_reached"] == len(types)
    assert not [q for q in captured.captured_queries if "facilities_householdaccess" in q["sql"]]
    HouseholdAccess.objects.filter(household=town.hw, facility_type=types[0]).update(minutes=30)
    changed = queries.grid_counts(grids, OCT)[town.west.id]
    assert "circle_complete" not in changed and changed["circle_reached"] == len(types) - 1


def test_scope_worker_sees_own_grid_only_leader_sees_all(town):
    with pytest.raises(services.NotInScope):
        services.summarize(town.worker_w, "community", "510104001001", OCT)
    with pytest.raises(services.NotInScope):
        services.summarize(town.worker_w, "grid", town.east.code, OCT)
    mine = services.summarize(town.worker_w, "all", None, OCT)
    assert [c.unit.code for c in mine.children] == [town.west.code]
    leader = services.summarize(town.leader, "all", None, OCT)
    assert [c.unit.code for c in leader.children] == ["510104"]
    assert leader.total.current["reported"] == 7


@pytest.mark.parametrize(("level", "code", "param"), [
    ("street", "51010400", "code"), ("street", "５１０１０４００１", "code"), ("county", "510104", "level"),
    ("street", "510104001; DROP TABLE x", "code"), ("grid", "", "code")])
def test_bad_levels_and_codes_name_the_parameter(town, level, code, param):
    with pytest.raises(services.SummaryError) as e:
        services.summarize(town.admin, level, code, OCT)
    assert e.value.param == param and f"参数 {param}" in str(e.value)
