"""Grid topology checks of an import, before anything is written.

The grids of the file are put in a temporary table next to the stored grids they would
join; then SQL finds, with the areas measured on the geography (m², like the database
trigger in layers/grids/sql/0001_topology.sql and with its tolerance):

- overlaps between two grids of one community (file against file, and file against the
  stored grids the file does not replace);
- grids leaving their community;
- gaps: the parts of each community the grids would not cover.

The trigger stays the last line of defence: these checks only make sure the user hears
about every problem at once, with row numbers, instead of the first one the trigger meets.
"""

# SQL here is formatted only with fixed table and column names from this code; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

GRID_STAGE = "gridmap_import_grids"


@dataclass(frozen=True)
class StagedGrid:
    number: int
    code: str
    community_id: int
    grid_id: int | None  # the stored grid it replaces (same code), if any
    wkb: bytes


@dataclass(frozen=True)
class Overlap:
    number: int
    code: str
    other_number: int | None  # None: a stored grid the file keeps
    other_code: str
    other_name: str
    area_m2: float


@dataclass(frozen=True)
class Outside:
    number: int
    code: str
    community_code: str
    community_name: str
    area_m2: float


@dataclass(frozen=True)
class Gap:
    community_code: str
    community_name: str
    area_m2: float
    lon: float
    lat: float


def tolerance_m2() -> float:
    """The sliver area (m²) the database accepts (gridmap.topology_tolerance_m2, default 1)."""
    with connection.cursor() as cur:
        cur.execute("SELECT gridmap_topology_tolerance_m2()")
        return float(cur.fetchone()[0])


def stage(grids: list[StagedGrid]) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {GRID_STAGE}")
        cur.execute(f"CREATE TEMP TABLE {GRID_STAGE} (row_number integer, code text, community_id bigint, "
                    "grid_id bigint, name text DEFAULT '', geom geometry(MultiPolygon, 4326))")
        cur.executemany(
            f"INSERT INTO {GRID_STAGE} (row_number, code, community_id, grid_id, geom) "
            "VALUES (%s, %s, %s, %s, ST_Multi(ST_GeomFromWKB(%s, 4326)))",
            [(g.number, g.code, g.community_id, g.grid_id, g.wkb) for g in grids],
        )
        cur.execute(f"CREATE INDEX ON {GRID_STAGE} USING gist (geom)")


def drop() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {GRID_STAGE}")


# The grids of the touched communities after the import: the file's, plus the stored ones it
# does not replace.
_FUTURE = f"""
    SELECT s.row_number, s.code, s.name, s.community_id, s.geom FROM {GRID_STAGE} s
    UNION ALL
    SELECT NULL, g.code, g.name, g.community_id, g.geom FROM grids_grid g
     WHERE g.community_id IN (SELECT community_id FROM {GRID_STAGE})
       AND g.id NOT IN (SELECT grid_id FROM {GRID_STAGE} WHERE grid_id IS NOT NULL)
"""


def overlaps(tolerance: float) -> list[Overlap]:
    sql = f"""
        WITH future AS ({_FUTURE}),
        pairs AS (
            SELECT a.row_number, a.code, b.row_number AS other_row, b.code AS other_code, b.name AS other_name,
                   ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS area
              FROM {GRID_STAGE} a JOIN future b
                ON b.community_id = a.community_id AND ST_Intersects(a.geom, b.geom)
               AND b.row_number IS DISTINCT FROM a.row_number
        )
        SELECT * FROM pairs WHERE area > %s ORDER BY row_number, other_code
    """
    with connection.cursor() as cur:
        cur.execute(sql, [tolerance])
        return [Overlap(*row) for row in cur.fetchall()]


def outside(tolerance: float) -> list[Outside]:
    sql = f"""
        SELECT * FROM (
            SELECT s.row_number, s.code, c.code, c.name, ST_Area(ST_Difference(s.geom, c.geom)::geography) AS area
              FROM {GRID_STAGE} s JOIN grids_community c ON c.id = s.community_id
        ) x WHERE area > %s ORDER BY row_number
    """
    with connection.cursor() as cur:
        cur.execute(sql, [tolerance])
        return [Outside(*row) for row in cur.fetchall()]


def gaps(tolerance: float) -> list[Gap]:
    sql = f"""
        WITH future AS ({_FUTURE}),
        covered AS (SELECT community_id, ST_Union(geom) AS geom FROM future GROUP BY community_id),
        holes AS (
            SELECT c.code, c.name, (ST_Dump(ST_Difference(c.geom, v.geom))).geom AS geom
              FROM grids_community c JOIN covered v ON v.community_id = c.id
        )
        SELECT code, name, ST_Area(geom::geography) AS area, ST_X(ST_PointOnSurface(geom)),
               ST_Y(ST_PointOnSurface(geom))
          FROM holes WHERE ST_Dimension(geom) = 2 AND ST_Area(geom::geography) > %s
         ORDER BY code, area DESC
    """
    with connection.cursor() as cur:
        cur.execute(sql, [tolerance])
        return [Gap(*row) for row in cur.fetchall()]


def community_by_location(wkb: bytes) -> tuple[int, str, float] | None:
    """The community holding most of the polygon's area: (id, code, share of the area 0–1)."""
    sql = """
        WITH g AS (SELECT ST_GeomFromWKB(%s, 4326) AS geom)
        SELECT c.id, c.code, ST_Area(ST_Intersection(c.geom, g.geom)::geography) / NULLIF(ST_Area(g.geom::geography), 0)
          FROM grids_community c, g WHERE ST_Intersects(c.geom, g.geom)
         ORDER BY ST_Area(ST_Intersection(c.geom, g.geom)::geography) DESC LIMIT 1
    """
    with connection.cursor() as cur:
        cur.execute(sql, [wkb])
        row = cur.fetchone()
    return (row[0], row[1], float(row[2] or 0.0)) if row else None


def same_grid(community_id: int, wkb: bytes, tolerance: float) -> tuple[int, str] | None:
    """A stored grid of the community with the same shape (symmetric difference ≤ tolerance m²)."""
    sql = """
        WITH g AS (SELECT ST_GeomFromWKB(%s, 4326) AS geom)
        SELECT s.id, s.code FROM grids_grid s, g
         WHERE s.community_id = %s AND ST_Intersects(s.geom, g.geom)
           AND ST_Area(ST_SymDifference(s.geom, g.geom)::geography) <= %s
         ORDER BY s.code LIMIT 1
    """
    with connection.cursor() as cur:
        cur.execute(sql, [wkb, community_id, tolerance])
        row = cur.fetchone()
    return (row[0], row[1]) if row else None
