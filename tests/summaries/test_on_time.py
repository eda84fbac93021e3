"""按期结案 in the summaries is lifecycle.deadline's rule (asked in SQL through its twin,
layers.incidents.limits.with_handle_deadline): per grid, the same as asking the lifecycle case by case."""

from __future__ import annotations

from collections import Counter

import pytest

from layers.incidents import lifecycle
from layers.incidents.models import Incident
from layers.summaries import queries
from tests.summaries.conftest import OCT, SEP

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("period", [OCT, SEP], ids=["october", "september"])
def test_closed_on_time_per_grid_equals_the_lifecycle_deadline_case_by_case(town, period):
    grids = [town.west.id, town.east.id, town.north_grid.id]
    cohort = Incident.objects.filter(grid_id__in=grids, reported_at__gte=period.start, reported_at__lt=period.end,
                                     status__in=["closed", "evaluated"]).select_related("category")
    by_hand: Counter[int] = Counter()
    for incident in cohort:
        limit = lifecycle.deadline(incident)
        if limit is None or (incident.closed_at is not None and incident.closed_at <= limit):
            by_hand[incident.grid_id] += 1
    assert sum(by_hand.values()) >= 1  # the town has cases closed on time in both months
    counts = queries.grid_counts(grids, period)
    assert {g: counts.get(g, {}).get("closed_on_time", 0) for g in grids} == {g: by_hand[g] for g in grids}
