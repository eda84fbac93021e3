"""A district's summary reads only that district's partitions (issue #15): every query the
summaries run for one district's grids, EXPLAINed, scans no other district's partition."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.grids.models import District
from layers.grids.partitions import PARTITIONED_TABLES
from layers.summaries import queries
from tests.factories import box, make_household, point
from tests.summaries.conftest import OCT, SEP

pytestmark = pytest.mark.django_db


def _plans_of(captured: CaptureQueriesContext) -> list[str]:
    plans = []
    with connection.cursor() as cur:
        for q in captured.captured_queries:
            if not q["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cur.execute("EXPLAIN " + q["sql"])
            plans.append("\n".join(r[0] for r in cur.fetchall()))
    return plans


def test_one_districts_summary_touches_only_its_partitions(town):
    District.objects.create(code="510105", name="青羊区", geom=box(104.2, 30.6, 104.4, 30.7))
    make_household(point(104.30, 30.65))  # a household of the other district, outside every grid
    grids = [town.west.id, town.east.id, town.north_grid.id]
    with CaptureQueriesContext(connection) as captured:
        counts = queries.grid_counts(grids, OCT)
        queries.monthly_trend(grids, [SEP, OCT])
    assert counts[town.west.id]["households"] == 2  # the figures are still there
    plans = _plans_of(captured)
    read = "\n".join(plans)
    for table in PARTITIONED_TABLES:
        assert f"{table}_p510105" not in read and f"{table}_pdefault" not in read, table
    # ... and they do read the district's own partitions (the check above is not vacuous).
    assert "people_household_p510104" in read and "incidents_incident_p510104" in read
    assert "people_visit_p510104" in read and "facilities_householdaccess_p510104" in read
