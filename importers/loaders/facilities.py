"""Service facilities (设施) from a list or a GIS point file.

Type: the 设施类型 column is matched to a FacilityType by code, by name (社区卫生服务中心/医院
gives both halves), by the common Chinese names in :data:`CHINESE_TYPE_NAMES`, or by an OSM
tag ('amenity=school'; a column named after an OSM key, e.g. 'amenity' mapped with
``--mapping amenity=type``, works with bare values). amenity=school is a 小学 unless the
name says 中学/初中 (or 幼儿园).

Natural key: (source, source_id). Imported rows have source 'import' — or the 来源 column's
value (OpenStreetMap, 导入, 手工录入, 合成(演示) or their codes), so that an exported list
edited and imported back updates the same facilities. source_id is the 编号 column, else
the 编码 column, else a stable hash ``h:<16 hex>`` of name, type and WGS84 position (to
0.1 m): a facility without an id that moves or is renamed is then a new facility.
Facilities outside the district are kept with a warning (they serve residents across the
boundary).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from importers import checks
from importers.loaders.points import PointLoader, StageColumn
from importers.readers import Chunk, RowIssue, Source
from importers.report import Report
from layers.facilities.models import Facility, FacilityType
from layers.grids.limits import field_limit

CHINESE_TYPE_NAMES: dict[str, tuple[str, ...]] = {
    "health_station": ("卫生服务站", "社区卫生服务站", "卫生站", "卫生室", "诊所", "社区诊所"),
    "health_centre": ("社区医院", "社区卫生服务中心", "卫生服务中心", "医院", "卫生院"),
    "elderly_home": ("养老院", "敬老院", "老年公寓", "养老机构", "护理院", "老年养护院"),
    "elderly_daycare": ("日间照料中心", "老年人日间照料中心", "日间照料站", "养老服务站", "社区养老服务站"),
    "kindergarten": ("幼儿园", "托儿所", "托育中心", "托育机构"),
    "primary_school": ("小学",),
    "middle_school": ("初中", "中学", "初级中学", "九年一贯制学校"),
    "market": ("菜市场", "农贸市场", "生鲜超市", "超市", "菜场"),
    "fitness_point": ("健身点", "全民健身点", "室外健身场地", "健身路径", "室外综合健身场地"),
    "sports_ground": ("运动场", "体育场", "球场", "篮球场", "多功能运动场地"),
    "service_station": ("社区服务站", "党群服务中心", "社区党群服务中心", "社区服务中心", "便民服务中心", "居委会"),
    "police": ("警务室", "社区警务室", "派出所"),
    "library": ("图书馆", "阅览室", "图书室", "图书阅览室", "农家书屋"),
    "culture_centre": ("文化活动中心", "文化活动站", "文化站", "文化活动室", "文化中心", "综合文化服务中心"),
    "park": ("公园", "游园", "小游园", "口袋公园", "社区公园"),
}
OSM_KEYS = frozenset({"amenity", "leisure", "shop", "healthcare", "social_facility", "office"})
SOURCE_NAMES = {checks.normalise_key(s.value): s.value for s in Facility.Source} | {
    checks.normalise_key(s.label): s.value for s in Facility.Source}


def type_table() -> tuple[dict[str, str], dict[str, int], str]:
    """Lookup key → type code, code → pk, and the valid names for messages."""
    types = list(FacilityType.objects.order_by("sort_order", "code"))
    table: dict[str, str] = {}
    for t in types:  # OSM tags: the first type listing a tag wins (school → primary)
        for key, value in t.osm_tags:
            table.setdefault(checks.normalise_key(f"{key}={value}"), t.code)
    for code, names in CHINESE_TYPE_NAMES.items():
        for name in names:
            table[checks.normalise_key(name)] = code
    for t in types:
        for part in (t.name, *t.name.split("/")):
            table[checks.normalise_key(part)] = t.code
        table[checks.normalise_key(t.code)] = t.code
    pks = {t.code: t.pk for t in types}
    table = {k: v for k, v in table.items() if v in pks}
    return table, pks, "、".join(f"{t.name}({t.code})" for t in types)


class FacilityLoader(PointLoader):
    layer = "facilities"
    what = "设施 facilities"
    model = Facility
    table = "facilities_facility"
    key_columns = ("source", "source_id")
    key_label = "设施编号"
    needs_key = False
    grid_linked = False
    outside_severity = "warning"
    columns_spec = (
        StageColumn("source", "text", "'import'"),
        StageColumn("source_id", "text", "''"),
        StageColumn("type_id", "bigint", "NULL", "type"),
        StageColumn("name", "text", "''", "name", free_text=True),
        StageColumn("address", "text", "''", "address", free_text=True),
        StageColumn("capacity", "integer", "NULL", "capacity"),
    )
    insert_constants = {"synthetic": "false"}

    def prepare(self, source: Source, report: Report) -> None:
        super().prepare(source, report)
        self.types, self.type_pks, self.type_names = type_table()
        self.key_field = "external_id" if "external_id" in self.columns else "code"

    def parse(self, chunk: Chunk, lon: np.ndarray, lat: np.ndarray) -> tuple[dict[str, object], list[RowIssue]]:
        cols = self.columns
        names = checks.text(chunk, "name")
        header = cols.header("name")
        issues = checks.issues_for(chunk, checks.blank(names), names, header, "missing_name", f"{header} 为空 (empty)")
        codes, more = self._types(chunk)
        issues += more
        capacity, more = checks.parse_int(chunk, cols, "capacity", minimum=0, maximum=1_000_000)
        issues += more
        sources, more = checks.lookup(chunk, cols, "source", SOURCE_NAMES, valid_names="、".join(
            s.label for s in Facility.Source), kind="source")
        issues += more
        ids = checks.text(chunk, self.key_field).str.strip()
        issues += checks.too_long(chunk, cols, self.key_field, field_limit(Facility, "source_id"))
        hashed = [_hash_key(n, c, x, y) for n, c, x, y in zip(names, codes, lon, lat, strict=True)]
        ids = ids.where(ids != "", pd.Series(hashed, index=ids.index))
        values = {
            "source": sources.replace("", Facility.Source.IMPORT), "source_id": ids,
            "type_id": codes.map(lambda c: self.type_pks.get(c)).astype("Int64"), "name": names,
            "address": checks.text(chunk, "address"), "capacity": capacity,
        }
        return values, issues

    def _types(self, chunk: Chunk) -> tuple[pd.Series, list[RowIssue]]:
        cols = self.columns
        header = cols.header("type")
        raw = checks.text(chunk, "type")
        key = checks.normalise_key(header)
        if key in OSM_KEYS:  # a column named 'amenity' holds bare OSM values
            chunk.frame["type"] = raw.map(lambda v: f"{key}={v}" if v and "=" not in v else v)
        codes, issues = checks.lookup(chunk, cols, "type", self.types, valid_names=self.type_names, kind="type")
        empty = checks.blank(raw)
        issues += checks.issues_for(chunk, empty, raw, header, "missing_type",
                                    f"{header} 为空 (empty); 可用 valid: {self.type_names}")
        names = checks.text(chunk, "name")
        osm_school = chunk.frame["type"].str.contains("=", regex=False) & codes.isin(["primary_school", "middle_school"])
        for pattern, code in (("中学|初中", "middle_school"), ("小学", "primary_school"), ("幼儿园", "kindergarten")):
            codes = codes.mask((osm_school & names.str.contains(pattern, regex=True)).to_numpy(), code)
        return codes.where(codes.isin(list(self.type_pks)), ""), issues


def _hash_key(name: str, code: str, lon: float, lat: float) -> str:
    text = f"{name}|{code}|{lon:.6f}|{lat:.6f}"
    return "h:" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
