"""A district's summary reads only that district's partitions (issue #15): every query the
summaries run for one district's grids, EXPLAINed, scans no other district's partition."""

from __future__ import annotations

import re

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


def test_households_are_counted_from_the_grid_index_alone(town):
    """The per-grid figures read no household column that household_grid_cover lacks, so they
    can scan that index without touching the table (an index-only scan: at 10 million
    households the table is 4.3 GB, the index 0.56 GB). A column added to one of these queries
    but not to the index's INCLUDE fails here."""
    covered = {"grid_id", "id", "district_code", "residents", "last_visit"}
    grids = [town.west.id, town.east.id, town.north_grid.id]
    with CaptureQueriesContext(connection) as captured:
        queries.grid_counts(grids, OCT)
        queries.monthly_trend(grids, [SEP, OCT])
    read_by_query = []
    with connection.cursor() as cur:
        for q in captured.captured_queries:
            if "people_household" not in q["sql"] or not q["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cur.execute("EXPLAIN (VERBOSE) " + q["sql"])
            lines = [r[0] for r in cur.fetchall()]
            columns: set[str] = set()
            for n, line in enumerate(lines):
                scan = re.search(r"on public\.people_household_p510104 (\w+)", line)
                if not scan:
                    continue
                alias, depth = scan.group(1), len(line) - len(line.lstrip())
                for detail in lines[n + 1:]:  # the node's Output, Filter and Index Cond lines
                    if len(detail) - len(detail.lstrip()) <= depth or "->" in detail:
                        break
                    columns |= set(re.findall(rf"\b{alias}\.(\w+)", detail))
            read_by_query.append(columns)
    assert len(read_by_query) >= 5  # households, ledger groups, visits, coverage ×2, the trend
    assert all(columns for columns in read_by_query)  # the parsing found what each reads
    for columns in read_by_query:
        assert columns <= covered, columns - covered
