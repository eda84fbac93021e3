"""Partitioned storage (issue #15): households, visits, incidents, their histories and walking
times are LIST-partitioned by ``district_code`` (layers/grids/sql/0003_district_partitions.sql).

Partition names: ``<table>_p<code>`` per district and ``<table>_pdefault`` for '000000' (a
point in no district). The writer supplies ``district_code`` (PostgreSQL routes a row before
any trigger could set it): :class:`layers.grids.models.DistrictPartitioned` for the ORM,
:func:`district_code_for_point` / the SQL function of the same name for SQL paths; a
database trigger refuses a code that is not the point's district. Batch code per district
filters on ``district_code`` so that the planner touches that partition only.

编号 (external_id) and the phone's client_id are unique within a district (PostgreSQL requires
the partition key in every unique index of a partitioned table).

Moving a point to another district moves its row to that partition (an UPDATE of geom and
district_code; DistrictPartitioned.save does it), and the composite keys (ON UPDATE CASCADE)
move its visits and walking times along. PostgreSQL moves a row as a delete and an insert,
so an incident that has a history cannot change district: its append-only history guard
refuses at commit (incident_history_append_only). A merged duplicate (duplicate_of) must be
in the same district as the case it points to.
"""

from __future__ import annotations

from django.db import connection, transaction
from psycopg2 import sql

# Parents before children (the order partitions are made and rows are loaded in).
PARTITIONED_TABLES: tuple[str, ...] = (
    "people_household", "people_visit", "incidents_incident", "incidents_incidenttransition",
    "facilities_householdaccess",
)
NO_DISTRICT = "000000"


def partition_name(table: str, code: str | None) -> str:
    """``people_household_p510104``; ``people_household_pdefault`` for None or '000000'."""
    return f"{table}_pdefault" if code in (None, NO_DISTRICT) else f"{table}_p{code}"


def district_code_for_point(point, grid_id: int | None = None) -> str:
    """The district code of a WGS84 point: its grid's district (``grid_id``, else the grid the
    database links it to), else the district covering it, else '000000'."""
    with connection.cursor() as cur:
        cur.execute("SELECT gridmap_district_code_for_point(p, coalesce(%s, gridmap_grid_for_point(p))) "
                    "FROM ST_GeomFromEWKT(%s) p", [grid_id, point.ewkt])
        return cur.fetchone()[0]


def district_codes_for_points(points: list) -> list[str]:
    """:func:`district_code_for_point` for many points in one statement (same order)."""
    if not points:
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT gridmap_district_code_for_point(p, gridmap_grid_for_point(p)) "
                    "FROM unnest(%s::text[]) WITH ORDINALITY AS x(ewkt, n), ST_GeomFromEWKT(x.ewkt) p ORDER BY n",
                    [[p.ewkt for p in points]])
        return [r[0] for r in cur.fetchall()]


# Marks the queries that find which partitions hold some grids' rows: they look into every
# partition's grid index (a few index searches each), so that the query they serve reads only
# those partitions. Tests of partition pruning leave them out by this mark.
HOLDING_PROBE = "/* gridmap: partitions holding */"

# A grid g and its district d (through its community c and street s).
_GRID_DISTRICT = sql.SQL("grids_grid g JOIN grids_community c ON c.id = g.community_id"
                         " JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id")


_FEW_GRIDS = 50


def district_codes_holding(model, grid_ids) -> list[str]:
    """The district codes of the rows of ``model`` (a partitioned, grid-linked model) linked to
    ``grid_ids``, read from the rows themselves (each keeps the district its point lies in,
    which a stale link may not share with its grid): ``district_code = ANY(codes)`` then
    prunes partitions without leaving out a row. Every grid: every partition, without reading
    the rows (a city-wide figure reads them all anyway)."""
    from layers.grids.models import Grid

    ids = set(grid_ids)
    # (A grid worker's few grids are not worth counting the installation's grids on each request.)
    if len(ids) > _FEW_GRIDS and len(ids) >= Grid.objects.count():
        return sorted(partitions_of(model._meta.db_table))
    query = sql.SQL("{} SELECT DISTINCT r.district_code FROM {} r WHERE r.grid_id = ANY(%s) ORDER BY 1").format(
        sql.SQL(HOLDING_PROBE), sql.Identifier(model._meta.db_table))
    with connection.cursor() as cur:
        cur.execute(query, [sorted(ids)])
        return [r[0] for r in cur.fetchall()]


def district_codes_holding_district(model, code: str) -> list[str]:
    """:func:`district_codes_holding` for every grid of district ``code``: the partitions
    holding the rows its reports count (usually ``[code]``; a border row linked to one of its
    grids may be stored in the neighbouring district's partition)."""
    query = sql.SQL("{} SELECT DISTINCT r.district_code FROM {} r WHERE r.grid_id IN ("
                    "SELECT g.id FROM {} WHERE d.code = %s) ORDER BY 1").format(
                        sql.SQL(HOLDING_PROBE), sql.Identifier(model._meta.db_table), _GRID_DISTRICT)
    with connection.cursor() as cur:
        cur.execute(query, [code])
        return [r[0] for r in cur.fetchall()]


def district_codes_of(model, ids) -> list[str]:
    """The district codes of the rows of ``model`` (a partitioned model) with these ids:
    ``district_code = ANY(codes)`` then reads only their partitions."""
    return list(model.objects.filter(id__in=list(ids)).order_by("district_code")
                .values_list("district_code", flat=True).distinct())


def ensure_partitions(code: str) -> None:
    """Make the partitions of district ``code`` if missing (the trigger on grids_district does
    it for every new district; loaders may call it first)."""
    _check_code(code)
    with connection.cursor() as cur:
        cur.execute("SELECT gridmap_ensure_district_partitions(%s)", [code])


def _check_code(code: str) -> None:
    if code == NO_DISTRICT or not (code.isascii() and code.isdigit() and len(code) == 6):
        raise ValueError(f"区划代码须为6位数字且不为 000000 (district code must be 6 digits): {code}")


def partitions_of(table: str) -> dict[str, str]:
    """{district code: partition name} of a partitioned table ('000000' for the default one)."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = to_regclass(%s)""", [table])
        rows = cur.fetchall()
    out = {}
    for name, bound in rows:
        code = NO_DISTRICT if bound == "DEFAULT" else bound.split("'")[1]
        out[code] = name
    return out


def detach(code: str) -> list[str]:
    """Detach district ``code``'s partitions from every partitioned table, children first; the
    tables stay, holding that district's rows (to export with pg_dump -t, archive or drop),
    and the other districts are not touched. Returns the detached tables' names.

    The composite foreign keys from other districts' rows cannot point into it (same
    district_code), so detaching takes nothing from them; rows of non-partitioned tables
    (notifications, logs) that point into the district must be deleted first, or PostgreSQL
    refuses with the foreign key's name."""
    _check_code(code)
    detached = []
    with transaction.atomic(), connection.cursor() as cur:
        # Deferred foreign-key checks still queued in this transaction forbid ALTER TABLE.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in reversed(PARTITIONED_TABLES):
            name = partition_name(table, code)
            if name not in partitions_of(table).values():
                continue
            cur.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(sql.Identifier(table), sql.Identifier(name)))
            # A detached table keeps its foreign keys to the (still partitioned) parents; they
            # would forbid detaching the parent's partition it points into next.
            cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'f' "
                        "AND confrelid = ANY(%s::regclass[])", [name, list(PARTITIONED_TABLES)])
            for (constraint,) in cur.fetchall():
                cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(name),
                                                                                 sql.Identifier(constraint)))
            detached.append(name)
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    return detached
