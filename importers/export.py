"""Layers back out: GeoJSON, GeoPackage, CSV or XLSX, with the headers the importers read.

Households and incidents come out as a ledger (台账) with Chinese headers, so that an
export can be edited in Excel and imported back (rows are matched on 编号). Personal data
(户主姓名, 身份证号, 联系电话, health tags, 上报人) is masked unless ``unmasked`` — allowed only
for a user who may see it (layers.accounts.visibility.can_see_pii); a user's export holds only the
rows visible to them (a grid worker: their grids). Rows stream from a server-side cursor:
memory stays bounded whatever the table size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.db import connection, transaction
from django.db.models import QuerySet
from psycopg2 import sql

from importers.export_layers import LAYERS, ExportLayer, masker
from importers.export_writers import WRITERS
from layers.accounts.visibility import can_see_pii, visible_grids, visible_households, visible_incidents
from layers.people.models import PiiAccessLog

FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv", ".xlsx": "xlsx"}
BATCH_ROWS = 5000


class ExportError(ValueError):
    """The export cannot run as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ExportResult:
    layer: str
    path: Path
    format: str
    rows: int
    masked: bool


def layer_named(name: str) -> ExportLayer:
    key = name.strip().lower()
    for layer in LAYERS.values():
        if key in (layer.name, layer.singular, layer.chinese):
            return layer
    raise ExportError(f"unknown layer {name!r}; layers: {', '.join(LAYERS)}")


def format_for(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt.lower() not in set(FORMATS.values()):
            raise ExportError(f"--format {fmt!r}: use one of geojson, gpkg, csv, xlsx")
        return fmt.lower()
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ExportError(f"{path.name}: cannot tell the format from the name; end it with .geojson, .gpkg, .csv "
                          "or .xlsx, or give --format") from None


PERSONAL_PERMISSIONS = {"households": "people.view_household", "incidents": "incidents.view_incident"}
"""What a --user needs to export a personal layer at all (boundaries and facilities are shown
to everyone, on the public home page too)."""


def _scope(layer: ExportLayer, user) -> QuerySet | None:
    """The rows the user may export (None: all rows).

    A user who may not see the layer, or who has no grid to see it in (a grid worker without
    an assignment), is refused with a message: such a scope is no export to hand out, and
    Django cannot even write the SQL of an empty queryset (EmptyResultSet).
    """
    if user is None or not layer.personal:
        return None
    who = user.get_username()
    perm = PERSONAL_PERMISSIONS[layer.name]
    if not user.has_perm(perm):
        raise ExportError(f"--user {who}: 无权导出{layer.chinese} (user {who!r} may not export {layer.name}: "
                          f"needs the permission {perm})")
    scope = visible_households(user) if layer.name == "households" else visible_incidents(user)
    if scope.query.is_empty() or not visible_grids(user).exists():
        raise ExportError(f"--user {who}: 没有可见的网格, 未导出{layer.chinese} (no {layer.name} visible to user "
                          f"{who!r}: no grid assigned; nothing exported)")
    return scope  # may hold no rows today (a grid without incidents): an empty ledger is an answer


def export_layer(name: str, path: str | Path, *, fmt: str | None = None, user=None,
                 unmasked: bool = False) -> ExportResult:
    """Write layer ``name`` to ``path``. ``user`` limits households/incidents to the rows
    they may see; ``unmasked`` (only with such a user) writes personal data in full."""
    layer = layer_named(name)
    path = Path(path)
    fmt = format_for(path, fmt)
    if unmasked and layer.personal and (user is None or not can_see_pii(user)):
        who = f"user {user.get_username()!r}" if user is not None else "no --user"
        raise ExportError(f"--unmasked: {who} may not see full personal data; give --user USERNAME of a user "
                          "holding people.view_household_pii (or a superuser)")
    masked = layer.personal and not unmasked
    scope = _scope(layer, user)
    writer = WRITERS[fmt](path, layer, masked=masked)
    rows = 0
    with transaction.atomic(), writer:  # a server-side cursor lives in a transaction
        for batch in _batches(layer, scope):
            writer.write([masker(layer, masked)(row) for row in batch])
            rows += len(batch)
        if unmasked and layer.name == "households" and user is not None:
            _log_pii_export(user, scope, path)
    return ExportResult(layer.name, path, fmt, rows, masked)


def _batches(layer: ExportLayer, scope: QuerySet | None) -> Iterator[list[dict]]:
    where, params = sql.SQL(""), []
    if scope is not None:
        # Django's own SQL for the scope, its values bound as parameters.
        scope_sql, scope_params = scope.values("id").query.sql_with_params()
        where, params = sql.SQL("WHERE x.id IN ({})").format(sql.SQL(scope_sql)), list(scope_params)
    statement = sql.SQL("SELECT * FROM ({layer}) x {where} ORDER BY x.{order}, x.id").format(
        layer=layer.sql, where=where, order=sql.Identifier(layer.order))
    connection.ensure_connection()
    with connection.connection.cursor(name="gridmap_export") as cur:
        cur.itersize = BATCH_ROWS
        cur.execute(statement, params)
        while rows := cur.fetchmany(BATCH_ROWS):
            names = [d[0] for d in cur.description]  # a named cursor describes after the first fetch
            yield [_row(names, r) for r in rows]


def _row(names: list[str], values: tuple) -> dict:
    row = dict(zip(names, values, strict=True))
    if "wkb" in row:
        wkb = row.pop("wkb")
        row["geometry"] = shapely.from_wkb(bytes(wkb)) if wkb is not None else None
    return row


def _log_pii_export(user, scope: QuerySet | None, path: Path) -> None:
    """One personal-data log row per household exported in full."""
    households = scope if scope is not None else visible_households(user)
    PiiAccessLog.record(user, households, via=f"export_layer {path.name}")
