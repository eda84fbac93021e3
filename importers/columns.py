"""Recognise spreadsheet column headers (Chinese or English) as canonical field names.

Each layer (``households``, ``incidents``, ``facilities``, and the boundary layers
``districts``, ``streets``, ``communities``, ``grids``) has its own alias table, because
the same header means different things in different files: 类别 is a household's person
category (tags) but an incident's event class (category) and a facility's type; 类型 is
an incident category but a facility type; 社区编码 is a community's own code in a community
file but the parent's code in a grid file.

Decisions worth knowing:

- 编号 (and 户号, 事件编号, 案卷号, ...) map to ``external_id``, the identifier the office
  uses, kept so a re-import can update rather than duplicate. 序号 is *not* mapped: it is
  Excel's running row number (1, 2, 3, ...), renumbered whenever rows are sorted or deleted.
- ``x``/``y`` map to lon/lat, as in GIS exports. Chinese surveying uses the opposite
  convention (X = northing, Y = easting) for Gauss-Krüger coordinates: for such files give
  an explicit mapping, e.g. ``X=lat,Y=lon``.
- When several headers match one field, the header matching the earlier alias wins
  (上报时间 beats 发生时间 beats 时间); the others are listed in ``ColumnMap.shadowed``.

Header normalisation (:func:`normalise_header`): NFKC (full-width letters, digits and
brackets to ASCII), case-folding, removing whitespace, BOMs and required-field markers
(``*经度``), and, as a fallback, a trailing unit in brackets (``人口数（人）``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

LAYERS = ("households", "incidents", "facilities", "districts", "streets", "communities", "grids")
POINT_LAYERS = ("households", "incidents", "facilities")
BOUNDARY_LAYERS = ("districts", "streets", "communities", "grids")

_COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "lon": ("经度", "东经", "lng", "lon", "longitude", "long", "x", "point_x"),
    "lat": ("纬度", "北纬", "lat", "latitude", "y", "point_y"),
    "address": ("详细地址", "地址", "住址", "地点", "address", "addr"),
    # A geometry as WKT text in a CSV/XLSX file (what export_layer writes for polygons).
    "geometry": ("几何", "空间位置", "wkt", "geometry", "geom", "the_geom"),
}

_LAYER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "households": {
        "external_id": ("户编号", "户号", "编号", "external_id", "id"),
        "head_name": ("户主姓名", "户主", "姓名", "head_name", "householder", "name"),
        "residents": ("人口数", "家庭人口", "家庭人口数", "人数", "residents", "population"),
        "phone": ("联系电话", "手机号", "手机号码", "手机", "电话", "phone", "mobile", "tel"),
        "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证", "id_number", "id_card"),
        "tags": ("标签", "人员类别", "人员类型", "类别", "tags", "tag"),
    },
    "incidents": {
        "external_id": ("事件编号", "案卷号", "工单号", "编号", "external_id", "id"),
        "category": ("事件类型", "事件类别", "事件分类", "类别", "类型", "category", "type"),
        "reported_at": ("上报时间", "发生时间", "时间", "reported_at", "report_time", "time", "datetime"),
        "description": ("事件描述", "问题描述", "事件内容", "描述", "内容", "description", "content"),
        "status": ("办理状态", "处理状态", "状态", "status"),
        "reporter_name": ("上报人姓名", "上报人", "reporter_name", "reporter"),
    },
    "facilities": {
        "external_id": ("设施编号", "编号", "external_id", "id"),
        "name": ("设施名称", "名称", "name"),
        "type": ("设施类型", "设施类别", "类型", "类别", "type", "category"),
        "capacity": ("容量", "床位数", "床位", "学位数", "学位", "capacity"),
        "code": ("设施编码", "编码", "代码", "code"),
        "phone": ("联系电话", "电话", "phone", "tel"),
        "source": ("数据来源", "来源", "source"),
    },
    # Boundary files: the parent code is optional (codes are hierarchical: a community's
    # first 9 digits are its street's code), a grid's code too (generated when missing).
    "districts": {
        "code": ("区划代码", "行政区划代码", "区县代码", "编码", "代码", "code", "adcode"),
        "name": ("区县名称", "区名称", "名称", "name"),
    },
    "streets": {
        "code": ("街道编码", "街道代码", "乡镇代码", "编码", "代码", "code"),
        "name": ("街道名称", "乡镇名称", "名称", "name"),
        "parent_code": ("所属区划代码", "区划代码", "区县代码", "district_code", "parent_code"),
    },
    "communities": {
        "code": ("社区编码", "社区代码", "村居代码", "编码", "代码", "code"),
        "name": ("社区名称", "村居名称", "名称", "name"),
        "parent_code": ("所属街道编码", "街道编码", "街道代码", "street_code", "parent_code"),
    },
    "grids": {
        "code": ("网格编码", "网格代码", "单元网格标识码", "网格标识码", "编码", "代码", "code"),
        "name": ("网格名称", "名称", "name"),
        "parent_code": ("所属社区编码", "社区编码", "社区代码", "community_code", "parent_code"),
    },
}

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "households": ("lon", "lat"),
    "incidents": ("lon", "lat", "category", "reported_at"),
    "facilities": ("lon", "lat", "name", "type"),
    "districts": ("code", "name"),
    "streets": ("code", "name"),
    "communities": ("code", "name"),
    "grids": (),
}
"""Fields every file of the layer must have (by header or explicit mapping). ``lon``/``lat``
are not required when the file has geometries (a GIS file, or a WKT ``geometry`` column)."""


class ColumnError(ValueError):
    """Headers that cannot be matched to the fields a layer needs, or a bad mapping option."""


_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)
_MARKERS = "*:"  # after NFKC: ＊ → *, ： → :
_UNIT_SUFFIX = re.compile(r"[(\[【〔].*[)\]】〕]$")


def normalise_header(header: str) -> str:
    """Normalise a header for matching: NFKC, case-folded, no whitespace/BOM/``*``/``:``.

    ``" ＊经 度： "`` → ``"经度"``; ``"Longitude"`` → ``"longitude"``. Underscores are kept.
    """
    text = unicodedata.normalize("NFKC", header).translate(_INVISIBLE).casefold()
    return "".join(text.split()).strip(_MARKERS)


def _without_unit(normalised: str) -> str:
    """Drop a trailing bracketed unit: ``"人口数(人)"`` → ``"人口数"``, ``"容量【床】"`` → ``"容量"``."""
    return _UNIT_SUFFIX.sub("", normalised).strip(_MARKERS)


def _check_layer(layer: str) -> None:
    if layer not in _LAYER_ALIASES:
        msg = f"unknown layer {layer!r}; expected one of: {', '.join(LAYERS)}"
        raise ColumnError(msg)


def layer_aliases(layer: str) -> dict[str, tuple[str, ...]]:
    """Field → header aliases for ``layer`` (strongest alias first), common fields first."""
    _check_layer(layer)
    return {**_COMMON_ALIASES, **_LAYER_ALIASES[layer]}


def layer_fields(layer: str) -> tuple[str, ...]:
    """The canonical field names ``layer`` accepts."""
    return tuple(layer_aliases(layer))


def _alias_index(layer: str) -> dict[str, tuple[str, int]]:
    """Normalised alias → (field, priority); lower priority numbers win."""
    index: dict[str, tuple[str, int]] = {}
    for name, aliases in layer_aliases(layer).items():
        for priority, alias in enumerate(aliases):
            index.setdefault(normalise_header(alias), (name, priority))
    return index


def match_header(header: str, layer: str) -> str | None:
    """The canonical field ``header`` names in ``layer``, or None if it is not recognised."""
    match = _match(normalise_header(header), _alias_index(layer))
    return match[0] if match else None


def _match(normalised: str, index: Mapping[str, tuple[str, int]]) -> tuple[str, int] | None:
    if normalised in index:
        return index[normalised]
    return index.get(_without_unit(normalised))


@dataclass(frozen=True)
class ColumnMap:
    """Where each canonical field is found in a file.

    Attributes:
        layer: the layer the headers were resolved for.
        headers: the file's headers, as given.
        fields: canonical field → column position (0-based) in ``headers``.
        unmapped: headers that feed no field (kept for messages, e.g. 序号 or 备注).
        shadowed: headers that matched a field another header won, as (header, field).
    """

    layer: str
    headers: tuple[str, ...]
    fields: dict[str, int]
    unmapped: tuple[str, ...] = ()
    shadowed: tuple[tuple[str, str], ...] = ()

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def header(self, name: str) -> str:
        """The original header of field ``name`` (for messages: 'row 12, 经度: ...')."""
        return self.headers[self.fields[name]]

    def rename_map(self) -> dict[str, str]:
        """Original header → canonical field, for ``pandas.DataFrame.rename(columns=...)``."""
        return {self.headers[i]: name for name, i in self.fields.items()}

    def pick(self, row: Sequence[str]) -> dict[str, str]:
        """Canonical field → cell value for one ``csv.reader`` row (short rows give '')."""
        return {name: row[i] if i < len(row) else "" for name, i in self.fields.items()}


def resolve_columns(
    headers: Iterable[str],
    layer: str,
    mapping: Mapping[str, str] | None = None,
    *,
    option: str = "--map",
    has_geometry: bool = False,
) -> ColumnMap:
    """Match ``headers`` to the canonical fields of ``layer``.

    ``mapping`` (header → field, e.g. from :func:`parse_mapping_option`) overrides the
    automatic recognition; its headers are compared after :func:`normalise_header`.
    Raises :class:`ColumnError` when a mapping names an unknown header or field, when two
    headers are equally good matches for a field, or when required fields are missing
    (the message lists them with their usual Chinese headers and the headers found).
    ``has_geometry`` says the file brings its own geometries (a GIS file): then ``lon`` and
    ``lat`` are not required; a WKT ``geometry`` column counts the same way.
    """
    headers_t = tuple(headers)
    _check_layer(layer)
    explicit = _explicit_fields(headers_t, layer, mapping or {}, option)
    taken_positions = set(explicit.values())
    auto, shadowed = _auto_fields(
        headers_t, layer, skip_fields=set(explicit), skip_positions=taken_positions, option=option
    )
    fields = {**auto, **explicit}
    _check_required(headers_t, layer, fields, option, has_geometry=has_geometry or "geometry" in fields)
    used = set(fields.values())
    unmapped = tuple(h for i, h in enumerate(headers_t) if i not in used)
    return ColumnMap(layer, headers_t, fields, unmapped, tuple(shadowed))


def _explicit_fields(
    headers: tuple[str, ...], layer: str, mapping: Mapping[str, str], option: str
) -> dict[str, int]:
    """Field → position for the user's explicit mapping, checked against headers and fields."""
    positions = {normalise_header(h): i for i, h in reversed(list(enumerate(headers)))}
    valid = layer_fields(layer)
    fields: dict[str, int] = {}
    for header, name in mapping.items():
        if name not in valid:
            msg = f"{option}: unknown field {name!r} for {layer}; fields: {', '.join(valid)}"
            raise ColumnError(msg)
        position = positions.get(normalise_header(header))
        if position is None:
            msg = f"{option}: no column {header!r} in the file; headers found: {_list(headers)}"
            raise ColumnError(msg)
        if name in fields:
            msg = f"{option}: field {name!r} mapped twice ({headers[fields[name]]!r} and {header!r})"
            raise ColumnError(msg)
        fields[name] = position
    return fields


def _auto_fields(
    headers: tuple[str, ...],
    layer: str,
    *,
    skip_fields: set[str],
    skip_positions: set[int],
    option: str,
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Field → position by alias, best alias first; also the (header, field) pairs that lost."""
    index = _alias_index(layer)
    candidates: dict[str, list[tuple[int, int]]] = {}  # field → [(priority, position)]
    for position, header in enumerate(headers):
        match = _match(normalise_header(header), index)
        if match is None or position in skip_positions:
            continue
        name, priority = match
        candidates.setdefault(name, []).append((priority, position))
    fields: dict[str, int] = {}
    shadowed: list[tuple[str, str]] = []
    for name, found in candidates.items():
        if name in skip_fields:
            shadowed.extend((headers[pos], name) for _, pos in found)
            continue
        found.sort()
        best_priority, best = found[0]
        ties = [headers[pos] for prio, pos in found if prio == best_priority]
        if len(ties) > 1:
            msg = (
                f"{layer}: columns {_list(ties)} all look like {name!r}; "
                f"choose one with {option} '{ties[0]}={name}'"
            )
            raise ColumnError(msg)
        fields[name] = best
        shadowed.extend((headers[pos], name) for _, pos in found[1:])
    return fields, shadowed


def _check_required(
    headers: tuple[str, ...], layer: str, fields: Mapping[str, int], option: str, *, has_geometry: bool
) -> None:
    aliases = layer_aliases(layer)
    required = [n for n in REQUIRED_FIELDS[layer] if not (has_geometry and n in ("lon", "lat"))]
    missing = [name for name in required if name not in fields]
    if not missing:
        return
    chinese = {name: "/".join(a for a in aliases[name] if not a.isascii()) for name in missing}
    wanted = ", ".join(f"{name} ({chinese[name]})" for name in missing)
    msg = (
        f"{layer}: missing required columns: {wanted}; headers found: {_list(headers)}; "
        f"name the columns with {option} 'HEADER=FIELD,...', e.g. {option} '经度坐标=lon,纬度坐标=lat'"
    )
    raise ColumnError(msg)


def _list(headers: Iterable[str]) -> str:
    return ", ".join(repr(h) for h in headers) or "(none)"


_ITEM_SEPARATORS = re.compile(r"[,;]")


def parse_mapping_option(text: str, *, option: str = "--map") -> dict[str, str]:
    """Parse ``"经度坐标=lon,纬度坐标=lat"`` into ``{"经度坐标": "lon", "纬度坐标": "lat"}``.

    Items are separated by ``,`` or ``;`` (full-width ``，；＝`` work too); spaces around
    items are ignored. Field names are not checked against a layer here
    (:func:`resolve_columns` does that), but must be non-empty, as must headers.
    Raises :class:`ColumnError` naming ``option`` for a malformed item or a repeated header.
    """
    mapping: dict[str, str] = {}
    seen: set[str] = set()
    for raw in _ITEM_SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        item = raw.strip()
        if not item:
            continue
        header, sep, name = item.partition("=")
        header, name = header.strip(), name.strip().casefold()
        if not sep or not header or not name:
            msg = f"{option}: {item!r} is not HEADER=FIELD (e.g. {option} '经度坐标=lon,纬度坐标=lat')"
            raise ColumnError(msg)
        if normalise_header(header) in seen:
            msg = f"{option}: column {header!r} is mapped twice"
            raise ColumnError(msg)
        seen.add(normalise_header(header))
        mapping[header] = name
    return mapping


# --- swapped longitude / latitude ------------------------------------------------------

Extent = tuple[float, float, float, float]


FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _inside(lon: FloatArray, lat: FloatArray, extent: Extent) -> BoolArray:
    lon_min, lat_min, lon_max, lat_max = extent
    return (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)


def _valid(lon: FloatArray, lat: FloatArray) -> BoolArray:
    return (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)


def detect_swapped_lonlat(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, extent: Extent | None = None
) -> BoolArray:
    """Boolean mask of rows whose longitude and latitude (degrees) look swapped.

    A row is flagged when swapping the two values makes sense and the given order does not:

    - the given pair is out of range (``|lat| > 90`` or ``|lon| > 180``) but the swapped
      pair is in range — e.g. (30.66, 104.07) for Chengdu; or
    - ``extent`` = (lon_min, lat_min, lon_max, lat_max) is given, the given pair falls
      outside it and the swapped pair inside it — this catches western China, where
      longitudes below 90 pass the range test.

    NaN rows are never flagged. Pass the district's or the grid layer's extent, padded by
    a few kilometres, for the strongest check.
    """
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    flagged = ~_valid(lon_a, lat_a) & _valid(lat_a, lon_a)
    if extent is not None:
        flagged |= ~_inside(lon_a, lat_a, extent) & _inside(lat_a, lon_a, extent)
    return flagged
