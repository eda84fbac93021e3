"""Tests for importers.columns: header recognition, --map parsing, swapped lon/lat."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from importers.columns import (
    LAYERS,
    REQUIRED_FIELDS,
    ColumnError,
    detect_swapped_lonlat,
    layer_aliases,
    layer_fields,
    match_header,
    normalise_header,
    parse_mapping_option,
    resolve_columns,
)
from importers.encoding import open_text

DATA = Path(__file__).resolve().parent / "data"
CHINA_EXTENT = (73.0, 18.0, 135.0, 54.0)
CHENGDU_EXTENT = (103.9, 30.5, 104.3, 30.8)


# --- normalisation and single headers ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" 经度 ", "经度"),
        ("经 度", "经度"),
        ("\ufeff经度", "经度"),
        ("*经度", "经度"),
        ("经度：", "经度"),
        ("＊纬度", "纬度"),
        ("Longitude", "longitude"),
        ("ＬＯＮ", "lon"),
        ("POINT_X", "point_x"),
        ("人口数（人）", "人口数(人)"),
    ],
)
def test_normalise_header(raw, normalised):
    assert normalise_header(raw) == normalised


@pytest.mark.parametrize(
    ("header", "layer", "expected"),
    [
        ("经度", "households", "lon"),
        ("东经", "incidents", "lon"),
        ("LNG", "facilities", "lon"),
        ("longitude", "households", "lon"),
        ("x", "households", "lon"),
        ("纬度", "households", "lat"),
        ("北纬", "households", "lat"),
        ("Latitude", "incidents", "lat"),
        ("Y", "facilities", "lat"),
        ("住址", "households", "address"),
        ("详细地址", "incidents", "address"),
        ("户主", "households", "head_name"),
        ("姓名", "households", "head_name"),
        ("家庭人口", "households", "residents"),
        ("人数", "households", "residents"),
        ("人口数(人)", "households", "residents"),
        ("手机号", "households", "phone"),
        ("身份证号码", "households", "id_number"),
        ("证件号码", "households", "id_number"),
        ("人员类别", "households", "tags"),
        ("事件类别", "incidents", "category"),
        ("发生时间", "incidents", "reported_at"),
        ("内容", "incidents", "description"),
        ("办理状态", "incidents", "status"),
        ("设施名称", "facilities", "name"),
        ("设施类型", "facilities", "type"),
        ("床位", "facilities", "capacity"),
        ("学位", "facilities", "capacity"),
        ("容量【个】", "facilities", "capacity"),
        ("代码", "facilities", "code"),
        ("编号", "households", "external_id"),
        ("编号", "incidents", "external_id"),
    ],
)
def test_match_header(header, layer, expected):
    assert match_header(header, layer) == expected


@pytest.mark.parametrize(
    ("header", "layer", "expected"),
    [
        ("类别", "households", "tags"),
        ("类别", "incidents", "category"),
        ("类别", "facilities", "type"),
        ("类型", "incidents", "category"),
        ("类型", "facilities", "type"),
        ("类型", "households", None),
        ("时间", "incidents", "reported_at"),
        ("时间", "households", None),
        ("名称", "facilities", "name"),
        ("名称", "households", None),
        ("name", "households", "head_name"),
        ("name", "facilities", "name"),
    ],
)
def test_ambiguous_headers_depend_on_layer(header, layer, expected):
    assert match_header(header, layer) == expected


@pytest.mark.parametrize("header", ["序号", "备注", "经度坐标", "", "网格"])
def test_unrecognised_headers(header):
    for layer in LAYERS:
        assert match_header(header, layer) is None


def test_alias_tables_have_no_collisions_within_a_layer():
    for layer in LAYERS:
        seen: dict[str, str] = {}
        for name, aliases in layer_aliases(layer).items():
            for alias in aliases:
                key = normalise_header(alias)
                other = seen.setdefault(key, name)
                assert other == name, f"{layer}: {alias!r} maps to {other} and {name}"


def test_layer_fields_include_required():
    for layer in LAYERS:
        assert set(REQUIRED_FIELDS[layer]) <= set(layer_fields(layer))


def test_unknown_layer():
    with pytest.raises(ColumnError, match=r"unknown layer 'roads'.*households, incidents, facilities"):
        resolve_columns(["经度", "纬度"], "roads")


# --- resolve_columns ----------------------------------------------------------------------


def test_resolve_household_fixture_headers():
    with open_text(DATA / "households_gbk.csv") as f:
        headers = next(csv.reader(f))
    columns = resolve_columns(headers, "households")
    assert columns.fields == {
        "lon": 0,
        "lat": 1,
        "address": 2,
        "head_name": 3,
        "residents": 4,
        "phone": 5,
        "id_number": 6,
    }
    assert columns.unmapped == ()
    assert columns.header("residents") == "人口数"
    assert "lon" in columns
    assert "tags" not in columns


def test_resolve_keeps_unmapped_and_shadowed():
    headers = ["序号", "经度", "纬度", "户主姓名", "姓名", "手机", "联系电话", "备注"]
    columns = resolve_columns(headers, "households")
    assert columns.header("head_name") == "户主姓名"
    assert columns.header("phone") == "联系电话"  # stronger alias than 手机, whatever the order
    assert columns.unmapped == ("序号", "姓名", "手机", "备注")
    assert set(columns.shadowed) == {("姓名", "head_name"), ("手机", "phone")}


def test_resolve_incidents_with_messy_headers():
    headers = [" 事件编号 ", "＊经度", "Ｌａｔ", "事件类型", "发生时间", "上报时间", "事件描述", "状态"]
    headers.append("类别")
    columns = resolve_columns(headers, "incidents")
    assert columns.fields == {
        "external_id": 0,
        "lon": 1,
        "lat": 2,
        "category": 3,
        "reported_at": 5,
        "description": 6,
        "status": 7,
    }
    assert ("类别", "category") in columns.shadowed
    assert ("发生时间", "reported_at") in columns.shadowed


def test_resolve_facilities():
    headers = ["设施名称", "设施类型", "经度", "纬度", "床位数", "编码", "编号", "地址"]
    columns = resolve_columns(headers, "facilities")
    assert columns.fields == {
        "name": 0,
        "type": 1,
        "lon": 2,
        "lat": 3,
        "capacity": 4,
        "code": 5,
        "external_id": 6,
        "address": 7,
    }


def test_resolve_rename_map_and_pick():
    headers = ["经度", "纬度", "备注", "户主"]
    columns = resolve_columns(headers, "households")
    assert columns.rename_map() == {"经度": "lon", "纬度": "lat", "户主": "head_name"}
    row = ["104.06", "30.65", "x", "张三"]
    assert columns.pick(row) == {"lon": "104.06", "lat": "30.65", "head_name": "张三"}
    assert columns.pick(["104.06", "30.65"])["head_name"] == ""


def test_missing_required_fields_message():
    with pytest.raises(ColumnError) as info:
        resolve_columns(["序号", "地址", "X坐标", "Y坐标"], "incidents")
    message = str(info.value)
    assert message.startswith("incidents: missing required columns: ")
    for needed in ("lon (经度", "lat (纬度", "category (事件类型", "reported_at (上报时间"):
        assert needed in message
    assert "headers found: '序号', '地址', 'X坐标', 'Y坐标'" in message
    assert "--map" in message


def test_missing_only_reports_what_is_missing():
    with pytest.raises(ColumnError) as info:
        resolve_columns(["经度", "纬度", "名称"], "facilities")
    message = str(info.value)
    assert "type (" in message
    assert "name (" not in message
    assert "lon (" not in message


def test_equally_good_headers_are_an_error():
    with pytest.raises(ColumnError, match=r"'电话', '电话'.*'phone'.*--map '电话=phone'"):
        resolve_columns(["经度", "纬度", "电话", "电话"], "households")


def test_explicit_mapping_fills_and_overrides():
    headers = ["经度坐标", "纬度坐标", "经度", "姓名", "户主"]
    mapping = parse_mapping_option("经度坐标=lon,纬度坐标=lat,姓名=head_name")
    columns = resolve_columns(headers, "households", mapping)
    assert columns.fields == {"lon": 0, "lat": 1, "head_name": 3}
    assert ("经度", "lon") in columns.shadowed
    assert ("户主", "head_name") in columns.shadowed


def test_explicit_mapping_headers_are_normalised():
    columns = resolve_columns(["Ｘ坐标 ", "Y坐标"], "households", {"x坐标": "lon", "Y坐标": "lat"})
    assert columns.fields == {"lon": 0, "lat": 1}


def test_explicit_mapping_beats_automatic_use_of_the_same_column():
    # Chinese surveying order: X is northing, Y is easting.
    columns = resolve_columns(["X", "Y"], "households", {"X": "lat", "Y": "lon"})
    assert columns.fields == {"lat": 0, "lon": 1}
    assert columns.shadowed == ()


def test_explicit_mapping_errors():
    with pytest.raises(ColumnError, match=r"--map: no column '经度坐标'.*headers found: '经度', '纬度'"):
        resolve_columns(["经度", "纬度"], "households", {"经度坐标": "lon"})
    with pytest.raises(ColumnError, match=r"--map: unknown field 'capacity' for households; fields: lon,"):
        resolve_columns(["经度", "纬度", "床位"], "households", {"床位": "capacity"})
    with pytest.raises(ColumnError, match="mapped twice"):
        resolve_columns(["a", "b"], "households", {"a": "lon", "b": "lon"})
    with pytest.raises(ColumnError, match=r"^--columns: "):
        resolve_columns(["经度", "纬度"], "households", {"nope": "lon"}, option="--columns")


# --- parse_mapping_option ----------------------------------------------------------------


def test_parse_mapping_option():
    assert parse_mapping_option("经度坐标=lon,纬度坐标=lat") == {"经度坐标": "lon", "纬度坐标": "lat"}


def test_parse_mapping_option_tolerates_spaces_fullwidth_and_case():
    assert parse_mapping_option(" 经度坐标 = LON ， 纬度坐标＝lat；人口=residents, ") == {
        "经度坐标": "lon",
        "纬度坐标": "lat",
        "人口": "residents",
    }
    assert parse_mapping_option("") == {}


@pytest.mark.parametrize("text", ["经度坐标", "=lon", "经度坐标=", "a=lon,a=lat"])
def test_parse_mapping_option_errors(text):
    with pytest.raises(ColumnError, match=r"^--map: "):
        parse_mapping_option(text)


def test_parse_mapping_option_names_the_option():
    with pytest.raises(ColumnError, match=r"^--columns: 'oops' is not HEADER=FIELD"):
        parse_mapping_option("oops", option="--columns")


# --- swapped lon/lat -----------------------------------------------------------------------


def test_swapped_out_of_range_without_extent():
    lon = [104.07, 30.66, 104.07, 200.0, 30.66]
    lat = [30.66, 104.07, 95.0, 30.0, 30.0]
    # ok, swapped (lat > 90), lat > 90 but lon also too big to be a latitude, lon > 180, ok
    expected = [False, True, False, False, False]
    np.testing.assert_array_equal(detect_swapped_lonlat(lon, lat), expected)


def test_swapped_by_extent_in_western_china():
    # Kashgar (75.99 E, 39.47 N) swapped: both values are in range, only the extent tells.
    lon = np.array([75.99, 39.47])
    lat = np.array([39.47, 75.99])
    np.testing.assert_array_equal(detect_swapped_lonlat(lon, lat), [False, False])
    np.testing.assert_array_equal(detect_swapped_lonlat(lon, lat, extent=CHINA_EXTENT), [False, True])


def test_swapped_by_extent_not_flagged_when_neither_order_fits():
    lon = np.array([2.35, 104.07, 30.66])
    lat = np.array([48.85, 30.66, 104.07])
    mask = detect_swapped_lonlat(lon, lat, extent=CHENGDU_EXTENT)
    np.testing.assert_array_equal(mask, [False, False, True])


def test_swapped_ignores_nan_and_does_not_modify_inputs():
    lon = np.array([np.nan, 30.66, 104.07])
    lat = np.array([104.07, np.nan, 30.66])
    before = lon.copy()
    mask = detect_swapped_lonlat(lon, lat, extent=CHENGDU_EXTENT)
    np.testing.assert_array_equal(mask, [False, False, False])
    np.testing.assert_array_equal(lon, before)
    assert mask.dtype == bool


def test_swapped_fixture_row():
    with open_text(DATA / "households_utf8.csv") as f:
        rows = list(csv.reader(f))
    columns = resolve_columns(rows[0], "households")
    data = [columns.pick(row) for row in rows[1:]]
    lon = np.array([float(r["lon"]) for r in data])
    lat = np.array([float(r["lat"]) for r in data])
    mask = detect_swapped_lonlat(lon, lat, extent=CHENGDU_EXTENT)
    np.testing.assert_array_equal(mask, [False, False, True])
