"""What each layer exports: its SQL, its columns (the headers importers.columns reads back)
and how personal values are masked (layers.people.masking)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from psycopg2 import sql

from importers.loaders.households import HEALTH_TAGS
from layers.facilities.models import Facility
from layers.incidents.models import IncidentStatus
from layers.people import masking

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = "text"  # text, int or float


@dataclass(frozen=True)
class ExportLayer:
    """A layer: ``sql`` (composed with psycopg2.sql: table names are identifiers, never text
    pasted in) selects ``id`` first, the column keys, and ``lon``/``lat`` (points) or ``wkb``
    (polygons); rows are ordered by ``order``."""

    name: str
    singular: str
    chinese: str
    sql: sql.Composable
    columns: tuple[Column, ...]
    polygons: bool
    sheet: str
    order: str = "code"
    personal: bool = False


_LONLAT = (Column("经度", "lon", "float"), Column("纬度", "lat", "float"))


# From a boundary table (alias b) to its district (alias d), along the hierarchy's keys.
_TO_DISTRICT = {
    "grids_district": "JOIN grids_district d ON d.id = b.id",
    "grids_street": "JOIN grids_district d ON d.id = b.district_id",
    "grids_community": "JOIN grids_street ds ON ds.id = b.street_id JOIN grids_district d ON d.id = ds.district_id",
    "grids_grid": "JOIN grids_community dc ON dc.id = b.community_id JOIN grids_street ds ON ds.id = dc.street_id "
                  "JOIN grids_district d ON d.id = ds.district_id",
}


def _boundary(name: str, singular: str, chinese: str, table: str, headers: tuple[str, str, str],
              parent: tuple[str, str] | None) -> ExportLayer:
    join, parent_col = sql.SQL(""), sql.SQL("")
    cols = [Column(headers[0], "code"), Column(headers[1], "name")]
    if parent:
        join = sql.SQL("JOIN {parent} p ON p.id = b.{fk}").format(
            parent=sql.Identifier(parent[0]), fk=sql.Identifier(f"{parent[1]}_id"))
        parent_col = sql.SQL(", p.code AS parent_code")
        cols.append(Column(headers[2], "parent_code"))
    cols.append(Column("面积(m²)", "area_m2", "float"))
    query = sql.SQL(
        # Areas in metres² in the metric CRS of the district each boundary belongs to.
        "SELECT b.id, b.code, b.name{parent_col}, "
        "round(ST_Area(ST_Transform(b.geom, d.metric_srid))::numeric, 1)::float8 AS area_m2, "
        "ST_AsBinary(b.geom) AS wkb FROM {table} b {join} {district}"
    ).format(parent_col=parent_col, table=sql.Identifier(table), join=join, district=sql.SQL(_TO_DISTRICT[table]))
    return ExportLayer(name, singular, chinese, query, tuple(cols), True, chinese)


LAYERS: dict[str, ExportLayer] = {layer.name: layer for layer in (
    _boundary("districts", "district", "区", "grids_district", ("区划代码", "名称", ""), None),
    _boundary("streets", "street", "街道", "grids_street", ("街道编码", "街道名称", "所属区划代码"),
              ("grids_district", "district")),
    _boundary("communities", "community", "社区", "grids_community", ("社区编码", "社区名称", "所属街道编码"),
              ("grids_street", "street")),
    _boundary("grids", "grid", "网格", "grids_grid", ("网格编码", "网格名称", "所属社区编码"),
              ("grids_community", "community")),
    ExportLayer(
        "facilities", "facility", "设施",
        sql.SQL("SELECT f.id, f.source_id, f.name, t.name AS type, f.address, f.capacity, f.source, "
        "ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat FROM facilities_facility f JOIN facilities_facilitytype t ON t.id = f.type_id"),
        (Column("编号", "source_id"), Column("设施名称", "name"), Column("设施类型", "type"), Column("地址", "address"),
         Column("容量", "capacity", "int"), Column("来源", "source"), *_LONLAT),
        False, "设施", order="id",
    ),
    ExportLayer(
        "households", "household", "户",
        sql.SQL("SELECT h.id, h.external_id, h.head_name, h.address, h.residents, h.phone, h.id_number, "
        "array_to_string(h.tags, '、') AS tags, h.last_visit::text AS last_visit, g.code AS grid_code, "
        "g.name AS grid_name, c.name AS community, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat "
        "FROM people_household h LEFT JOIN grids_grid g ON g.id = h.grid_id "
        "LEFT JOIN grids_community c ON c.id = g.community_id"),
        (Column("编号", "external_id"), Column("户主姓名", "head_name"), Column("地址", "address"),
         Column("人口数", "residents", "int"), Column("联系电话", "phone"), Column("身份证号", "id_number"),
         Column("标签", "tags"), Column("最近走访", "last_visit"), Column("网格编码", "grid_code"),
         Column("网格名称", "grid_name"), Column("社区", "community"), *_LONLAT),
        False, "户籍台账", order="id", personal=True,
    ),
    ExportLayer(
        "incidents", "incident", "事件",
        sql.SQL("SELECT i.id, i.external_id, k.name AS category, i.status, i.reported_at, i.description, i.address, "
        "i.reporter_name, i.dispatched_at, i.closed_at, i.satisfaction, g.code AS grid_code, "
        "ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat FROM incidents_incident i "
        "JOIN incidents_incidentcategory k ON k.id = i.category_id LEFT JOIN grids_grid g ON g.id = i.grid_id"),
        (Column("事件编号", "external_id"), Column("事件类型", "category"), Column("状态", "status"),
         Column("上报时间", "reported_at"), Column("事件描述", "description"), Column("地址", "address"),
         Column("上报人", "reporter_name"), Column("派遣时间", "dispatched_at"), Column("结案时间", "closed_at"),
         Column("回访结果", "satisfaction"), Column("网格编码", "grid_code"), *_LONLAT),
        False, "事件台账", order="id", personal=True,
    ),
)}

_SOURCE_LABELS = dict(Facility.Source.choices)
_STATUS_LABELS = dict(IncidentStatus.choices)


def _local(value: datetime | None) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _mask_tags(tags: str) -> str:
    words = [w for w in (tags or "").split("、") if w]
    shown = [w for w in words if w not in HEALTH_TAGS]
    return "、".join(shown + (["*"] if len(shown) < len(words) else []))


def masker(layer: ExportLayer, masked: bool) -> Callable[[dict], dict]:
    """The function that turns a database row into exported values (masked or not)."""

    def households(row: dict) -> dict:
        if masked:
            row["head_name"] = masking.mask_name(row["head_name"])
            row["phone"] = masking.mask_phone(row["phone"])
            row["id_number"] = masking.mask_id_number(row["id_number"])
            row["tags"] = _mask_tags(row["tags"])
        return row

    def incidents(row: dict) -> dict:
        row["status"] = _STATUS_LABELS.get(row["status"], row["status"])
        for key in ("reported_at", "dispatched_at", "closed_at"):
            row[key] = _local(row[key])
        if masked:
            row["reporter_name"] = masking.mask_name(row["reporter_name"])
        return row

    def facilities(row: dict) -> dict:
        row["source"] = _SOURCE_LABELS.get(row["source"], row["source"])
        return row

    return {"households": households, "incidents": incidents, "facilities": facilities}.get(layer.name, lambda r: r)
