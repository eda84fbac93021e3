"""The patrol analysis is computed once per filter and recomputed exactly when its data change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from layers.patrols.cache import cached, data_version
from layers.patrols.filters import IncidentFilter

pytestmark = pytest.mark.django_db


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_the_same_question_is_answered_from_the_cache_until_an_incident_is_written(world):
    flt = IncidentFilter.last_days(30)
    compute = Counter()
    assert cached("advice", flt, compute, cell="grid") == 1
    assert cached("advice", IncidentFilter.last_days(30), compute, cell="grid") == 1  # within the minute
    assert cached("advice", flt, compute, cell="hex") == 2  # another question
    before = data_version()
    with connection.cursor() as cur:  # any write path: plain SQL here
        cur.execute("UPDATE incidents_incident SET description = description || '.' WHERE id = %s", [world.iw.pk])
    assert data_version() > before
    assert cached("advice", flt, compute, cell="grid") == 3


def test_grids_categories_and_the_walk_network_invalidate_it_too(world):
    flt = IncidentFilter(since=timezone.now() - dt.timedelta(days=7))
    compute = Counter()
    cached("route", flt, compute)
    for statement in (f"UPDATE grids_grid SET name = name WHERE id = {int(world.west.pk)}",
                      "UPDATE incidents_incidentcategory SET name = name",
                      "DELETE FROM facilities_walkedge WHERE id < 0"):
        with connection.cursor() as cur:
            cur.execute(statement)
        calls = compute.calls
        cached("route", flt, compute)
        assert compute.calls == calls + 1, statement
    cached("route", flt, compute)
    assert compute.calls == 4  # nothing written since: from the cache
