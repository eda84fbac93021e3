"""Households and incidents a grid import would un-link.

Before the grids are written, the points linked to the grids the file changes are noted in
a temporary table; the writes then run in a savepoint (the database re-links the points of
every grid it redraws) and the points that ended up in no grid are counted per old grid.
The loader rolls the savepoint back and refuses the grids unless --allow-unlink.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from psycopg2 import sql

from layers.incidents.models import Incident
from layers.people.models import Household

LINKED = "gridmap_import_linked"


@dataclass(frozen=True)
class Unlinked:
    grid_id: int
    households: int
    incidents: int


def note(grid_ids: list[int]) -> None:
    """Remember which households and incidents the grids ``grid_ids`` hold now."""
    with connection.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(LINKED)))
        cur.execute(sql.SQL("""
            CREATE TEMP TABLE {linked} AS
            SELECT 'household'::text AS kind, id, grid_id FROM {households} WHERE grid_id = ANY(%s)
            UNION ALL
            SELECT 'incident', id, grid_id FROM {incidents} WHERE grid_id = ANY(%s)
        """).format(linked=sql.Identifier(LINKED), households=sql.Identifier(Household._meta.db_table),
                    incidents=sql.Identifier(Incident._meta.db_table)), [grid_ids, grid_ids])


def unlinked() -> list[Unlinked]:
    """Per grid noted before: its points that now lie in no grid."""
    with connection.cursor() as cur:
        cur.execute(sql.SQL("""
            SELECT s.grid_id, count(*) FILTER (WHERE s.kind = 'household'), count(*) FILTER (WHERE s.kind = 'incident')
              FROM {linked} s
              LEFT JOIN {households} h ON s.kind = 'household' AND h.id = s.id
              LEFT JOIN {incidents} i ON s.kind = 'incident' AND i.id = s.id
             WHERE coalesce(h.grid_id, i.grid_id) IS NULL AND (h.id IS NOT NULL OR i.id IS NOT NULL)
             GROUP BY s.grid_id ORDER BY s.grid_id
        """).format(linked=sql.Identifier(LINKED), households=sql.Identifier(Household._meta.db_table),
                    incidents=sql.Identifier(Incident._meta.db_table)))
        return [Unlinked(*row) for row in cur.fetchall()]


def drop() -> None:
    with connection.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(LINKED)))
