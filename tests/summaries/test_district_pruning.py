"""A district's summary reads only that district's partitions (issue #15): every query the
summaries run for one district's grids, EXPLAINed, scans no other district's partition."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.grids.models import District, Street
from layers.grids.partitions import HOLDING_PROBE, PARTITIONED_TABLES
from layers.summaries import queries
from tests.factories import box, make_community, make_grid, make_household, point
from tests.summaries.conftest import OCT, SEP

pytestmark = pytest.mark.django_db


def _figure_queries(captured: CaptureQueriesContext) -> list[str]:
    """The SELECTs the figures are read with: not the probes that find which partitions hold
    the grids' rows (HOLDING_PROBE; they look into each partition's grid index), which ran."""
    probes = [q["sql"] for q in captured.captured_queries if HOLDING_PROBE in q["sql"]]
    assert probes
    return [q["sql"] for q in captured.captured_queries
            if q["sql"].lstrip().upper().startswith(("SELECT", "WITH")) and HOLDING_PROBE not in q["sql"]]


def _plans_of(captured: CaptureQueriesContext) -> list[str]:
    plans = []
    with connection.cursor() as cur:
        for sql in _figure_queries(captured):
            cur.execute("EXPLAIN " + sql)
            plans.append("\n".join(r[0] for r in cur.fetchall()))
    return plans


def _second_district() -> None:
    """青羊区 with a grid and a household in it, and a household outside every grid: the town's
    grids are then one district's, not every grid."""
    land = box(104.2, 30.6, 104.3, 30.7)
    district = District.objects.create(code="510105", name="青羊区", geom=box(104.2, 30.6, 104.4, 30.7))
    Street.objects.create(district=district, code="510105001", name="青羊街道", geom=land)
    make_grid(make_community("510105001001", land, name="青羊社区"), land, name="青羊网格")
    make_household(point(104.25, 30.65), address="青羊路2号")
    make_household(point(104.35, 30.65))


def test_one_districts_summary_touches_only_its_partitions(town):
    _second_district()
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
    _second_district()
    grids = [town.west.id, town.east.id, town.north_grid.id]
    with CaptureQueriesContext(connection) as captured:
        queries.grid_counts(grids, OCT)
        queries.monthly_trend(grids, [SEP, OCT])
    read_by_query = []
    with connection.cursor() as cur:
        for sql in _figure_queries(captured):
            if "people_household" not in sql:
                continue
            cur.execute("EXPLAIN (VERBOSE) " + sql)
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


def test_rows_of_the_grids_kept_in_a_neighbouring_districts_partition_are_still_counted(town):
    """A household and cases on a district border may be kept in the neighbouring district's
    partition (the district check allows either district covering the point) while linked to
    this district's grid: the district's figures are the same wherever they are kept, and are
    read from both partitions."""
    _second_district()
    grids = [town.west.id, town.east.id, town.north_grid.id]
    before = queries.grid_counts(grids, OCT), queries.monthly_trend(grids, [SEP, OCT])
    with connection.cursor() as cur:
        # The state the check allows on a shared border, made by moving the rows with the checks
        # (and the history's append-only guard) off, inside the test's transaction. Visits,
        # ledger entries, walking times and the cases' histories follow (ON UPDATE CASCADE).
        switches = [("people_household", "household_z_district_check_updated"),
                    ("incidents_incident", "incident_z_district_check"), ("incidents_incidenttransition", "USER")]
        for table, trigger in switches:
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        cur.execute("UPDATE people_household SET district_code = '510105' WHERE id = %s", [town.hn.id])
        cur.execute("UPDATE incidents_incident SET district_code = '510105' WHERE id = ANY(%s)",
                    [[town.cases.north.id, town.cases.overdue.id]])
        for table, trigger in switches:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        cur.execute("SELECT count(*) FROM people_visit_p510105")
        assert cur.fetchone()[0] == 3  # the north household's visits moved with it
    with CaptureQueriesContext(connection) as captured:
        after = queries.grid_counts(grids, OCT), queries.monthly_trend(grids, [SEP, OCT])
    assert after == before
    assert after[0][town.north_grid.id]["households"] == 1 and after[0][town.west.id]["overdue"] == 1
    read = "\n".join(_plans_of(captured))
    for table in ("people_household", "people_visit", "incidents_incident", "incidents_incidenttransition"):
        assert f"{table}_p510105" in read, table


def test_a_summary_finds_the_partitions_it_reads_once(town):
    """Which partitions hold the grids' households and cases is found once for the whole page
    (this period, the previous one and the trend), not by each query again."""
    from layers.summaries import services

    _second_district()
    with CaptureQueriesContext(connection) as captured:
        summary = services.summarize(town.leader, "district", "510104", OCT)
    assert summary.total.current["households"] == 4
    probes = [q["sql"] for q in captured.captured_queries if HOLDING_PROBE in q["sql"]]
    assert len(probes) == 2 and "people_household" in probes[0] and "incidents_incident" in probes[1], probes
