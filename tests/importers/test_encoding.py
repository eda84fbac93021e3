"""Tests for importers.encoding, on real CSV files in tests/importers/data/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from importers.encoding import (
    EncodingDetectionError,
    detect_encoding,
    open_text,
)

DATA = Path(__file__).resolve().parent / "data"
HEADER = ["经度", "纬度", "地址", "户主姓名", "人口数", "联系电话", "身份证号"]


def read_rows(path: Path, encoding: str | None = None) -> list[list[str]]:
    with open_text(path, encoding) as f:
        return list(csv.reader(f))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("households_gbk.csv", "gb18030"),
        ("households_gb18030.csv", "gb18030"),
        ("households_utf8_bom.csv", "utf-8-sig"),
        ("households_utf8.csv", "utf-8"),
    ],
)
def test_detect_encoding_of_fixture_files(name, expected):
    assert detect_encoding(DATA / name) == expected
    assert detect_encoding(str(DATA / name)) == expected
    assert detect_encoding((DATA / name).read_bytes()) == expected


@pytest.mark.parametrize(
    "name",
    ["households_gbk.csv", "households_gb18030.csv", "households_utf8_bom.csv", "households_utf8.csv"],
)
def test_open_text_reads_chinese_headers(name):
    rows = read_rows(DATA / name)
    assert rows[0] == HEADER  # no BOM glued to 经度
    assert rows[1][3] == "张三"
    assert rows[3][3] == "朱镕"  # 镕: in GBK, not in GB2312
    assert rows[1][6] == "510104199001010011"  # ID numbers stay text


def test_gb18030_characters_outside_gbk():
    rows = read_rows(DATA / "households_gb18030.csv")
    names = [row[3] for row in rows[1:]]
    assert "刘䶮" in names
    assert "王𠀀" in names
    raw = (DATA / "households_gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gbk")


def test_gbk_file_is_identical_read_as_gbk_or_gb18030():
    path = DATA / "households_gbk.csv"
    assert read_rows(path, "gbk") == read_rows(path)


def test_open_text_honours_override():
    with open_text(DATA / "households_gbk.csv", "gbk") as f:
        assert f.encoding == "gbk"
        assert next(csv.reader(f)) == HEADER
    with open_text(DATA / "households_utf8.csv", "latin-1") as f:
        assert f.encoding == "latin-1"
        assert next(csv.reader(f))[0] == "经度".encode().decode("latin-1")  # mojibake, as asked


def test_open_text_utf8_override_on_bom_file_drops_the_bom():
    with open_text(DATA / "households_utf8_bom.csv", "UTF8") as f:
        assert f.encoding == "utf-8-sig"
        assert next(csv.reader(f))[0] == "经度"


def test_open_text_unknown_encoding():
    with pytest.raises(EncodingDetectionError, match="unknown text encoding 'klingon'"):
        open_text(DATA / "households_utf8.csv", "klingon")


def test_open_text_keeps_crlf_inside_quoted_fields(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_bytes('地址,人口数\r\n"一楼\r\n二楼",3\r\n'.encode("gbk"))
    assert read_rows(path) == [["地址", "人口数"], ["一楼\r\n二楼", "3"]]


def test_ascii_only_is_utf8():
    assert detect_encoding(b"lon,lat\r\n104.06,30.65\r\n") == "utf-8"
    assert detect_encoding(b"") == "utf-8"


def test_utf16_bom_is_recognised():
    assert detect_encoding("经度\t纬度\r\n".encode("utf-16")) == "utf-16"


def test_sample_boundary_inside_utf8_character():
    # 经 is 3 bytes in UTF-8: a 4-byte sample ends in the middle of 度.
    data = "经度,纬度\n".encode()
    assert detect_encoding(data, sample_bytes=4) == "utf-8"
    assert detect_encoding(data, sample_bytes=5) == "utf-8"


def test_sample_boundary_inside_gb18030_four_byte_character():
    # 𠀀 is 4 bytes in GB18030; cut it after 1, 2 and 3 of its bytes.
    data = "户主姓名,王𠀀\n".encode("gb18030")
    start = len("户主姓名,王".encode("gb18030"))
    for cut in (start + 1, start + 2, start + 3):
        assert detect_encoding(data, sample_bytes=cut) == "gb18030"


def test_only_the_sample_is_checked(tmp_path):
    path = tmp_path / "late_garbage.csv"
    path.write_bytes(b"lon,lat\n" * 10 + b"\xff\xff\n")
    assert detect_encoding(path, sample_bytes=16) == "utf-8"
    with pytest.raises(EncodingDetectionError):
        detect_encoding(path)


def test_truncated_character_at_end_of_whole_file_is_an_error():
    data = "经度".encode()[:-1]
    with pytest.raises(EncodingDetectionError):
        detect_encoding(data)


def test_undecodable_file_names_file_and_offsets(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"name,city\nJos\xe9,Paris\n\xff\n")
    with pytest.raises(EncodingDetectionError) as info:
        detect_encoding(path)
    message = str(info.value)
    assert str(path) in message
    assert "not UTF-8 (first bad byte offset 13" in message
    assert "GB18030" in message
    assert "byte offset" in message.split("GB18030", 1)[1]


def test_mixed_utf8_and_gbk_file_is_rejected_not_misread():
    path = DATA / "households_mixed_utf8_gbk.csv"
    raw = path.read_bytes()
    bad_offset = raw.index("锦江区督院街".encode("gbk"))
    with pytest.raises(EncodingDetectionError) as info:
        detect_encoding(path)
    message = str(info.value)
    assert path.name in message
    assert f"byte offset {bad_offset}" in message
    assert "mixes encodings" in message


def test_gbk_text_that_starts_as_valid_utf8_is_still_gbk():
    # 纬 in GBK is CE B3, which is also valid UTF-8 (γ): one lucky character is not enough.
    data = "纬度,经度\r\n30.66,104.07\r\n".encode("gbk")
    assert data[:2].decode("utf-8") == "γ"
    assert detect_encoding(data) == "gb18030"


def test_sample_bytes_must_be_reasonable():
    with pytest.raises(ValueError, match="sample_bytes"):
        detect_encoding(b"abc", sample_bytes=2)
