"""Boundary topology checks of an import, before anything is written, for every level
(区 district, 街道 street, 社区 community, 网格 grid).

The boundaries of the file are put in a temporary table next to the stored ones they would
join; then SQL finds, with the areas measured on the geography (m², like the database
triggers in layers/grids/sql/0001_topology.sql and 0002_boundary_topology.sql and with
their tolerance):

- overlaps between two siblings (grids of one community, communities of one street, streets
  of one district, any two districts), file against file and file against the stored
  boundaries the file does not replace;
- boundaries leaving their parent, or lying wholly outside it;
- the stored children a changed boundary would leave outside (grids of a community,
  communities of a street, streets of a district);
- gaps (grids only): the parts of each community the grids would not cover.

The triggers stay the last line of defence: these checks make sure the user hears about
every problem at once, with feature numbers, instead of the first one a trigger meets.

SQL is composed with psycopg2.sql: table and column names come from :data:`TABLES` (fixed
in this module), values are bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from psycopg2 import sql

STAGE = "gridmap_import_boundaries"


@dataclass(frozen=True)
class Tables:
    """The level's table, the FK column to its parent and the parent's table, and its
    children's table and FK column (empty for the bottom and top of the hierarchy)."""

    table: str
    parent_column: str = ""
    parent_table: str = ""
    child_table: str = ""
    child_column: str = ""


TABLES: dict[str, Tables] = {
    "district": Tables("grids_district", child_table="grids_street", child_column="district_id"),
    "street": Tables("grids_street", "district_id", "grids_district", "grids_community", "street_id"),
    "community": Tables("grids_community", "street_id", "grids_street", "grids_grid", "community_id"),
    "grid": Tables("grids_grid", "community_id", "grids_community"),
}


@dataclass(frozen=True)
class StagedBoundary:
    number: int
    code: str
    parent_id: int | None
    self_id: int | None  # the stored row it replaces (same code), if any
    wkb: bytes


@dataclass(frozen=True)
class Overlap:
    number: int
    code: str
    other_number: int | None  # None: a stored boundary the file keeps
    other_code: str
    other_name: str
    area_m2: float


@dataclass(frozen=True)
class Outside:
    number: int
    code: str
    parent_code: str
    parent_name: str
    area_m2: float
    wholly: bool  # does not even touch its parent
    distance_m: float


@dataclass(frozen=True)
class ChildOutside:
    number: int
    code: str
    child_code: str
    child_name: str
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


def _fetch(query: sql.Composable, params: list, kind: type) -> list:
    with connection.cursor() as cur:
        cur.execute(query, params)
        return [kind(*row) for row in cur.fetchall()]


def _names(level: str) -> dict[str, sql.Composable]:
    t = TABLES[level]
    return {
        "stage": sql.Identifier(STAGE),
        "table": sql.Identifier(t.table),
        "parent_table": sql.Identifier(t.parent_table or t.table),
        "parent_column": sql.Identifier(t.parent_column or "id"),
        "child_table": sql.Identifier(t.child_table or t.table),
        "child_column": sql.Identifier(t.child_column or "id"),
    }


def stage(rows: list[StagedBoundary]) -> None:
    with connection.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGE)))
        cur.execute(sql.SQL("CREATE TEMP TABLE {} (row_number integer, code text, parent_id bigint, self_id bigint, "
                            "name text DEFAULT '', geom geometry(MultiPolygon, 4326))").format(sql.Identifier(STAGE)))
        cur.executemany(
            sql.SQL("INSERT INTO {} (row_number, code, parent_id, self_id, geom) "
                    "VALUES (%s, %s, %s, %s, ST_Multi(ST_GeomFromWKB(%s, 4326)))").format(sql.Identifier(STAGE)),
            [(r.number, r.code, r.parent_id, r.self_id, r.wkb) for r in rows],
        )
        cur.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(sql.Identifier(STAGE)))


def drop() -> None:
    with connection.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGE)))


def _future(level: str) -> sql.Composable:
    """The level's boundaries after the import where the file's rows go: the file's, plus the
    stored ones it does not replace (of the touched parents; every district for districts)."""
    names = _names(level)
    if level == "district":
        parent, touched = sql.SQL("NULL::bigint"), sql.SQL("TRUE")
    else:
        parent = sql.SQL("g.{parent_column}").format(**names)
        touched = sql.SQL("g.{parent_column} IN (SELECT parent_id FROM {stage})").format(**names)
    return sql.SQL("""
        SELECT s.row_number, s.code, s.name, s.parent_id, s.geom FROM {stage} s
        UNION ALL
        SELECT NULL, g.code, g.name, {parent}, g.geom FROM {table} g
         WHERE {touched} AND g.id NOT IN (SELECT self_id FROM {stage} WHERE self_id IS NOT NULL)
    """).format(parent=parent, touched=touched, **names)


def overlaps(level: str, tolerance: float) -> list[Overlap]:
    query = sql.SQL("""
        WITH future AS ({future}),
        pairs AS (
            SELECT a.row_number, a.code, b.row_number AS other_row, b.code AS other_code, b.name AS other_name,
                   ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS area
              FROM {stage} a JOIN future b
                ON b.parent_id IS NOT DISTINCT FROM a.parent_id AND ST_Intersects(a.geom, b.geom)
               AND b.row_number IS DISTINCT FROM a.row_number
        )
        SELECT * FROM pairs WHERE area > %s ORDER BY row_number, other_code
    """).format(future=_future(level), **_names(level))
    return _fetch(query, [tolerance], Overlap)


def outside(level: str, tolerance: float) -> list[Outside]:
    """Boundaries leaving their parent by more than the tolerance, or not touching it at all."""
    if level == "district":
        return []
    query = sql.SQL("""
        SELECT * FROM (
            SELECT s.row_number, s.code, p.code AS parent_code, p.name, ST_Area(ST_Difference(s.geom, p.geom)::geography) AS area,
                   NOT ST_Intersects(s.geom, p.geom) AS wholly,
                   ST_Distance(s.geom::geography, p.geom::geography) AS distance
              FROM {stage} s JOIN {parent_table} p ON p.id = s.parent_id
        ) x WHERE area > %s OR wholly ORDER BY row_number
    """).format(**_names(level))
    return _fetch(query, [tolerance], Outside)


def children_outside(level: str, tolerance: float) -> list[ChildOutside]:
    """Stored children of the replaced boundaries that the new shapes would leave outside."""
    if level == "grid":
        return []
    query = sql.SQL("""
        SELECT * FROM (
            SELECT s.row_number, s.code, c.code AS child_code, c.name, ST_Area(ST_Difference(c.geom, s.geom)::geography) AS area
              FROM {stage} s JOIN {child_table} c ON c.{child_column} = s.self_id
        ) x WHERE area > %s ORDER BY row_number, child_code
    """).format(**_names(level))
    return _fetch(query, [tolerance], ChildOutside)


def gaps(tolerance: float) -> list[Gap]:
    """Grids only: the parts of each community the grids would not cover."""
    query = sql.SQL("""
        WITH future AS ({future}),
        covered AS (SELECT parent_id, ST_Union(geom) AS geom FROM future GROUP BY parent_id),
        holes AS (
            SELECT c.code, c.name, (ST_Dump(ST_Difference(c.geom, v.geom))).geom AS geom
              FROM grids_community c JOIN covered v ON v.parent_id = c.id
        )
        SELECT code, name, ST_Area(geom::geography) AS area, ST_X(ST_PointOnSurface(geom)),
               ST_Y(ST_PointOnSurface(geom))
          FROM holes WHERE ST_Dimension(geom) = 2 AND ST_Area(geom::geography) > %s
         ORDER BY code, area DESC
    """).format(future=_future("grid"))
    return _fetch(query, [tolerance], Gap)


def district_extent() -> tuple[float, float, float, float] | None:
    """The bounding box (lon/lat) of the stored districts, None when there is none."""
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                    "FROM (SELECT ST_Extent(geom) AS e FROM grids_district) x")
        row = cur.fetchone()
    return None if row is None or row[0] is None else tuple(float(v) for v in row)


def district_names() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT string_agg(name || ' ' || code, '、' ORDER BY code) FROM grids_district")
        return cur.fetchone()[0] or ""


def community_by_location(wkb: bytes) -> tuple[int, str, float] | None:
    """The community holding most of the polygon's area: (id, code, share of the area 0–1)."""
    query = """
        WITH g AS (SELECT ST_GeomFromWKB(%s, 4326) AS geom)
        SELECT c.id, c.code, ST_Area(ST_Intersection(c.geom, g.geom)::geography) / NULLIF(ST_Area(g.geom::geography), 0)
          FROM grids_community c, g WHERE ST_Intersects(c.geom, g.geom)
         ORDER BY ST_Area(ST_Intersection(c.geom, g.geom)::geography) DESC LIMIT 1
    """
    with connection.cursor() as cur:
        cur.execute(query, [wkb])
        row = cur.fetchone()
    return (row[0], row[1], float(row[2] or 0.0)) if row else None


def same_grid(community_id: int, wkb: bytes, tolerance: float) -> tuple[int, str] | None:
    """A stored grid of the community with the same shape (symmetric difference ≤ tolerance m²)."""
    query = """
        WITH g AS (SELECT ST_GeomFromWKB(%s, 4326) AS geom)
        SELECT s.id, s.code FROM grids_grid s, g
         WHERE s.community_id = %s AND ST_Intersects(s.geom, g.geom)
           AND ST_Area(ST_SymDifference(s.geom, g.geom)::geography) <= %s
         ORDER BY s.code LIMIT 1
    """
    with connection.cursor() as cur:
        cur.execute(query, [wkb, community_id, tolerance])
        row = cur.fetchone()
    return (row[0], row[1]) if row else None
