"""The tables that grow with a province (the partitioned ones) carry no index another already
serves: every row written pays for every index, and a walking-time row is written per
household and facility type (150 million at 10 million households)."""

from __future__ import annotations

import pytest
from django.db import connection

from layers.grids.partitions import PARTITIONED_TABLES

pytestmark = pytest.mark.django_db

# A plain btree index (not unique, not partial, no expressions, no INCLUDE) whose key columns
# lead another btree index of the same table, in the same order: that one serves its searches.
REDUNDANT = """
    SELECT a.indexrelid::regclass::text, b.indexrelid::regclass::text
      FROM pg_index a
      JOIN pg_index b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
      JOIN pg_class ia ON ia.oid = a.indexrelid JOIN pg_am ma ON ma.oid = ia.relam
      JOIN pg_class ib ON ib.oid = b.indexrelid JOIN pg_am mb ON mb.oid = ib.relam
     WHERE a.indrelid = ANY(%s::regclass[]) AND ma.amname = 'btree' AND mb.amname = 'btree'
       AND NOT a.indisunique AND a.indpred IS NULL AND a.indexprs IS NULL AND a.indnatts = a.indnkeyatts
       AND b.indpred IS NULL AND b.indexprs IS NULL AND a.indnkeyatts <= b.indnkeyatts
       AND (a.indkey::int2[])[0:a.indnkeyatts - 1] = (b.indkey::int2[])[0:a.indnkeyatts - 1]
     ORDER BY 1, 2
"""


def test_no_index_of_a_partitioned_table_repeats_another():
    with connection.cursor() as cur:
        cur.execute(REDUNDANT, [list(PARTITIONED_TABLES)])
        assert cur.fetchall() == []


@pytest.mark.parametrize(("table", "condition"), [
    ("facilities_householdaccess", "household_id = 1"),  # a household's times (its deletion)
    ("facilities_householdaccess", "facility_id = 1"),  # a facility's (its deletion)
    ("facilities_householdaccess", "facility_type_id = 1"),  # a type's (coverage)
    ("incidents_incident", "grid_id = 1"),  # a grid worker's cases
    ("incidents_incident", "category_id = 1"),  # a category's (its deletion is refused while used)
    ("incidents_incidenttransition", "incident_id = 1"),  # a case's history
])
def test_what_the_dropped_indexes_served_is_still_an_index_search(table, condition):
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute(f"EXPLAIN SELECT * FROM {table} WHERE {condition}")
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Index" in plan and "Seq Scan" not in plan, plan
