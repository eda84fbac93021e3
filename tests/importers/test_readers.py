"""Readers and row checks on their own (no database): formats, encodings, CRS, cells."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from importers import checks
from importers.chinese_crs import parse_crs_option, wgs84_to_gcj02
from importers.columns import resolve_columns
from importers.readers import Chunk, ReadError, cell_text, open_source
from tests.importers.conftest import DATA


def rows_of(path, layer="households", **kw) -> pd.DataFrame:
    with open_source(path, layer=layer, **kw) as source:
        return pd.concat([c.frame for c in source.chunks(2)], ignore_index=True)


@pytest.mark.parametrize(("name", "encoding"), [("households_gbk.csv", "gb18030"), ("households_utf8_bom.csv", "utf-8-sig"),
                                                ("households_gb18030.csv", "gb18030"), ("households_utf8.csv", "utf-8")])
def test_csv_encodings_are_detected(name, encoding):
    with open_source(DATA / name, layer="households", crs="wgs84") as source:
        assert source.encoding == encoding
        frames = list(source.chunks(2))
    assert [len(f) for f in frames] == ([2, 2, 1] if name == "households_gb18030.csv" else [2, 1])
    assert frames[0].numbers.tolist() == [2, 3]  # Excel row numbers: the header is row 1
    assert frames[0].frame["head_name"].tolist() == ["张三", "李四"]


def test_csv_without_crs_is_refused_and_crs_option_is_parsed():
    with pytest.raises(ReadError, match=r"households_gbk.csv: 文件没有坐标系.*--crs: wgs84"):
        open_source(DATA / "households_gbk.csv", layer="households")
    with pytest.raises(ReadError, match="--crs: unknown coordinate system 'gcj03'"):
        open_source(DATA / "households_gbk.csv", layer="households", crs="gcj03")
    with open_source(DATA / "households_gbk.csv", layer="households", crs="百度") as source:
        assert source.crs.kind == "bd09"


def test_file_crs_and_override():
    with open_source(DATA / "communities.gpkg", layer="communities") as source:
        assert source.crs.srs == "EPSG:4490" and "from the file" in source.notes[-2]
    with open_source(DATA / "communities.gpkg", layer="communities", crs="gcj02") as source:
        assert source.crs.kind == "gcj02"
        assert "overriding the file's China Geodetic Coordinate System 2000" in " ".join(source.notes)


def test_zipped_and_folder_shapefiles_without_cpg_are_read_as_gbk(tmp_path):
    frame = rows_of(DATA / "grids_gk35.zip", layer="grids")
    assert frame["name"].iloc[0].endswith("第1网格")
    frame = rows_of(DATA / "grids_no_crs", layer="grids", crs="EPSG:4523")
    assert frame["name"].tolist()[0] == "盐市口第1网格"
    double = tmp_path / "two.zip"
    with zipfile.ZipFile(DATA / "grids_gk35.zip") as src, zipfile.ZipFile(double, "w") as dst:
        for item in src.namelist():
            dst.writestr(item, src.read(item))
            dst.writestr("copy/" + item.replace("grids_gk35", "other"), src.read(item))
    with pytest.raises(ReadError, match=r"2 GIS files match in the zip \(found: grids_gk35, other\); choose one with --layer"):
        open_source(double, layer="grids")
    assert len(rows_of(double, layer="grids", gis_layer="other")) == 39


def test_geopackage_with_two_layers_needs_layer(tmp_path):
    import geopandas as gpd

    gdf = gpd.read_file(DATA / "communities.gpkg")
    shutil.copy(DATA / "communities.gpkg", tmp_path / "two.gpkg")
    gdf.to_file(tmp_path / "two.gpkg", layer="copy", driver="GPKG")
    with pytest.raises(ReadError, match=r"has 2 layers \(社区, copy\); choose one with --layer"):
        open_source(tmp_path / "two.gpkg", layer="communities")
    assert len(rows_of(tmp_path / "two.gpkg", layer="communities", gis_layer="copy")) == 6
    with pytest.raises(ReadError, match="no layer 'x'"):
        open_source(tmp_path / "two.gpkg", layer="communities", gis_layer="x")


def test_xlsx_sheet_numbers_and_cells():
    with open_source(DATA / "households_ledger.xlsx", layer="households", crs="wgs84") as source:
        chunk = next(source.chunks())
        assert source.total == 40
    assert chunk.numbers[0] == 2
    assert chunk.frame["id_number"].iloc[4] == "5.10104194302121e+17"  # Excel kept a number
    assert chunk.frame["residents"].iloc[0].isdigit()
    with pytest.raises(ReadError, match="--sheet: no sheet 'x'.*sheets: 户籍台账"):
        open_source(DATA / "households_ledger.xlsx", layer="households", crs="wgs84", sheet="x")


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (b"", ".csv", "the file is empty: 0 bytes"),
        (b"\xd0\xcf\x11\xe0", ".xls", "save it as .xlsx"),
        (b"PK\x03\x04broken", ".xlsx", "not a readable .xlsx workbook"),
        (b"x", ".dwg", "unsupported format .dwg"),
        (b"\r\n\r\n", ".csv", "no header row"),
    ],
)
def test_unreadable_files(tmp_path, content, suffix, message):
    path = tmp_path / f"f{suffix}"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message):
        open_source(path, layer="households", crs="wgs84")


def test_missing_file():
    with pytest.raises(ReadError, match="no such file"):
        open_source(DATA / "nothing.csv", layer="households")


def test_cell_text():
    assert cell_text(3.0) == "3"
    assert cell_text(5.10104194302121e17) == "5.10104194302121e+17"
    assert cell_text(None) == "" and cell_text(float("nan")) == ""
    assert cell_text(dt.datetime(2024, 3, 1, 8, 30)) == "2024-03-01 08:30:00"
    assert cell_text(" 张三 ") == "张三"


def chunk_of(layer: str, **columns: list[str]) -> tuple[Chunk, object]:
    cols = resolve_columns(list(columns), layer)
    frame = pd.DataFrame(columns, dtype=object).rename(columns=cols.rename_map())
    return Chunk(frame, np.arange(2, len(frame) + 2)), cols


def test_id_numbers_phones_and_numbers():
    chunk, cols = chunk_of("households", 经度=["104"] * 6, 纬度=["30"] * 6,
                           身份证号=["11010519491231002X", "110105194912310021", "5101**********1234", "123",
                                  "11010519491231002x", ""],
                           联系电话=["13800138000", "028-86651234", "138****8000", "12345", "+8613800138000", "无"],
                           人口数=["3", "3人", "3.0", "0", "abc", ""])
    ids, issues = checks.check_id_numbers(chunk, cols)
    kinds = {(i.number, i.kind, i.severity) for i in issues}
    assert kinds == {(3, "id_checksum", "warning"), (5, "bad_id_number", "error")}
    assert ids.tolist()[4] == "11010519491231002X"
    phones, issues = checks.check_phones(chunk, cols)
    assert [i.number for i in issues] == [5]
    assert phones.tolist()[5] == ""
    residents, issues = checks.parse_int(chunk, cols, "residents", minimum=1, maximum=999)
    assert residents.tolist()[:3] == [3, 3, 3]
    assert {(i.number, i.kind) for i in issues} == {(5, "out_of_range"), (6, "not_an_integer")}


def test_coordinates_swapped_not_numbers_and_gcj02():
    gx, gy = wgs84_to_gcj02(104.0657, 30.6576)
    chunk, cols = chunk_of("households", 经度=[str(gx), "30.6576", "东经104", "", "104°"],
                           纬度=[str(gy), "104.0657", "30.6", "30.6", "30.6"])
    spec = parse_crs_option("gcj02")
    lon, lat, issues = checks.point_coordinates(chunk, cols, spec, swap_extent=(103.9, 30.5, 104.3, 30.8))
    assert abs(lon[0] - 104.0657) < 1e-7 and abs(lat[0] - 30.6576) < 1e-7
    assert {(i.number, i.kind) for i in issues} == {(3, "swapped"), (4, "not_a_number"), (5, "missing_coordinate")}
    assert abs(lon[4] - 104.0) < 0.01  # '104°' is read


def test_datetimes_are_shanghai_time_unless_zoned():
    chunk, cols = chunk_of("incidents", 经度=["1"] * 5, 纬度=["1"] * 5, 事件类型=["x"] * 5,
                           上报时间=["2024-03-01 08:30", "2024年3月1日 8时30分", "2024-03-01T00:30:00Z", "3", ""])
    times, issues = checks.parse_datetimes(chunk, cols, "reported_at")
    expected = pd.Timestamp("2024-03-01 00:30", tz="UTC")
    assert times.tolist()[:3] == [expected] * 3
    assert {(i.number, i.kind) for i in issues} == {(5, "bad_time"), (6, "missing_time")}
