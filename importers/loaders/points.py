"""Point layers (households, incidents, facilities): stream the file through a staging table.

Each chunk is checked in pandas, and its good rows are sent with COPY into a temporary
table. Checks across rows run in SQL on that table (duplicate keys in the file, points
outside the district), so memory stays bounded however long the file. Writing is then two
set-based statements: an UPDATE of the rows whose natural key exists (only when something
changed: re-importing a file is idempotent) and an INSERT … SELECT of the others. The grid
of each new or moved point is computed set-based with layers.grids.linking's rule before writing
(the row trigger of layers/grids/sql/0001_grid_for_point.sql is told so, as link_all does);
``ImportOptions.trigger_linking`` leaves it to the trigger, row by row.
"""

# SQL is composed with psycopg2.sql: table and column names are sql.Identifier, fragments
# are sql.SQL built from constants of this code, values are bound parameters (ruff S608 on).

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Model
from psycopg2 import sql

from importers import checks
from importers.columns import Extent
from importers.loaders.base import ImportResult, Loader
from importers.readers import Chunk, ReadError, RowIssue, Source
from importers.report import Report
from layers.grids.limits import field_limit

# The linking rule of layers.grids.linking (smallest covering grid code wins), applied in bulk
# to the staged points before writing; see PointLoader.apply.
from layers.grids.linking import link_rows_into

STAGE = "gridmap_import_stage"
LINK = "gridmap_import_link"
STAGE_T, LINK_T = sql.Identifier(STAGE), sql.Identifier(LINK)
SAME_POINT_DEG = 1e-9
"""Coordinates closer than this (degrees, ~0.1 mm) are the same position."""
SWAP_EXTENT_PAD_DEG = 0.2
"""Padding (degrees, ~20 km) of the district's extent for the swapped lon/lat test."""
ANALYZE_AFTER_ROWS = 10_000
"""From this many rows written, an import readies the checks at commit (PointLoader._ready_checks_at_commit)."""


@dataclass(frozen=True)
class StageColumn:
    """A column of the staging table, written to the same-named column of the layer's table.

    ``field`` is the canonical field feeding it (None: always computed by the loader);
    ``default`` the SQL value inserted when the file has no value (a constant of this code,
    such as ``''`` or ``NULL``). ``keep_masked``: a value
    with '*' (from a masked export) keeps the stored value; ``keep_empty``: so does an
    empty cell (for numbers such as 人口数 that cannot be empty). ``free_text``: the cell is
    stored as typed, so it is held to the ``max_length`` of the model field of the same name
    (layers.grids.limits: the limit the form and the API apply too).
    """

    name: str
    sql_type: str
    default: str
    field: str | None = None
    keep_masked: bool = False
    keep_empty: bool = False
    free_text: bool = False

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.name)

    @property
    def type_sql(self) -> sql.SQL:
        return sql.SQL(self.sql_type)  # a type name of this code's column specs, never input

    @property
    def default_sql(self) -> sql.SQL:
        return sql.SQL(self.default)  # a constant of this code's column specs, never input


@dataclass(frozen=True)
class StageCheck:
    """A check across rows, run in SQL on the staging table ``s``."""

    kind: str
    condition: sql.Composable
    select: sql.Composable
    issue: Callable[[tuple], RowIssue]
    severity: str = "error"


class PointLoader(Loader):
    """Subclasses define the table, the natural key and the columns, and parse a chunk."""

    model: type[Model]
    table: str = ""
    key_columns: tuple[str, ...] = ("external_id",)
    key_field: str = "external_id"
    key_label: str = "编号"
    columns_spec: tuple[StageColumn, ...] = ()
    insert_constants: dict[str, str] = {}
    """Columns set to a constant on insert: name → SQL constant (e.g. "false")."""
    outside_severity: str = "error"
    grid_linked: bool = True
    needs_key: bool = True

    # --- set up ----------------------------------------------------------------------------------

    def prepare(self, source: Source, report: Report) -> None:
        self.source = source
        self.columns = source.columns
        if self.needs_key and self.key_field not in self.columns and not self.options.allow_no_key:
            msg = (f"{self.path.name}: 没有{self.key_label}列 (no {self.key_label}/external id column): re-importing "
                   f"would duplicate every row. Add a {self.key_label} column (map it with --mapping 'HEADER=external_id'), "
                   "or use --allow-no-key to create every row as new")
            raise ReadError(msg)
        self.present = [c for c in self.columns_spec
                        if c.field is None or c.field in self.columns or c.name in self.key_columns]
        self.extent, self.district_names = _district_extent()
        cols = sql.SQL(", ").join(sql.SQL("{} {}").format(c.ident, c.type_sql) for c in self.present)
        with connection.cursor() as cur:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(STAGE_T))
            cur.execute(sql.SQL(
                "CREATE TEMP TABLE {stage} (row_number integer NOT NULL, lon float8 NOT NULL, "
                "lat float8 NOT NULL, {cols}, rejected boolean NOT NULL DEFAULT false, "
                "id integer GENERATED ALWAYS AS (row_number) STORED, "
                "geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED)"
            ).format(stage=STAGE_T, cols=cols))

    def cleanup(self) -> None:
        with connection.cursor() as cur:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(STAGE_T))

    # --- chunks ------------------------------------------------------------------------------------

    def parse(self, chunk: Chunk, lon: np.ndarray, lat: np.ndarray) -> tuple[dict[str, object], list[RowIssue]]:
        """Stage values (by column name) and issues of one chunk."""
        raise NotImplementedError

    def key_values(self, chunk: Chunk) -> tuple[pd.Series, list[RowIssue]]:
        """The natural key of each row; an empty key is an error unless --allow-no-key."""
        values = checks.text(chunk, self.key_field).str.strip()
        issues = checks.too_long(chunk, self.columns, self.key_field, field_limit(self.model, self.key_columns[-1]))
        if self.key_field in self.columns and not self.options.allow_no_key:
            header = self.columns.header(self.key_field)
            issues += checks.issues_for(
                chunk, (values == "").to_numpy(), values, header, "missing_key",
                f"{header} 为空 (empty key: needed to update this row on re-import; or use --allow-no-key)")
        return values, issues

    def take(self, chunk: Chunk, report: Report) -> None:
        lon, lat, issues = checks.point_coordinates(chunk, self.columns, self.source.crs, swap_extent=self.extent)
        values, more = self.parse(chunk, lon, lat)
        more += self.length_issues(chunk)
        rejected = report.add([*chunk.issues, *issues, *more])
        keep = ~np.isin(chunk.numbers, np.fromiter(rejected, dtype=np.int64, count=len(rejected)))
        frame = pd.DataFrame({"row_number": chunk.numbers, "lon": lon, "lat": lat,
                              **{c.name: values[c.name] for c in self.present}})
        self._copy(frame[keep])

    def length_issues(self, chunk: Chunk) -> list[RowIssue]:
        """Cells longer than their model field allows (one limit for form, API and import)."""
        issues: list[RowIssue] = []
        for c in self.present:
            if c.free_text and c.field is not None and (limit := field_limit(self.model, c.name)):
                issues += checks.too_long(chunk, self.columns, c.field, limit)
        return issues

    def _copy(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns]
        buf = io.StringIO()
        csv.writer(buf).writerows(zip(*columns, strict=True))  # None → empty → NULL in COPY csv
        buf.seek(0)
        names = sql.SQL(", ").join(map(sql.Identifier, ["row_number", "lon", "lat", *(c.name for c in self.present)]))
        with connection.cursor() as cur:
            cur.copy_expert(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(STAGE_T, names), buf)

    # --- checks across rows ----------------------------------------------------------------------

    def table_sql(self) -> sql.Identifier:
        return sql.Identifier(self.table)

    def _keys(self, alias: str | None = None) -> sql.Composable:
        """The key columns, optionally qualified by ``alias``: (s.source, s.source_id)."""
        return sql.SQL(", ").join(sql.Identifier(alias, k) if alias else sql.Identifier(k) for k in self.key_columns)

    def _last_key(self, alias: str | None = None) -> sql.Identifier:
        key = self.key_columns[-1]
        return sql.Identifier(alias, key) if alias else sql.Identifier(key)

    def stage_checks(self) -> list[StageCheck]:
        label = self.columns.header(self.key_field) if self.key_field in self.columns else self.key_label
        found = [StageCheck(
            "duplicate",
            sql.SQL("{s_key} <> '' AND ({keys}) IN (SELECT {keys} FROM {stage} WHERE {key} <> '' GROUP BY {keys} "
                    "HAVING count(*) > 1)").format(s_key=self._last_key("s"), keys=self._keys(), stage=STAGE_T,
                                                   key=self._last_key()),
            sql.SQL("{s_key}, (SELECT array_agg(d.row_number ORDER BY d.row_number) FROM {stage} d "
                    "WHERE ({d_keys}) = ({s_keys}))").format(s_key=self._last_key("s"), stage=STAGE_T,
                                                             d_keys=self._keys("d"), s_keys=self._keys("s")),
            lambda r: RowIssue(r[0], label, r[1], f"{label} {r[1]} 在文件中重复 (duplicate key in the file: "
                               f"{self.source.label}s {', '.join(map(str, r[2][:10]))}); none of them is imported",
                               "duplicate"),
        )]
        if self.district_names:
            names = self.district_names
            found.append(StageCheck(
                "outside_district",
                sql.SQL("NOT EXISTS (SELECT 1 FROM grids_district d WHERE ST_Covers(d.geom, s.geom))"),
                sql.SQL("s.lon, s.lat"),
                lambda r: RowIssue(r[0], "geometry", f"{r[1]:.6f}, {r[2]:.6f}",
                                   f"({r[1]:.6f}, {r[2]:.6f}) 在辖区 {names} 之外 (outside the district; wrong --crs? "
                                   "GCJ-02/BD-09 points are 500 m off, projected metres need their EPSG code)",
                                   "outside_district", self.outside_severity),
                self.outside_severity,
            ))
        return found

    def check(self, report: Report) -> None:
        with connection.cursor() as cur:
            cur.execute(sql.SQL("CREATE INDEX ON {} ({})").format(STAGE_T, self._keys()))
            cur.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(STAGE_T))
            cur.execute(sql.SQL("ANALYZE {}").format(STAGE_T))
        for check in self.stage_checks():
            query = sql.SQL("SELECT s.row_number, {select} FROM {stage} s WHERE {condition} ORDER BY s.row_number").format(
                select=check.select, stage=STAGE_T, condition=check.condition)
            for batch in _stream(query):
                report.add([check.issue(row) for row in batch], count_rejected=False)
            if check.severity == "error":
                with connection.cursor() as cur:
                    cur.execute(sql.SQL("UPDATE {stage} s SET rejected = true WHERE NOT s.rejected AND {condition}").format(
                        stage=STAGE_T, condition=check.condition))
        with connection.cursor() as cur:
            cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE rejected").format(STAGE_T))
            report.rejected += cur.fetchone()[0]

    # --- writing ---------------------------------------------------------------------------------------

    def _match(self, alias: str = "t") -> sql.Composable:
        return sql.SQL(" AND ").join(sql.SQL("{} = {}").format(sql.Identifier(alias, k), sql.Identifier("s", k))
                                     for k in self.key_columns)

    def _new_value(self, c: StageColumn) -> sql.Composable:
        empty = sql.SQL("''") if c.sql_type == "text" else c.default_sql
        stored = sql.SQL("{}::{}").format(sql.Identifier("t", c.name), c.type_sql)  # varchar[] and text[] do not compare
        staged = sql.Identifier("s", c.name)
        if c.keep_masked:
            return sql.SQL("CASE WHEN {staged}::text LIKE '%%*%%' THEN {stored} ELSE coalesce({staged}, {empty}) END").format(
                staged=staged, stored=stored, empty=empty)
        if c.keep_empty:
            return sql.SQL("coalesce({}, {})").format(staged, stored)
        return sql.SQL("coalesce({}, {})").format(staged, empty)

    def _source(self, set_based: bool) -> sql.Composable:
        if set_based:
            # gd: the linked grid, whose code starts with its district's (the row's partition).
            return sql.SQL("{} s LEFT JOIN {} l ON l.id = s.id LEFT JOIN grids_grid gd ON gd.id = l.grid_id").format(
                STAGE_T, LINK_T)
        return sql.SQL("{} s").format(STAGE_T)

    def update_sql(self, set_based: bool = False) -> sql.Composable:
        cols = [c for c in self.present if c.name not in self.key_columns]
        moved = self._moved()
        sets = [*(sql.SQL("{} = {}").format(c.ident, self._new_value(c)) for c in cols), sql.SQL("geom = s.geom")]
        if set_based:
            sets.append(sql.SQL("grid_id = CASE WHEN {} THEN l.grid_id ELSE t.grid_id END").format(moved))
        if self.grid_linked:
            # A moved point may change district, and so partition (layers.grids.partitions).
            sets.append(sql.SQL("district_code = CASE WHEN {} THEN {} ELSE t.district_code END").format(
                moved, self._district_code(set_based)))
        one = sql.SQL("1")
        old = sql.SQL(", ").join(sql.SQL("{}::{}").format(sql.Identifier("t", c.name), c.type_sql) for c in cols) if cols else one
        new = sql.SQL(", ").join(self._new_value(c) for c in cols) if cols else one
        return sql.SQL(
            "UPDATE {table} t SET {sets} FROM {source} WHERE NOT s.rejected AND {s_key} <> '' AND {match} "
            "AND (({old}) IS DISTINCT FROM ({new}) OR {moved})"
        ).format(table=self.table_sql(), sets=sql.SQL(", ").join(sets), source=self._source(set_based),
                 s_key=self._last_key("s"), match=self._match(), old=old, new=new, moved=moved)

    def insert_sql(self, set_based: bool = False) -> sql.Composable:
        given: dict[str, sql.Composable] = {}
        for c in self.present:
            staged = sql.Identifier("s", c.name)
            if c.keep_masked:
                given[c.name] = sql.SQL("CASE WHEN {staged}::text LIKE '%%*%%' THEN {default} "
                                        "ELSE coalesce({staged}, {default}) END").format(staged=staged, default=c.default_sql)
            else:
                given[c.name] = sql.SQL("coalesce({}, {})").format(staged, c.default_sql)
        names = [*(c.ident for c in self.columns_spec), sql.Identifier("geom")]
        exprs = [*(given.get(c.name, c.default_sql) for c in self.columns_spec), sql.SQL("s.geom")]
        if set_based:
            names.append(sql.Identifier("grid_id"))
            exprs.append(sql.SQL("l.grid_id"))
        if self.grid_linked:
            names.append(sql.Identifier("district_code"))
            exprs.append(self._district_code(set_based))
        for name, constant in self.insert_constants.items():
            names.append(sql.Identifier(name))
            exprs.append(sql.SQL(constant))  # a constant of the loader class, never input
        # No OR around NOT EXISTS: the planner then makes it a hash anti-join (an OR turns it
        # into a subplan per row, which at a million rows no longer fits in work_mem).
        return sql.SQL(
            "INSERT INTO {table} ({names}) SELECT {exprs} FROM {source} WHERE NOT s.rejected AND "
            "NOT EXISTS (SELECT 1 FROM {table} t WHERE {match} AND {s_key} <> '') ORDER BY s.row_number"
        ).format(table=self.table_sql(), names=sql.SQL(", ").join(names), exprs=sql.SQL(", ").join(exprs),
                 source=self._source(set_based), match=self._match(), s_key=self._last_key("s"))

    def apply(self, result: ImportResult) -> None:
        """Update the matched rows, insert the others.

        Grid linking: by default the grid of every staged point is computed set-based
        (layers.grids.linking's rule and SQL) and written with the row, the row trigger being
        told so (``gridmap.set_based_linking``, as link_all does) — a per-row lookup costs
        ~0.1 ms. ``trigger_linking`` leaves it to the trigger, row by row.
        """
        set_based = self.grid_linked and not self.options.trigger_linking
        with connection.cursor() as cur:
            # Autovacuum and ANALYZE take this lock too, and it lets reads and writes through.
            # Without it, an ANALYZE that ran while the rows below were written but not committed
            # counted them as absent: the statistics then said the table was empty, and every
            # per-row lookup planned after (the foreign keys' checks at commit) scanned a whole
            # index: a million-household write that takes 30 s was still running after 13 minutes.
            cur.execute(sql.SQL("LOCK TABLE {} IN SHARE UPDATE EXCLUSIVE MODE").format(self.table_sql()))
            cur.execute(sql.SQL("SELECT count(*) FROM {stage} s JOIN {table} t ON {match} "
                                "WHERE NOT s.rejected AND {s_key} <> ''").format(
                stage=STAGE_T, table=self.table_sql(), match=self._match(), s_key=self._last_key("s")))
            matched = cur.fetchone()[0]
            self.before_update(cur)
            if set_based:
                self._link_new_positions(cur)
                cur.execute("SELECT set_config('gridmap.set_based_linking', 'on', true)")
            try:
                cur.execute(self.update_sql(set_based))
                result.updated = cur.rowcount
                cur.execute(self.insert_sql(set_based), self.insert_params() or None)
                result.created = cur.rowcount
            finally:
                if set_based:
                    cur.execute("SELECT set_config('gridmap.set_based_linking', 'off', true)")
                    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(LINK_T))
            result.unchanged = matched - result.updated
            self._ready_checks_at_commit(cur, result.created + result.updated)

    def _ready_checks_at_commit(self, cur, written: int) -> None:
        """After a write of ``ANALYZE_AFTER_ROWS`` rows or more, ready the foreign keys' checks
        that run at commit, one query per written row (and per priority-group row the ledger
        wrote for them):

        - each table or partition this transaction wrote that many rows into is analyzed. Inside
          the transaction ANALYZE counts its own rows, so the checks are planned on the real
          size, not on statistics left by a dry run or a refused file (dead pages counted as
          an empty table, where each check scanned a whole index);
        - they run with one generic plan each. A check against a partitioned table (the
          households) otherwise kept being planned anew per row, the plan cache finding the
          plan of one partition cheaper than the plan of all: 22 s instead of 4.5 s for the
          727,316 priority-group rows of a million households.
        """
        if written < ANALYZE_AFTER_ROWS:
            return
        cur.execute("SELECT s.schemaname, s.relname FROM pg_stat_xact_user_tables s "
                    "JOIN pg_partition_tree(%s::regclass) p ON p.relid = s.relid "
                    "WHERE p.isleaf AND s.n_tup_ins + s.n_tup_upd >= %s ORDER BY s.relname",
                    [self.table, ANALYZE_AFTER_ROWS])
        for schema, name in cur.fetchall():
            cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, name)))
        # Until the transaction ends: the same rows come out of either plan, only the planning differs.
        cur.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")

    def _link_new_positions(self, cur) -> None:
        """Grids of the staged points that are new or moved (the others keep theirs), in the
        table LINK (id, grid_id) that the UPDATE and INSERT join: computed in bulk on arrays
        (layers.grids.linking.link_rows_into, the SQL rule's answer), with the grids locked
        against edits until the import's transaction ends."""
        link_rows_into(cur, sql.SQL(
            "SELECT s.id, s.geom FROM {stage} s WHERE NOT s.rejected AND NOT EXISTS (SELECT 1 FROM {table} t "
            "WHERE {match} AND {s_key} <> '' AND NOT ({moved}))"
        ).format(stage=STAGE_T, table=self.table_sql(), match=self._match(), s_key=self._last_key("s"),
                 moved=self._moved()), LINK)

    @staticmethod
    def _district_code(set_based: bool) -> sql.Composable:
        """The district code of a staged point (its partition): of the grid linked set-based,
        else of the grid the trigger will link it to (layers/grids/sql/0003_district_partitions.sql)."""
        if set_based:
            return sql.SQL("coalesce(left(gd.code, 6), gridmap_district_code_for_point(s.geom, NULL))")
        return sql.SQL("gridmap_district_code_for_point(s.geom, gridmap_grid_for_point(s.geom))")

    @staticmethod
    def _moved() -> sql.Composable:
        # Moves under SAME_POINT_DEG are float noise (Excel keeps 15-16 digits), not edits.
        return sql.SQL("abs(ST_X(t.geom) - s.lon) > {eps} OR abs(ST_Y(t.geom) - s.lat) > {eps}").format(
            eps=sql.Literal(SAME_POINT_DEG))

    def insert_params(self) -> list[str]:
        """Parameters of :meth:`insert_sql`, if a subclass adds some."""
        return []

    def before_update(self, cur) -> None:
        """Hook: statements that must see the stored rows before they are updated."""

    def after_apply(self) -> list[str]:
        if not self.grid_linked:
            return []
        with connection.cursor() as cur:
            cur.execute(sql.SQL("SELECT count(*) FROM {stage} s JOIN {table} t ON {match} "
                                "WHERE NOT s.rejected AND t.grid_id IS NULL").format(
                stage=STAGE_T, table=self.table_sql(), match=self._match()))
            unassigned = cur.fetchone()[0]
        if not unassigned:
            return []
        return [f"{unassigned} 个点不在任何网格内 (outside every grid: kept as unassigned; see manage.py link_grids --report)"]


def _district_extent() -> tuple[Extent | None, str]:
    """The padded extent of the districts (for the swapped test) and their names."""
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(geom) AS e FROM grids_district) x")
        row = cur.fetchone()
        cur.execute("SELECT string_agg(name || ' ' || code, ', ' ORDER BY code) FROM grids_district")
        names = cur.fetchone()[0] or ""
    if row is None or row[0] is None:
        return None, ""
    pad = SWAP_EXTENT_PAD_DEG
    return (row[0] - pad, row[1] - pad, row[2] + pad, row[3] + pad), names


def _stream(query: sql.Composable, batch: int = 10_000) -> Iterator[list[tuple]]:
    """Rows of ``query`` in batches from a server-side cursor (bounded memory)."""
    connection.ensure_connection()
    with connection.connection.cursor(name="gridmap_import_check") as cur:
        cur.itersize = batch
        cur.execute(query)
        while rows := cur.fetchmany(batch):
            yield rows
