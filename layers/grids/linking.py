"""Which grid holds a point: Python's door to the one rule, which lives in the database
(layers/grids/sql/0001_grid_for_point.sql): a point covered by several grids (on a shared
border) goes to the grid with the smallest code; a point outside every grid gets NULL and
is reported as unassigned.

Rows are linked by the database itself (triggers on every insert and move, and when a grid
changes); this module asks the same functions for one point (:func:`grid_for_point`) or
re-links whole tables set-based (:func:`link_all`, :func:`relink_sql` for staging tables).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from psycopg2 import sql

from layers.grids.models import Grid

POINT_TABLES = {"household": "people_household", "incident": "incidents_incident"}


def grid_for_point(point: Point) -> Grid | None:
    """The grid holding ``point`` (any SRID; transformed by PostGIS), or None outside every grid."""
    with connection.cursor() as cur:
        cur.execute("SELECT gridmap_grid_for_point(ST_Transform(ST_GeomFromEWKT(%s), 4326))", [point.ewkt])
        grid_id = cur.fetchone()[0]
    return None if grid_id is None else Grid.objects.select_related("community").get(pk=grid_id)


def relink_sql(table: str) -> sql.Composed:
    """The statement re-linking every row of ``table`` (a table of points with id, geom and
    grid_id: people_household, incidents_incident, or an importer's staging table); its one
    result row is the number of rows whose grid changed.

    Run it with ``gridmap.set_based_linking`` on in the transaction (see link_all)."""
    return sql.SQL("SELECT gridmap_relink_points({}::regclass)").format(sql.Literal(table))


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
            cur.execute(relink_sql(POINT_TABLES[kind]))
            results.append(LinkCounts(kind, cur.fetchone()[0]))
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
    query = """
        SELECT c.code, c.name,
               (SELECT count(*) FROM people_household h JOIN grids_grid g ON g.id = h.grid_id
                 WHERE g.community_id = c.id),
               (SELECT count(*) FROM incidents_incident i JOIN grids_grid g ON g.id = i.grid_id
                 WHERE g.community_id = c.id)
          FROM grids_community c ORDER BY c.code
    """
    with connection.cursor() as cur:
        cur.execute(query)
        return [CommunityCount(*row) for row in cur.fetchall()]


def unassigned_counts() -> dict[str, int]:
    """Households and incidents outside every grid."""
    with connection.cursor() as cur:
        result = {}
        for kind, table in POINT_TABLES.items():
            cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE grid_id IS NULL").format(sql.Identifier(table)))
            result[kind] = cur.fetchone()[0]
        return result
