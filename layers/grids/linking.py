"""Which grid holds a point: Python's door to the one rule, which lives in the database
(layers/grids/sql/0001_grid_for_point.sql): a point covered by several grids (on a shared
border) goes to the grid with the smallest code; a point outside every grid gets NULL and
is reported as unassigned.

Rows are linked by the database itself (triggers on every insert and move, and when a grid
changes); this module asks the same functions for one point (:func:`grid_for_point`) or
re-links whole tables in bulk (:func:`link_all`, :func:`link_table` for staging tables).

Bulk re-linking (:func:`link_table`) computes the grids on arrays (layers.grids.bulk_link:
shapely's STRtree, the SQL rule deciding every point within a hair of an edge, so the answer
is the rule's) and writes back only the rows whose grid changes: the points are read with one
binary COPY, the changed (id, x, y, grid) go back with one binary COPY into a temporary table,
then one UPDATE … FROM per district. While it runs the grids are locked against writes
(SHARE: readers and household/incident writers go on, a grid edit waits), and the UPDATE
only touches a row still at the position that was read, so a row moved meanwhile keeps
the grid its own trigger gave it. The row trigger is told to let the UPDATE's rows be by
``gridmap.set_based_linking``, set for this transaction only (set_config(..., true)) and
only around that statement: every other statement, in this session or another, is still
linked by the trigger. (``ALTER TABLE … DISABLE TRIGGER`` would switch the rule off for
every session and take an exclusive lock.) :func:`relink_sql` is the same re-link done by
the database alone (``method="sql"``), kept as the reference the bulk path is tested against.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from psycopg2 import sql

from layers.grids.bulk_link import ASK_DATABASE, NO_GRID, GridSet, grids_for_points
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


def link_all(kinds: tuple[str, ...] = ("household", "incident"), *, method: str = "bulk") -> list[LinkCounts]:
    """Re-link every household and incident to its grid, writing only rows whose grid changes.

    ``method="bulk"`` (default): :func:`link_table`; ``"sql"``: one statement per table in
    the database alone (:func:`relink_sql`), the reference the bulk path is tested against.
    """
    if method not in ("bulk", "sql"):
        msg = f"method must be 'bulk' or 'sql', not {method!r}"
        raise ValueError(msg)
    results = []
    with transaction.atomic(), connection.cursor() as cur:
        if method == "bulk":
            grids = lock_and_load_grids(cur)
            for kind in kinds:
                results.append(LinkCounts(kind, link_table(cur, POINT_TABLES[kind], grids)))
            return results
        # One long statement: compiling it with JIT costs more than it saves.
        cur.execute("SELECT set_config('jit', 'off', true)")
        for kind in kinds:
            with _set_based_linking(cur):
                cur.execute(relink_sql(POINT_TABLES[kind]))
                results.append(LinkCounts(kind, cur.fetchone()[0]))
    return results


@contextmanager
def _set_based_linking(cur) -> Iterator[None]:
    """The row trigger lets the rows of the enclosed statements be (they carry their grid).
    For this transaction only; if a statement fails, its rollback undoes the setting too."""
    cur.execute("SELECT set_config('gridmap.set_based_linking', 'on', true)")
    yield
    cur.execute("SELECT set_config('gridmap.set_based_linking', 'off', true)")


# --- bulk re-linking ----------------------------------------------------------------------------

LINK_TEMP = "gridmap_bulk_link"
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"
# One row of (id bigint, x float8, y float8, grid_id bigint) in COPY's binary format:
# the field count, then each field's byte length and big-endian value.
_ROW = np.dtype([("n", ">i2"), ("l_id", ">i4"), ("id", ">i8"), ("l_x", ">i4"), ("x", ">f8"),
                 ("l_y", ">i4"), ("y", ">f8"), ("l_grid", ">i4"), ("grid", ">i8")])


def lock_and_load_grids(cur) -> GridSet:
    """Lock the grids against writes until the transaction ends (SHARE: a grid edit waits, so
    no grid changes between computing the links and writing them) and load them."""
    cur.execute("LOCK TABLE grids_grid IN SHARE MODE")
    cur.execute("SELECT id, code, ST_AsBinary(geom) FROM grids_grid")
    rows = cur.fetchall()
    return GridSet.from_wkb([r[0] for r in rows], [r[1] for r in rows], [bytes(r[2]) for r in rows])


def district_batches(cur, table: str) -> list[sql.Composable]:
    """The condition (on alias ``p``) of each batch of ``table``: one per district code when
    the table has ``district_code`` (the partition key: each batch then reads and writes one
    partition), else one batch of the whole table. The one place that splits bulk work by
    district. The codes come from the table itself and are quoted by psycopg2 (sql.Literal):
    the COPY that reads a batch cannot take bound parameters."""
    cur.execute("SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'district_code' "
                "AND attnum > 0 AND NOT attisdropped", [table])
    if cur.fetchone() is None:
        return [sql.SQL("true")]
    cur.execute(sql.SQL("SELECT DISTINCT district_code FROM {} ORDER BY 1").format(sql.Identifier(table)))
    return [sql.SQL("p.district_code = {}").format(sql.Literal(code)) for (code,) in cur.fetchall()]


def link_table(cur, table: str, grids: GridSet | None = None) -> int:
    """Re-link every row of ``table`` (a table of points with id, geom and grid_id in WGS84:
    people_household, incidents_incident or a staging table) to the grid the rule gives,
    writing only rows whose grid changes; returns how many changed. Runs in the caller's
    transaction; ``grids`` from :func:`lock_and_load_grids` (loaded and locked when None)."""
    if grids is None:
        grids = lock_and_load_grids(cur)
    target = sql.Identifier(table)
    temp = sql.Identifier(LINK_TEMP)
    changed = 0
    for where in district_batches(cur, table):
        ids, x, y, old = _read_points(cur, target, where)
        new = grids_for_points(x, y, grids)
        send = (new != old) | (new == ASK_DATABASE)
        if not send.any():
            continue
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(temp))
        cur.execute(sql.SQL("CREATE TEMP TABLE {} (id bigint, x float8, y float8, grid_id bigint)").format(temp))
        cur.copy_expert(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(temp).as_string(cur.connection),
                        io.BytesIO(_encode_rows(ids[send], x[send], y[send], new[send])))
        # Points within a hair of an edge: the SQL rule itself decides (layers.grids.bulk_link).
        cur.execute(sql.SQL("UPDATE {temp} t SET grid_id = coalesce(gridmap_grid_for_point(p.geom), {none}) "
                            "FROM {target} p WHERE t.grid_id = {ask} AND p.id = t.id").format(
            temp=temp, target=target, none=sql.Literal(NO_GRID), ask=sql.Literal(ASK_DATABASE)))
        cur.execute(sql.SQL("ANALYZE {}").format(temp))
        with _set_based_linking(cur):
            cur.execute(sql.SQL(
                "UPDATE {target} p SET grid_id = nullif(t.grid_id, {none}) FROM {temp} t "
                "WHERE p.id = t.id AND {where} AND ST_X(p.geom) = t.x AND ST_Y(p.geom) = t.y "
                "AND p.grid_id IS DISTINCT FROM nullif(t.grid_id, {none})"
            ).format(target=target, temp=temp, where=where, none=sql.Literal(NO_GRID)))
            changed += cur.rowcount
        cur.execute(sql.SQL("DROP TABLE {}").format(temp))
    return changed


def link_rows_into(cur, rows: sql.Composable, into: str, grids: GridSet | None = None) -> None:
    """Create the temporary table ``into`` (id bigint, grid_id bigint) holding the grid the
    rule gives each row of ``rows``, a query of (id, geom) in WGS84 (e.g. an importer's staged
    points, before they are written). ``grids`` from :func:`lock_and_load_grids` (loaded and
    locked until the transaction ends when None, so no grid changes before the rows are written)."""
    if grids is None:
        grids = lock_and_load_grids(cur)
    ident = sql.Identifier(into)
    points = sql.SQL("SELECT q.id::bigint, ST_X(q.geom), ST_Y(q.geom), {none}::bigint FROM ({rows}) q").format(
        none=sql.Literal(NO_GRID), rows=rows)
    ids, x, y, _ = _copy_out(cur, points)
    found = grids_for_points(x, y, grids)
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident))
    cur.execute(sql.SQL("CREATE TEMP TABLE {} (id bigint, x float8, y float8, grid_id bigint)").format(ident))
    cur.copy_expert(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(ident).as_string(cur.connection),
                    io.BytesIO(_encode_rows(ids, x, y, found)))
    cur.execute(sql.SQL("UPDATE {t} SET grid_id = coalesce(gridmap_grid_for_point(ST_SetSRID(ST_MakePoint(x, y), "
                        "4326)), {none}) WHERE grid_id = {ask}").format(
        t=ident, none=sql.Literal(NO_GRID), ask=sql.Literal(ASK_DATABASE)))
    cur.execute(sql.SQL("UPDATE {t} SET grid_id = NULL WHERE grid_id = {none}").format(
        t=ident, none=sql.Literal(NO_GRID)))
    cur.execute(sql.SQL("ALTER TABLE {t} DROP COLUMN x, DROP COLUMN y, ADD PRIMARY KEY (id)").format(t=ident))
    cur.execute(sql.SQL("ANALYZE {}").format(ident))


def _read_points(cur, target: sql.Identifier, where: sql.Composable):
    """(ids, x, y, grid ids with NO_GRID for none) of the batch's rows, by one binary COPY."""
    return _copy_out(cur, sql.SQL("SELECT p.id::bigint, ST_X(p.geom), ST_Y(p.geom), coalesce(p.grid_id, {none})::bigint "
                                  "FROM {target} p WHERE {where}").format(none=sql.Literal(NO_GRID), target=target,
                                                                          where=where))


def _copy_out(cur, query: sql.Composable):
    """(ids, x, y, grid ids) of a query of (id, x, y, grid) without NULLs, by one binary COPY."""
    buf = io.BytesIO()
    cur.copy_expert(sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(query).as_string(cur.connection), buf)
    rows = _decode_rows(buf.getbuffer())
    return (rows["id"].astype(np.int64), rows["x"].astype(np.float64), rows["y"].astype(np.float64),
            rows["grid"].astype(np.int64))


def _decode_rows(data) -> np.ndarray:
    header = len(_COPY_HEADER)
    if bytes(data[:11]) != _COPY_HEADER[:11] or int.from_bytes(data[15:19], "big") != 0:
        msg = "unexpected COPY binary header"
        raise ValueError(msg)
    count = (len(data) - header - len(_COPY_TRAILER)) // _ROW.itemsize
    rows = np.frombuffer(data, dtype=_ROW, offset=header, count=count)
    if count and not ((rows["n"] == 4) & (rows["l_id"] == 8) & (rows["l_x"] == 8) & (rows["l_y"] == 8)
                      & (rows["l_grid"] == 8)).all():
        msg = "unexpected COPY binary row (a NULL id or position?)"
        raise ValueError(msg)
    return rows


def _encode_rows(ids, x, y, grid) -> bytes:
    rows = np.empty(len(ids), dtype=_ROW)
    rows["n"] = 4
    rows["l_id"] = rows["l_x"] = rows["l_y"] = rows["l_grid"] = 8
    rows["id"], rows["x"], rows["y"], rows["grid"] = ids, x, y, grid
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


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
