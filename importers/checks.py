"""Row checks of the importers, vectorised over a chunk: each takes text columns and returns
parsed values plus one :class:`RowIssue` per bad cell (the row is then rejected, or kept
with a warning). Messages name the column header the user sees and say how to fix it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from importers.chinese_crs import CrsSpec, to_wgs84
from importers.columns import ColumnMap, Extent, detect_swapped_lonlat
from importers.readers.base import Chunk, RowIssue
from layers.grids.limits import EARLIEST_TIME

LATEST_YEAR = 2100
"""Date-times after this year are typos (9999-12-31 placeholders), refused with a message."""

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
LOCAL_TZ = "Asia/Shanghai"

# Placeholders offices type for "nothing": treated as an empty cell (cells arrive stripped).
EMPTY_WORDS = frozenset({"无", "暂无", "没有", "-", "--", "/", "—", "空", "null", "none", "n/a", "nan"})
_EMPTY_CELLS = list(EMPTY_WORDS | {w.upper() for w in EMPTY_WORDS} | {w.title() for w in EMPTY_WORDS} | {""})


def issues_for(
    chunk: Chunk, mask: BoolArray, values: npt.ArrayLike, header: str, kind: str, message: str,
    severity: str = "error",
) -> list[RowIssue]:
    """One issue per row of ``mask``; ``message`` may use ``{value}``."""
    vals = np.asarray(values, dtype=object)
    return [
        RowIssue(int(n), header, str(v)[:100], message.format(value=v), kind, severity)
        for n, v in zip(chunk.numbers[mask], vals[mask], strict=True)
    ]


def text(chunk: Chunk, name: str) -> pd.Series:
    """The text column of field ``name`` (all '' when the file has no such column)."""
    if name in chunk.frame:
        return chunk.frame[name].astype(object).fillna("")
    return pd.Series([""] * len(chunk), dtype=object)


def blank(values: pd.Series) -> BoolArray:
    """Empty cells, counting placeholders such as 无 or '-' as empty (a hash lookup per cell)."""
    return values.isin(_EMPTY_CELLS).to_numpy()


def lengths(values: pd.Series) -> npt.NDArray[np.int64]:
    return np.fromiter(map(len, values.to_numpy()), dtype=np.int64, count=len(values))


def contains(values: pd.Series, text_: str) -> BoolArray:
    return np.fromiter((text_ in v for v in values.to_numpy()), dtype=bool, count=len(values))


def per_value(values: pd.Series, fn) -> pd.Series:
    """``fn`` applied once per distinct value (ledger columns repeat a few values a lot)."""
    table = {v: fn(v) for v in pd.unique(values.to_numpy())}
    return values.map(table)


def fixed_width(values: pd.Series, width: int) -> tuple[BoolArray, npt.NDArray[np.uint8]]:
    """Rows whose value is ``width`` ASCII characters, and those values as a byte matrix."""
    vals = values.to_numpy()
    rows = lengths(values) == width
    data = "".join(vals[rows]).encode("utf-8")
    if len(data) != width * int(rows.sum()):  # non-ASCII somewhere: fall back to a per-row test
        rows &= np.fromiter((v.isascii() for v in vals), dtype=bool, count=len(vals))
        data = "".join(vals[rows]).encode("ascii")
    return rows, np.frombuffer(data, dtype=np.uint8).reshape(-1, width)


def _digits(matrix: npt.NDArray[np.uint8]) -> BoolArray:
    return ((matrix >= 48) & (matrix <= 57)).all(axis=1)


def too_long(chunk: Chunk, columns: ColumnMap, name: str, limit: int) -> list[RowIssue]:
    if name not in columns:
        return []
    values = text(chunk, name)
    mask = lengths(values) > limit
    header = columns.header(name)
    return issues_for(chunk, mask, values, header, "too_long", f"{header} 超过 {limit} 个字符 (longer than {limit} characters)")


# --- coordinates --------------------------------------------------------------------------------


def _numbers(values: pd.Series) -> FloatArray:
    """Decimal numbers; full-width digits and a trailing ° are accepted (second pass, rare)."""
    parsed = np.array(pd.to_numeric(values, errors="coerce"), dtype=np.float64)  # a writable copy
    retry = np.isnan(parsed) & (values != "").to_numpy()
    if retry.any():
        cleaned = values[retry].map(lambda v: unicodedata.normalize("NFKC", v).replace("°", "").strip())
        parsed[retry] = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64)
    return parsed


def point_coordinates(
    chunk: Chunk, columns: ColumnMap, crs: CrsSpec, *, swap_extent: Extent | None
) -> tuple[FloatArray, FloatArray, list[RowIssue]]:
    """WGS84 lon/lat of each row, from its point geometry or its lon/lat cells.

    Rows whose values are missing, not numbers, swapped or not convertible get NaN and an
    issue. Swapped lon/lat (the commonest spreadsheet mistake) is detected on the raw
    values when the CRS is geographic, with ``swap_extent`` (the district's, padded).
    """
    n = len(chunk)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    issues: list[RowIssue] = []
    from_geom = np.zeros(n, dtype=bool)
    if chunk.geoms is not None:
        geoms = chunk.geoms
        present = ~shapely.is_missing(geoms)
        single = present & (shapely.get_num_geometries(geoms) == 1)
        points = np.where(single, shapely.get_geometry(geoms, 0), None)
        is_point = single & (shapely.get_type_id(points) == shapely.GeometryType.POINT)
        wrong = present & ~is_point
        types = shapely.get_type_id(geoms)
        names = np.array([shapely.GeometryType(t).name if t >= 0 else "" for t in types], dtype=object)
        issues += issues_for(chunk, wrong, names, "geometry", "geometry_type",
                             "几何类型 {value}, 应为点 (wrong geometry type {value}: expected Point)")
        x[is_point] = shapely.get_x(points[is_point])
        y[is_point] = shapely.get_y(points[is_point])
        infinite = is_point & ~(np.isfinite(x) & np.isfinite(y))
        issues += issues_for(chunk, infinite, x, "geometry", "not_finite",
                             "坐标不是有限的数 (a coordinate is NaN or infinite): {value}")
        x[infinite] = np.nan
        y[infinite] = np.nan
        from_geom = present
    if "lon" in columns and "lat" in columns:
        need = ~from_geom
        lon_text, lat_text = text(chunk, "lon"), text(chunk, "lat")
        for name, values, target in (("lon", lon_text, x), ("lat", lat_text, y)):
            header = columns.header(name)
            parsed = _numbers(values)
            empty = need & blank(values)
            # inf, -inf, Infinity and 1e309 parse as floats but are no position: refused here,
            # else they reach the staging table as NULL and the database answers with a crash.
            infinite = need & ~empty & np.isinf(parsed)
            bad = need & ~empty & np.isnan(parsed)
            issues += issues_for(chunk, empty, values, header, "missing_coordinate", f"{header} 为空 (empty)")
            issues += issues_for(chunk, bad, values, header, "not_a_number", f"{header} 不是数字 (not a number): {{value!r}}")
            issues += issues_for(chunk, infinite, values, header, "not_finite",
                                 f"{header} 不是有限的数 (not a finite number): {{value!r}}")
            parsed[infinite] = np.nan
            target[need] = parsed[need]
    elif chunk.geoms is None:
        raise ValueError("point_coordinates needs point geometries or lon/lat columns")
    issues += _check_degrees(chunk, columns, crs, x, y, swap_extent)
    ok = np.isfinite(x) & np.isfinite(y)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if ok.any():
        lon[ok], lat[ok] = to_wgs84(x[ok], y[ok], crs)
    failed = ok & ~(np.isfinite(lon) & np.isfinite(lat))
    issues += issues_for(chunk, failed, x, "geometry", "crs", f"无法从 {crs.name} 转换到 WGS84 (cannot convert {{value}})")
    # Safety net: a row left without a position must carry an error, whatever the path that
    # lost it (the staging table refuses NULL coordinates with a database error, not a message).
    explained = {i.number for i in issues if i.severity == "error"}
    lost = ~(np.isfinite(lon) & np.isfinite(lat)) & ~np.isin(chunk.numbers, list(explained))
    issues += issues_for(chunk, lost, x, "geometry", "no_position", "没有可用的坐标 (no usable position)")
    return lon, lat, issues


def _check_degrees(
    chunk: Chunk, columns: ColumnMap, crs: CrsSpec, x: FloatArray, y: FloatArray, extent: Extent | None
) -> list[RowIssue]:
    """Swapped and out-of-range lon/lat; the bad rows' x/y become NaN."""
    if not crs.is_geographic:
        return []
    lon_h = columns.header("lon") if "lon" in columns else "经度"
    lat_h = columns.header("lat") if "lat" in columns else "纬度"
    swapped = detect_swapped_lonlat(x, y, extent=extent)
    issues = [
        RowIssue(int(n), f"{lon_h}/{lat_h}", f"{a}, {b}",
                 f"{lon_h}/{lat_h} 经纬度颠倒 (look swapped: ({a}, {b}) fits as ({b}, {a})); swap the two values, "
                 f"or if the whole file is swapped use --mapping '{lon_h}=lat,{lat_h}=lon'", "swapped")
        for n, a, b in zip(chunk.numbers[swapped], x[swapped], y[swapped], strict=True)
    ]
    out = ~swapped & np.isfinite(x) & np.isfinite(y) & ((np.abs(x) > 180) | (np.abs(y) > 90))
    issues += [
        RowIssue(int(n), f"{lon_h}/{lat_h}", f"{a}, {b}",
                 f"({a}, {b}) 不是经纬度 (not degrees: metres of a projected CRS? then give --crs, "
                 "e.g. EPSG:4523 for CGCS2000 Gauss-Kruger zone 35)", "not_degrees")
        for n, a, b in zip(chunk.numbers[out], x[out], y[out], strict=True)
    ]
    x[swapped | out] = np.nan
    y[swapped | out] = np.nan
    return issues


def polygons_to_wgs84(geoms: npt.NDArray[np.object_], crs: CrsSpec) -> npt.NDArray[np.object_]:
    """Polygon geometries in ``crs`` → WGS84, vertex by vertex (GCJ-02/BD-09 included)."""

    def convert(xy: FloatArray) -> FloatArray:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])

    return shapely.transform(geoms, convert)


# --- numbers, codes, people ---------------------------------------------------------------------

_INT = re.compile(r"^\s*(\d+)(?:\.0+)?\s*(?:人|户|个|床|位)?\s*$")


def parse_int(
    chunk: Chunk, columns: ColumnMap, name: str, *, minimum: int, maximum: int
) -> tuple[pd.Series, list[RowIssue]]:
    """Whole numbers such as 人口数 ('3', '3.0', '3人'); empty → <NA>."""
    values = text(chunk, name)
    if name not in columns:
        return pd.Series([pd.NA] * len(chunk), dtype="Int64"), []
    header = columns.header(name)
    numbers = pd.to_numeric(values, errors="coerce")
    slow = numbers.isna().to_numpy() & (values != "").to_numpy()
    if slow.any():  # '3人', ' 3 '
        numbers[slow] = pd.to_numeric(values[slow].str.extract(_INT, expand=False), errors="coerce")
    whole = numbers.notna() & (numbers == np.floor(numbers.fillna(0)))
    parsed = numbers.where(whole).astype("Float64").astype("Int64")
    empty = blank(values)
    bad = ~empty & parsed.isna().to_numpy()
    out = ~empty & ~bad & ((parsed < minimum) | (parsed > maximum)).fillna(False).to_numpy()
    issues = issues_for(chunk, bad, values, header, "not_an_integer", f"{header} 不是整数 (not a whole number): {{value!r}}")
    issues += issues_for(chunk, out, values, header, "out_of_range",
                         f"{header} 应在 {minimum}–{maximum} 之间 (out of range): {{value}}")
    parsed[empty | bad | out] = pd.NA
    return parsed, issues


_ID_FORMAT = re.compile(r"^(\d{17}[0-9X]|\d{15})$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_id_numbers(chunk: Chunk, columns: ColumnMap, name: str = "id_number") -> tuple[pd.Series, list[RowIssue]]:
    """身份证号: 18 characters (or the old 15 digits); a wrong check digit is a warning.
    Masked values (with '*') pass through for the loader to keep the stored number.
    Vectorised: the 18-character values are checked as one byte matrix."""
    values = text(chunk, name)
    if name not in columns:
        return values, []
    if contains(values, " ").any() or contains(values, "x").any():
        values = per_value(values, lambda v: v.replace(" ", "").upper())
    header = columns.header(name)
    empty = blank(values)
    masked = contains(values, "*")
    fmt_ok = np.zeros(len(values), dtype=bool)
    checksum_ok = np.ones(len(values), dtype=bool)
    rows18, m18 = fixed_width(values, 18)
    ok18 = _digits(m18[:, :17]) & (((m18[:, 17] >= 48) & (m18[:, 17] <= 57)) | (m18[:, 17] == ord("X")))
    fmt_ok[rows18] = ok18
    total = (m18[:, :17].astype(np.int64) - 48) @ np.asarray(_ID_WEIGHTS)
    checksum_ok[rows18] = ~ok18 | (np.frombuffer(b"10X98765432", dtype=np.uint8)[total % 11] == m18[:, 17])
    rows15, m15 = fixed_width(values, 15)
    fmt_ok[rows15] = _digits(m15)
    bad = ~empty & ~masked & ~fmt_ok
    scientific = bad.copy()
    scientific[bad] = values[bad].str.match(_SCIENTIFIC).to_numpy(dtype=bool)
    issues = issues_for(chunk, bad & ~scientific, values, header, "bad_id_number",
                        f"{header} 格式不对 (not an 18-character ID number): {{value}}")
    issues += issues_for(chunk, scientific, values, header, "id_number_as_number",
                         f"{header} 被 Excel 存成了数字, 后几位已丢失 (stored as a number by Excel, digits lost): "
                         "format the column as text and enter the numbers again")
    issues += issues_for(chunk, ~checksum_ok, values, header, "id_checksum",
                         f"{header} 校验位不符 (check digit does not match; kept): {{value}}", "warning")
    return values.where(~empty, ""), issues


_PHONE = re.compile(r"^(?:(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|\d{7,8}|400-?\d{3}-?\d{4})$")


def check_phones(chunk: Chunk, columns: ColumnMap, name: str = "phone") -> tuple[pd.Series, list[RowIssue]]:
    """联系电话: a mobile (13800000000, +86...), a landline (028-86651234) or a local number."""
    values = text(chunk, name)
    if name not in columns:
        return values, []
    header = columns.header(name)
    empty = blank(values)
    rows11, m11 = fixed_width(values, 11)  # the common case, a mobile number, checked as bytes
    ok = np.zeros(len(values), dtype=bool)
    ok[rows11] = _digits(m11) & (m11[:, 0] == ord("1")) & (m11[:, 1] >= ord("3"))
    slow = ~ok & ~empty
    if slow.any():
        cleaned = values[slow].str.replace(r"[\s\u3000]", "", regex=True)
        values = values.copy()
        values[slow] = cleaned
        ok[slow] = cleaned.str.contains("*", regex=False).to_numpy() | cleaned.str.match(_PHONE).to_numpy(dtype=bool)
    bad = ~empty & ~ok
    issues = issues_for(chunk, bad, values, header, "bad_phone", f"{header} 不是电话号码 (not a phone number): {{value}}")
    return values.where(~empty, ""), issues


def lookup(
    chunk: Chunk, columns: ColumnMap, name: str, table: Mapping[str, str], *, valid_names: str, kind: str
) -> tuple[pd.Series, list[RowIssue]]:
    """Map text to codes through ``table`` (keys normalised like headers); unknown → issue."""
    values = text(chunk, name)
    if name not in columns:
        return pd.Series([""] * len(chunk), dtype=object), []
    header = columns.header(name)
    mapped = per_value(values, lambda v: table.get(normalise_key(v), "")).astype(object)
    empty = blank(values)
    bad = ~empty & (mapped == "").to_numpy()
    issues = issues_for(chunk, bad, values, header, f"unknown_{kind}",
                        f"{header} 无法识别 {{value!r}} (unknown {kind}); 可用 valid: {valid_names}")
    return mapped, issues


def normalise_key(value: str) -> str:
    """Lookup key for names and codes: NFKC, case-folded, no spaces."""
    return "".join(unicodedata.normalize("NFKC", value).casefold().split())


# --- dates -------------------------------------------------------------------------------------

_CN_DATE = re.compile(r"(\d{4})\s*[年./]\s*(\d{1,2})\s*[月./]\s*(\d{1,2})\s*日?")
_AWARE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_STARTS_WITH_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")


def parse_datetimes(chunk: Chunk, columns: ColumnMap, name: str) -> tuple[pd.Series, list[RowIssue]]:
    """Date-times such as '2024-03-01 08:30', '2024/3/1 8:30', '2024年3月1日 8时30分' or ISO
    text with an offset. Naive values are Asia/Shanghai local time. Returns UTC values."""
    values = text(chunk, name)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if name not in columns:
        return out, []
    header = columns.header(name)
    norm = (values.str.strip().str.replace(_CN_DATE, r"\1-\2-\3 ", regex=True)
            .str.replace("时", ":", regex=False).str.replace("分", "", regex=False).str.replace("秒", "", regex=False)
            .str.strip())
    empty = blank(values)
    # A year outside EARLIEST..LATEST is a typo (0001-01-01, 9999-12-31 placeholders): said so
    # rather than 'not a date-time', and kept away from pandas, whose nanosecond timestamps
    # cannot hold it (it would overflow, not fail politely).
    years = pd.to_numeric(norm.str.extract(r"^(\d{4,})-", expand=False), errors="coerce").to_numpy(dtype=np.float64)
    out_of_range = ~empty & ((years < EARLIEST_TIME.year) | (years > LATEST_YEAR))
    usable = ~empty & ~out_of_range & norm.str.match(_STARTS_WITH_DATE).to_numpy()
    aware = usable & norm.str.contains(_AWARE).to_numpy()
    naive = usable & ~aware
    if aware.any():
        out[aware] = pd.to_datetime(norm[aware], utc=True, errors="coerce", format="ISO8601")
    if naive.any():
        parsed = pd.to_datetime(norm[naive], errors="coerce", format="ISO8601")
        slow = parsed.isna()
        if slow.any():
            parsed[slow] = pd.to_datetime(norm[naive][slow], errors="coerce", format="mixed")
        out[naive] = parsed.dt.tz_localize(LOCAL_TZ, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
    early = (out < pd.Timestamp(EARLIEST_TIME)).fillna(False).to_numpy(dtype=bool)
    out_of_range |= early
    out[early] = pd.NaT
    missing = empty
    bad = ~empty & ~out_of_range & out.isna().to_numpy()
    issues = issues_for(chunk, missing, values, header, "missing_time", f"{header} 为空 (empty)")
    issues += issues_for(chunk, bad, values, header, "bad_time",
                         f"{header} 无法识别的时间 (not a date-time, e.g. 2024-03-01 08:30): {{value!r}}")
    issues += issues_for(chunk, out_of_range, values, header, "time_out_of_range",
                         f"{header} 超出范围 (out of range: before {EARLIEST_TIME:%Y-%m-%d} or after "
                         f"{LATEST_YEAR}): {{value!r}}")
    return out, issues
