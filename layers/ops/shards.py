"""Districts on other PostgreSQL servers: one district's partitions moved to a shard server and
read back through postgres_fdw foreign-table partitions, and the check that the schema is ready
for Citus (district_code the distribution column; see README, 跨服务器分片 / Citus).

    add_server(cur, "shard1", "host=10.0.0.2 port=5432 dbname=gridmap user=gridmap password=…")
    prepare_coordinator(cur)          # once: constraints the foreign partitions cannot carry move down
    shard_district("510104", "shard1")

A moved district's rows live on the shard server in tables named like the partitions they came
from (people_household_p510104, …), with their own primary keys, indexes and the foreign keys
among them (co-located: same district). The coordinator keeps every other table, the id
sequences (new ids stay unique city-wide) and a foreign table ``FOR VALUES IN ('510104')`` in
place of each partition, so every query by table name reads the whole city and a query filtered
on district_code reads only that district's server (partition pruning).

postgres_fdw is not Citus: a partitioned table holding a foreign partition can carry no unique
index, foreign key or constraint trigger of its own (PostgreSQL refuses the ATTACH), so
``prepare_coordinator`` puts them on each local partition instead, and drops the foreign keys
of unpartitioned tables that point into a partitioned one (they cannot span servers).
Statement triggers with transition tables (the walking-time queue on people_household) refuse
rows routed into a foreign partition: a sharded district is written on its own server.

Names of the partitioned tables and partitions are the shared design's
(layers.grids.partitions: ``<table>_p<code>``, ``<table>_pdefault``).
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import parse_dsn

# Partitioned by district_code (LIST) in dependency order: the shared design's list.
DISTRIBUTED_TABLES: tuple[str, ...] = (
    "people_household",
    "people_visit",
    "incidents_incident",
    "incidents_incidenttransition",
    "facilities_householdaccess",
)
# Catalogues and boundaries: every shard server needs all of them (Citus: reference tables).
REFERENCE_TABLES: tuple[str, ...] = (
    "grids_district", "grids_street", "grids_community", "grids_grid",
    "facilities_facilitytype", "facilities_facility", "incidents_incidentcategory", "incidents_department",
    "auth_user",
)
# Tables with a foreign key into a distributed table: Citus allows that only between
# distributed tables, so the README's Citus steps give each a district_code (from its parent)
# and distribute it, co-located, after the tables above.
CITUS_CHILD_TABLES: tuple[str, ...] = (
    "people_prioritymembership", "people_piiaccesslog", "incidents_notification", "incidents_incidenturge",
    "incidents_incidentreport", "incidents_incidentphoto",
)
DISTRIBUTION_COLUMN = "district_code"
CODE_RE = re.compile(r"^(\d{6}|default)$")
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ShardError(RuntimeError):
    """A move or set-up that cannot be done; the message says why (Chinese, names the input)."""


def distributed_tables() -> tuple[str, ...]:
    """The partitioned tables: layers.grids.partitions when present (the partition schema),
    else the design's list."""
    try:
        from layers.grids import partitions
    except ImportError:
        return DISTRIBUTED_TABLES
    return tuple(str(t) for t in partitions.PARTITIONED_TABLES)


# --- shard servers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ShardServer:
    """A foreign server known to the coordinator and how to reach it (libpq keywords)."""

    name: str
    options: dict[str, str]
    user: str
    password: str | None = None

    def connect(self):
        """A psycopg2 connection to the shard server's database (autocommit off)."""
        return psycopg2.connect(**self.options, user=self.user,
                                **({"password": self.password} if self.password else {}))


def add_server(cur, name: str, dsn: str) -> ShardServer:
    """Register (or re-point) the foreign server ``name`` at ``dsn`` (libpq keywords: host,
    port, dbname, user, password) with a user mapping for the coordinator's user."""
    if not NAME_RE.match(name):
        raise ShardError(f"服务器名称 {name[:40]!r}：应为小写字母、数字和下划线")
    try:
        parts = parse_dsn(dsn)
    except psycopg2.ProgrammingError as e:
        raise ShardError(f"--dsn：无法解析连接串（{e}）") from e
    user = parts.pop("user", None)
    password = parts.pop("password", None)
    if not user or not parts.get("dbname"):
        raise ShardError("--dsn：需要 dbname 和 user")
    options = {k: parts[k] for k in ("host", "port", "dbname") if k in parts}
    cur.execute("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
    cur.execute("SELECT 1 FROM pg_foreign_server WHERE srvname = %s", [name])
    opts = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.SQL(k), sql.Literal(v)) for k, v in options.items())
    if cur.fetchone() is None:
        cur.execute(sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER postgres_fdw OPTIONS ({})")
                    .format(sql.Identifier(name), opts))
    else:
        cur.execute(sql.SQL("DROP USER MAPPING IF EXISTS FOR CURRENT_USER SERVER {}").format(sql.Identifier(name)))
        _reset_server_options(cur, name, options)
    mapping = {"user": user, **({"password": password} if password else {})}
    cur.execute(sql.SQL("CREATE USER MAPPING FOR CURRENT_USER SERVER {} OPTIONS ({})").format(
        sql.Identifier(name),
        sql.SQL(", ").join(sql.SQL("{} {}").format(sql.SQL(k), sql.Literal(v)) for k, v in mapping.items())))
    return ShardServer(name, options, user, password)


def _reset_server_options(cur, name: str, options: dict[str, str]) -> None:
    cur.execute("SELECT coalesce(srvoptions, '{}') FROM pg_foreign_server WHERE srvname = %s", [name])
    present = {o.split("=", 1)[0] for o in cur.fetchone()[0]}
    actions = [sql.SQL("SET {} {}" if k in present else "ADD {} {}").format(sql.SQL(k), sql.Literal(v))
               for k, v in options.items()]
    if actions:
        cur.execute(sql.SQL("ALTER SERVER {} OPTIONS ({})").format(sql.Identifier(name), sql.SQL(", ").join(actions)))


def shard_server(cur, name: str) -> ShardServer:
    """The foreign server ``name`` with the coordinator user's mapping (ShardError if unknown)."""
    cur.execute(
        "SELECT s.srvoptions, m.umoptions FROM pg_foreign_server s"
        "  JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw AND w.fdwname = 'postgres_fdw'"
        "  LEFT JOIN pg_user_mappings m ON m.srvid = s.oid AND m.usename = current_user"
        " WHERE s.srvname = %s", [name])
    row = cur.fetchone()
    if row is None:
        raise ShardError(f"--server：没有名为 {name[:40]!r} 的分片服务器（先运行 add_shard_server）")
    opts = dict(o.split("=", 1) for o in row[0] or [])
    umap = dict(o.split("=", 1) for o in row[1] or [])
    return ShardServer(name, opts, umap.get("user", ""), umap.get("password"))


def sharded_districts(cur) -> dict[str, str]:
    """District code → shard server of every district whose partitions are foreign tables."""
    tables = list(distributed_tables())
    cur.execute(
        "SELECT DISTINCT substring(pg_get_expr(c.relpartbound, c.oid) FROM $$IN \\('([^']*)'\\)$$), s.srvname"
        "  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        "  JOIN pg_foreign_table f ON f.ftrelid = c.oid JOIN pg_foreign_server s ON s.oid = f.ftserver"
        " WHERE i.inhparent = ANY(%s::regclass[])", [tables])
    return dict(cur.fetchall())


# --- the partitions of one district ----------------------------------------------------------

def partition_of(cur, table: str, code: str) -> tuple[str, str] | None:
    """(name, relkind) of ``table``'s partition for district ``code`` ('default': the DEFAULT
    partition), None when there is none."""
    bound = "DEFAULT" if code == "default" else f"FOR VALUES IN ('{code}')"
    cur.execute(
        "SELECT c.relname, c.relkind FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass AND pg_get_expr(c.relpartbound, c.oid) = %s", [table, bound])
    return cur.fetchone()


def local_partitions(cur, table: str) -> list[str]:
    """The plain-table partitions of ``table`` (foreign ones left out)."""
    cur.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass AND c.relkind = 'r' ORDER BY 1", [table])
    return [r[0] for r in cur.fetchall()]


def _partition_suffix(table: str, partition: str) -> str:
    return partition[len(table):] if partition.startswith(table + "_p") else "_" + partition[-8:]


def _short(name: str) -> str:
    """An identifier cut to PostgreSQL's 63 bytes, unique by a hash of the whole name."""
    if len(name) <= 63:
        return name
    import hashlib

    return name[:54] + "_" + hashlib.sha256(name.encode()).hexdigest()[:8]


# --- making the coordinator's parents able to hold foreign partitions ------------------------

@dataclass
class Preparation:
    """What prepare_coordinator changed: constraints now on each local partition, and foreign
    keys dropped because they point from an unpartitioned table into a partitioned one."""

    moved_down: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _rewrite_on(definition: str, table: str, partition: str) -> str:
    """A trigger or index definition of ``table`` rewritten for ``partition``."""
    return re.sub(rf"\bON (ONLY )?(public\.)?{table}\b", f"ON public.{partition}", definition, count=1)


def prepare_coordinator(cur) -> Preparation:
    """Move what a partitioned table holding a foreign partition cannot carry (unique indexes,
    foreign keys, constraint triggers) from each partitioned table to each of its local
    partitions; drop the foreign keys of unpartitioned tables into partitioned ones. Nothing
    to do (an empty Preparation) once done."""
    tables = list(distributed_tables())
    parts = {t: local_partitions(cur, t) for t in tables}
    done = Preparation()
    cur.execute(
        "SELECT con.conname, con.conrelid::regclass::text, con.confrelid::regclass::text, pg_get_constraintdef(con.oid)"
        "  FROM pg_constraint con WHERE con.contype = 'f' AND con.conparentid = 0"
        "   AND (con.confrelid = ANY(%s::regclass[]) OR con.conrelid = ANY(%s::regclass[])) ORDER BY 1",
        [tables, tables])
    fks = cur.fetchall()
    for name, child, _parent, _def in fks:
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(child), sql.Identifier(name)))
    cur.execute(
        "SELECT con.conrelid::regclass::text, con.conname, con.contype, pg_get_constraintdef(con.oid)"
        "  FROM pg_constraint con WHERE con.contype IN ('p', 'u') AND con.conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
        [tables])
    for table, name, kind, definition in cur.fetchall():
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
        for part in parts[table]:
            label = _short(f"{part}_pkey" if kind == "p" else f"{part}_{name.removeprefix(table + '_')}")
            cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(part), sql.Identifier(label))
                        + sql.SQL(definition))
        done.moved_down.append(f"{table}.{name}")
    cur.execute(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
        "  FROM pg_index i WHERE i.indisunique AND i.indrelid = ANY(%s::regclass[])"
        "   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1, 2", [tables])
    for table, index, definition in cur.fetchall():
        cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
        for part in parts[table]:
            label = _short(f"{part}_{index.removeprefix(table + '_')}")
            stmt = _rewrite_on(definition, table, part).replace(f"INDEX {index} ", f"INDEX {label} ", 1)
            cur.execute(stmt)
        done.moved_down.append(f"{table}.{index}")
    for name, child, parent, definition in fks:
        if child not in parts:
            done.dropped.append(f"{child}.{name} → {parent}")
            continue
        for part in parts[child]:
            suffix = _partition_suffix(child, part)
            target = parent
            if parent in parts:
                target = parent + suffix
                if target not in parts[parent]:
                    continue
                definition_p = re.sub(rf"REFERENCES (public\.)?{parent}\(", f"REFERENCES {target}(", definition)
            else:
                definition_p = definition
            cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(part), sql.Identifier(_short(f"{name}{suffix}"))) + sql.SQL(definition_p))
        done.moved_down.append(f"{child}.{name}")
    cur.execute(
        "SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
        " WHERE t.tgrelid = ANY(%s::regclass[]) AND t.tgconstraint <> 0 AND NOT t.tgisinternal"
        "   AND t.tgparentid = 0 ORDER BY 1, 2", [tables])
    for table, name, definition in cur.fetchall():
        cur.execute(sql.SQL("DROP TRIGGER {} ON {}").format(sql.Identifier(name), sql.Identifier(table)))
        for part in parts[table]:
            cur.execute(_rewrite_on(definition, table, part))
        done.moved_down.append(f"{table}.{name}")
    for table in tables:
        _keys_for_new_partitions(cur, table, parts[table], done)
    return done


def _keys_for_new_partitions(cur, table: str, parts: list[str], done: Preparation) -> None:
    """Once the keys live on the partitions, a partition made later (a new district) gets the
    keys, foreign keys (to its own district's partitions) and constraint triggers of the
    sibling holding the most."""
    cur.execute("SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u')", [table])
    if cur.fetchone() or not parts:
        return  # the parent still holds them (not prepared yet): partitions inherit them
    cur.execute(
        "SELECT p, (SELECT coalesce(array_agg(ARRAY[c.contype::text, c.conname, pg_get_constraintdef(c.oid)]"
        "                                     ORDER BY c.contype = 'f', c.conname), '{}')"
        "             FROM pg_constraint c WHERE c.conrelid = p::regclass AND c.contype IN ('p', 'u', 'f')),"
        "       (SELECT coalesce(array_agg(pg_get_triggerdef(t.oid) ORDER BY t.tgname), '{}') FROM pg_trigger t"
        "         WHERE t.tgrelid = p::regclass AND t.tgconstraint <> 0 AND NOT t.tgisinternal)"
        "  FROM unnest(%s::text[]) AS p", [parts])
    held = {p: (keys, triggers) for p, keys, triggers in cur.fetchall()}
    template = max(parts, key=lambda p: len(held[p][0]))
    old = _partition_suffix(table, template)
    for part in (p for p in parts if not held[p][0] and held[template][0]):
        new = _partition_suffix(table, part)
        for _kind, name, definition in held[template][0]:
            own = re.sub(rf"REFERENCES (\w+){re.escape(old)}\(", rf"REFERENCES \g<1>{new}(", definition)
            label = name.replace(old, new) if old in name else _short(name + new)
            cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(part), sql.Identifier(label))
                        + sql.SQL(own))
        for definition in held[template][1]:
            cur.execute(_rewrite_on(definition, template, part))
        done.moved_down.append(f"{part} ← {template}")


# --- moving one district ---------------------------------------------------------------------

@dataclass
class PartitionDDL:
    """The statements that make a partition's table on another server: the table with its
    columns, then (after the rows) its constraints, indexes and co-located foreign keys."""

    columns: list[str]
    create: str
    after_copy: list[str]


def partition_ddl(cur, partition: str, colocated: set[str]) -> PartitionDDL:
    """The DDL of ``partition`` (same name on the shard server); foreign keys are kept only
    towards ``colocated`` (the same district's partitions moving with it)."""
    cur.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a"
        " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", [partition])
    cols = cur.fetchall()
    create = "CREATE TABLE {} ({})".format(
        sql.Identifier(partition).string,
        ", ".join(f'"{n}" {t}{" NOT NULL" if nn else ""}' for n, t, nn in cols))
    cur.execute(
        "SELECT c.conname, c.contype, pg_get_constraintdef(c.oid), c.confrelid::regclass::text FROM pg_constraint c"
        " WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u', 'c', 'f') ORDER BY c.contype DESC, c.conname",
        [partition])
    after = []
    for name, kind, definition, target in cur.fetchall():
        if kind == "f" and target not in colocated:
            continue  # catalogues and boundaries: not on the shard server (Citus: reference tables)
        after.append(f'ALTER TABLE "{partition}" ADD CONSTRAINT "{name}" {definition}')
    cur.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass"
        "   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)",
        [partition])
    after.extend(r[0] for r in cur.fetchall())
    # FKs last: their targets' primary keys must exist.
    after.sort(key=lambda s: "FOREIGN KEY" in s)
    return PartitionDDL([n for n, _t, _nn in cols], create, after)


@dataclass
class Move:
    """A district moved to a shard server: rows per table and the time taken (seconds)."""

    code: str
    server: str
    rows: dict[str, int]
    seconds: float


def _copy_rows(cur, remote_cur, partition: str, columns: list[str]) -> int:
    """Stream ``partition``'s rows from the coordinator into the same table on the shard
    server (COPY out, COPY in; spooled to disk past 64 MB); returns rows copied."""
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    table = sql.Identifier(partition)
    raw = getattr(cur, "cursor", cur)
    with tempfile.SpooledTemporaryFile(max_size=64 << 20) as buf:
        raw.copy_expert(sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT").format(cols, table).as_string(raw), buf)
        buf.seek(0)
        remote_cur.copy_expert(sql.SQL("COPY {} ({}) FROM STDIN").format(table, cols).as_string(remote_cur), buf)
    remote_cur.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
    return remote_cur.fetchone()[0]


def shard_district(code: str, server_name: str, *, using: str = "default") -> Move:
    """Move district ``code``'s partitions to the shard server ``server_name``: same DDL there,
    rows copied, then, in one coordinator transaction, each local partition detached and
    dropped and a postgres_fdw foreign table attached ``FOR VALUES IN (code)`` in its place.
    Writes to the district wait (EXCLUSIVE lock on its partitions) during the move; reads go on.
    ShardError when the district has no partitions or is already on a shard server."""
    from django.db import connections, transaction

    if not CODE_RE.match(code or ""):
        raise ShardError(f"区代码 {str(code)[:20]!r}：应为 6 位数字")
    started = time.monotonic()
    with transaction.atomic(using=using), connections[using].cursor() as cur:
        server = shard_server(cur, server_name)
        # Deferred checks queued earlier in the caller's transaction would forbid the ALTERs.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        prepare_coordinator(cur)
        parts: list[tuple[str, str]] = []
        for table in distributed_tables():
            found = partition_of(cur, table, code)
            if found is None:
                raise ShardError(f"区 {code}：{table} 没有该区的分区")
            if found[1] == "f":
                raise ShardError(f"区 {code} 已在分片服务器上（{table}）")
            parts.append((table, found[0]))
        for _table, part in parts:
            cur.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.Identifier(part)))
        colocated = {p for _t, p in parts}
        ddl = {p: partition_ddl(cur, p, colocated) for _t, p in parts}
        rows: dict[str, int] = {}
        remote = server.connect()
        try:
            with remote, remote.cursor() as rc:
                rc.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                for _t, part in reversed(parts):
                    rc.execute(f'DROP TABLE IF EXISTS "{part}" CASCADE')
                for table, part in parts:
                    rc.execute(ddl[part].create)
                    rows[table] = _copy_rows(cur, rc, part, ddl[part].columns)
                for _t, part in parts:
                    for stmt in ddl[part].after_copy:
                        rc.execute(stmt)
            remote.autocommit = True
            with remote.cursor() as rc:
                for _t, part in parts:
                    rc.execute(f'ANALYZE "{part}"')
        finally:
            remote.close()
        for table, part in reversed(parts):
            cur.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(sql.Identifier(table), sql.Identifier(part)))
            cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(part)))
        for table, part in parts:
            cur.execute(sql.SQL(
                "CREATE FOREIGN TABLE {} PARTITION OF {} FOR VALUES IN ({}) SERVER {}"
                " OPTIONS (schema_name 'public', table_name {}, fetch_size '10000')").format(
                sql.Identifier(part), sql.Identifier(table), sql.Literal(code), sql.Identifier(server.name),
                sql.Literal(part)))
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(part)))
            seen = cur.fetchone()[0]
            if seen != rows[table]:
                raise ShardError(f"区 {code}：{part} 在分片服务器上有 {seen} 行，应为 {rows[table]} 行")
            cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(part)))
    return Move(code, server.name, rows, time.monotonic() - started)


# --- Citus readiness -------------------------------------------------------------------------

def citus_problems(cur, distributed: tuple[str, ...] | None = None,
                   reference: tuple[str, ...] = REFERENCE_TABLES) -> list[tuple[str, str]]:
    """What keeps the schema from ``create_distributed_table(t, 'district_code')`` on each
    ``distributed`` table (co-located) and ``create_reference_table`` on each ``reference``
    table, read from pg_catalog: a distributed table without district_code, a primary key or
    unique constraint/index not including it, a foreign key between distributed tables not
    matching district_code to district_code, a foreign key from a distributed table to a table
    neither distributed nor reference, and a foreign key from any other table into a
    distributed one (Citus allows none: that table must be distributed too). Each problem is
    (table, what, in Chinese); empty: ready."""
    dist = list(distributed or distributed_tables())
    problems: list[tuple[str, str]] = []
    cur.execute("SELECT t, to_regclass(t) IS NOT NULL FROM unnest(%s::text[]) AS t", [dist])
    missing = [t for t, ok in cur.fetchall() if not ok]
    problems += [(t, "表不存在") for t in missing]
    dist = [t for t in dist if t not in missing]
    cur.execute(
        "SELECT t FROM unnest(%s::text[]) AS t WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a"
        " WHERE a.attrelid = t::regclass AND a.attname = %s AND NOT a.attisdropped)", [dist, DISTRIBUTION_COLUMN])
    problems += [(t, f"没有分布列 {DISTRIBUTION_COLUMN}") for (t,) in cur.fetchall()]
    # Unique constraints and unique indexes (constraint-backed or not) must include the column.
    cur.execute(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text FROM pg_index i"
        " WHERE i.indisunique AND i.indrelid = ANY(%s::regclass[])"
        "   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attname = %s"
        "                    AND a.attnum = ANY(i.indkey::int2[])) ORDER BY 1, 2", [dist, DISTRIBUTION_COLUMN])
    problems += [(t, f"唯一约束/索引 {ix} 不含 {DISTRIBUTION_COLUMN}") for t, ix in cur.fetchall()]
    cur.execute(
        "SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,"
        "       (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(att, n)"
        "          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att),"
        "       (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(att, n)"
        "          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att),"
        "       c.confupdtype IN ('c', 'n', 'd') OR c.confdeltype IN ('n', 'd')"
        "  FROM pg_constraint c WHERE c.contype = 'f' AND c.conparentid = 0"
        "   AND (c.conrelid = ANY(%s::regclass[]) OR c.confrelid = ANY(%s::regclass[])) ORDER BY 2, 1", [dist, dist])
    for name, child, parent, cols, fcols, moves_key in cur.fetchall():
        if child in dist and parent in dist:
            pairs = list(zip(cols, fcols, strict=True))
            if (DISTRIBUTION_COLUMN, DISTRIBUTION_COLUMN) not in pairs:
                problems.append((child, f"外键 {name} → {parent} 未以 {DISTRIBUTION_COLUMN} 对应 {DISTRIBUTION_COLUMN}"))
            elif moves_key:
                # Citus never changes a row's distribution column (EnsureSupportedFKeyOnDistKey).
                problems.append((child, f"外键 {name} 含 {DISTRIBUTION_COLUMN}，却会改动或置空它（级联更新/置空）"))
        elif child in dist and parent not in reference:
            problems.append((child, f"外键 {name} 指向既非分布表也非参考表的 {parent}"))
        elif child not in dist:
            problems.append((child, f"外键 {name} 指向分布表 {parent}：须按 {DISTRIBUTION_COLUMN} 分布，或去掉该外键"))
    return problems


def trigger_notes(cur, distributed: tuple[str, ...] | None = None,
                  reference: tuple[str, ...] = REFERENCE_TABLES) -> list[tuple[str, str, str]]:
    """(table, trigger, why it does not fit Citus as it stands) for each trigger on a
    distributed table that is a constraint trigger, collects transition tables, bumps a
    sequence, or whose function (or the gridmap_* functions it calls, two levels deep) names
    another table; and for each trigger on a reference table that touches a distributed table,
    bumps a sequence or creates tables (a reference table's trigger runs on every node's copy)."""
    dist = list(distributed or distributed_tables())
    cur.execute("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND NOT relispartition"
                "   AND relnamespace = 'public'::regnamespace")
    tables = {r[0] for r in cur.fetchall()}
    cur.execute("SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
                "   AND proname LIKE %s", ["gridmap%"])
    sources = dict(cur.fetchall())

    def body(source: str, depth: int = 2) -> str:
        """The source with the gridmap_* functions it calls appended (``depth`` levels)."""
        if not depth:
            return source
        called = set(re.findall(r"\b(gridmap_\w+)\s*\(", source)) & sources.keys()
        return "\n".join([source, *(body(sources[c], depth - 1) for c in sorted(called))])

    cur.execute(
        "SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid), p.prosrc, t.tgconstraint <> 0"
        "  FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE t.tgrelid = ANY(%s::regclass[]) AND NOT t.tgisinternal AND t.tgparentid = 0 ORDER BY 1, 2",
        [dist + [t for t in reference if t in tables]])
    notes = []
    for table, name, definition, source, constraint in cur.fetchall():
        # TG_ARGV may name a table (the grid relink triggers): the definition's arguments count.
        text = body(source) + "\n" + definition.split("EXECUTE", 1)[-1]
        other = sorted(n for n in tables - {table} if re.search(rf"\b{n}\b", text))
        why = []
        if constraint:
            why.append("约束触发器")
        if "REFERENCING" in definition:
            why.append("带过渡表的语句级触发器")
        if "nextval(" in text:
            why.append("递增协调节点本地的序列")
        if table in dist and other:
            why.append("读写其他表：" + "、".join(other))
        elif table not in dist:
            if touched := [n for n in other if n in dist]:
                why.append("参考表上的触发器读写分布表：" + "、".join(touched))
            if re.search(r"CREATE TABLE", text, re.IGNORECASE):
                why.append("参考表上的触发器建表（分区）")
        if why:
            notes.append((table, name, "；".join(why)))
    return notes


# Triggers dropped before distributing (README, 跨服务器分片 / Citus, says what replaces each):
# they collect transition tables, bump a coordinator sequence, or sit on a reference table and
# write distributed tables or create partitions. Every other trigger on a distributed table
# reads reference tables or rows of the same district only, and is kept with
# citus.enable_unsafe_triggers.
def _dropped_for_citus(why: str) -> bool:
    return any(k in why for k in ("过渡表", "序列", "参考表上的触发器"))


def citus_script(cur) -> list[str]:
    """The SQL, in order, that makes this database (the partition schema) a Citus
    coordinator's: unique keys of the distributed tables and their children widened to
    district_code, foreign keys that would change district_code made NO ACTION on update,
    triggers that cannot run on shards dropped, then create_reference_table for the
    catalogues and boundaries and create_distributed_table on district_code, co-located.
    Read from pg_catalog each time, so it follows the schema."""
    dist = list(distributed_tables()) + list(CITUS_CHILD_TABLES)
    col = DISTRIBUTION_COLUMN
    out = ["-- 1. 唯一键含分布列 district_code"]
    cur.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " WHERE c.contype IN ('p', 'u') AND c.conrelid = ANY(%s::regclass[]) AND NOT EXISTS ("
        "   SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attname = %s AND a.attnum = ANY(c.conkey))"
        " ORDER BY 1, 2", [dist, col])
    for table, name, definition in cur.fetchall():
        widened = re.sub(r"^(PRIMARY KEY|UNIQUE) \(([^)]*)\)", rf"\1 (\2, {col})", definition)
        out.append(f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} {widened};")
    cur.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indisunique AND i.indrelid = ANY(%s::regclass[])"
        "   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        "   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attname = %s"
        "                    AND a.attnum = ANY(i.indkey::int2[])) ORDER BY 1", [dist, col])
    for index, definition in cur.fetchall():
        widened = re.sub(r" USING (\w+) \(([^)]*)\)", rf" USING \1 (\2, {col})", definition, count=1)
        out += [f"DROP INDEX {index};", f"{widened};"]
    out.append("-- 2. 含 district_code 的外键不再级联改动它（Citus 不改行的分布列）")
    cur.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " WHERE c.contype = 'f' AND c.conparentid = 0 AND c.conrelid = ANY(%s::regclass[])"
        "   AND (c.confupdtype IN ('c', 'n', 'd') OR c.confdeltype IN ('n', 'd'))"
        "   AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attname = %s"
        "                AND a.attnum = ANY(c.conkey)) ORDER BY 1, 2", [dist, col])
    for table, name, definition in cur.fetchall():
        still = re.sub(r" ON UPDATE (CASCADE|SET NULL|SET DEFAULT)( \([^)]*\))?", "", definition)
        still = re.sub(r" ON DELETE (SET NULL|SET DEFAULT)( \([^)]*\))?", "", still)
        out.append(f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} {still};")
    out.append("-- 3. 不能在分片上运行的触发器（替代办法见 README）")
    out += [f"DROP TRIGGER {name} ON {table};  -- {why}"
            for table, name, why in trigger_notes(cur, tuple(dist)) if _dropped_for_citus(why)]
    out.append("-- 4. 目录与边界：参考表（每个节点一份）")
    cur.execute("SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NOT NULL", [list(REFERENCE_TABLES)])
    out += [f"SELECT create_reference_table('{t}');" for (t,) in cur.fetchall()]
    out.append("-- 5. 按 district_code 分布，同区同分片（co-located）")
    first, *rest = dist
    out.append(f"SELECT create_distributed_table('{first}', '{col}');")
    out += [f"SELECT create_distributed_table('{t}', '{col}', colocate_with => '{first}');" for t in rest]
    return out
