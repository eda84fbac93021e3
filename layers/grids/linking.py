"""Set-based grid linking: one UPDATE for a whole table (the trigger does single rows).

The rule is the database's (layers/sql/0002_grid_linking.sql, ``gridmap_grid_for_point``):
a point covered by several grids (on a shared border) goes to the grid with the smallest
code; a point outside every grid gets NULL and is reported as unassigned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, transaction

POINT_TABLES = {"household": "people_household", "incident": "incidents_incident"}

# DISTINCT ON keeps, for each point, the covering grid with the smallest code (the rule of
# gridmap_grid_for_point); points without a covering grid get NULL through the LEFT JOIN.
# The lateral subquery runs grid by grid over the points' GiST index (OFFSET 0 keeps the
# planner from flattening it into a point-by-point join): PostGIS then prepares each grid
# polygon once and tests every point in its box against it, ~7× faster than probing the
# grid index once per point.
_RELINK_SQL_TEMPLATE = """
WITH hit AS (
    SELECT DISTINCT ON (p.id) p.id, g.id AS grid_id
      FROM grids_grid g
     CROSS JOIN LATERAL (SELECT p.id FROM {table} p WHERE ST_Covers(g.geom, p.geom) OFFSET 0) p
     ORDER BY p.id, g.code
), target AS (
    SELECT p.id, hit.grid_id FROM {table} p LEFT JOIN hit ON hit.id = p.id
)
UPDATE {table} p SET grid_id = target.grid_id
  FROM target
 WHERE p.id = target.id AND p.grid_id IS DISTINCT FROM target.grid_id
"""


def relink_sql(table: str) -> str:
    """The set-based re-link statement for a table of points with id, geom and grid_id
    (people_household, incidents_incident, or an importer's staging table).

    Run it with ``gridmap.set_based_linking`` on in the transaction (see link_all)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):  # a name formatted into SQL: plain identifiers only
        msg = f"not a plain table name: {table!r}"
        raise ValueError(msg)
    return _RELINK_SQL_TEMPLATE.format(table=table)


@dataclass(frozen=True)
class LinkCounts:
    """How many rows of a table changed grid in one set-based pass."""

    table: str
    changed: int


def link_all(kinds: tuple[str, ...] = ("household", "incident")) -> list[LinkCounts]:
    """Re-link every household and incident to its grid in one statement per table."""
    results = []
    with transaction.atomic(), connection.cursor() as cur:
        # The rows written here carry their final grid: tell the row trigger to let them be.
        cur.execute("SELECT set_config('gridmap.set_based_linking', 'on', true)")
        # One long statement: compiling it with JIT costs more than it saves.
        cur.execute("SELECT set_config('jit', 'off', true)")
        for kind in kinds:
            table = POINT_TABLES[kind]
            cur.execute(relink_sql(table))
            results.append(LinkCounts(kind, cur.rowcount))
        cur.execute("SELECT set_config('gridmap.set_based_linking', 'off', true)")
    return results


@dataclass(frozen=True)
class CommunityCount:
    code: str
    name: str
    households: int
    incidents: int


def counts_per_community() -> list[CommunityCount]:
    """Households and incidents linked to the grids of each community."""
    sql = """
        SELECT c.code, c.name,
               (SELECT count(*) FROM people_household h JOIN grids_grid g ON g.id = h.grid_id
                 WHERE g.community_id = c.id),
               (SELECT count(*) FROM incidents_incident i JOIN grids_grid g ON g.id = i.grid_id
                 WHERE g.community_id = c.id)
          FROM grids_community c ORDER BY c.code
    """
    with connection.cursor() as cur:
        cur.execute(sql)
        return [CommunityCount(*row) for row in cur.fetchall()]


def unassigned_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        result = {}
        for kind, table in POINT_TABLES.items():
            cur.execute(f"SELECT count(*) FROM {table} WHERE grid_id IS NULL")  # noqa: S608 (fixed names)
            result[kind] = cur.fetchone()[0]
        return result
