"""Generator of the malformed-file corpus: households, incidents and facilities ledgers as
CSV and XLSX, each file carrying one defect in one row (chosen from a seed), plus damaged
workbooks (truncated zip, sheet XML cut short, a NUL byte inside the sheet XML).

Every file is described by a :class:`Case`: which import command reads it, which row and
header hold the defect (0 / '' for a file-level defect) and a word the message must contain.
"""

from __future__ import annotations

import csv
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl

HEADERS = {
    "households": ["编号", "经度", "纬度", "地址", "户主姓名", "人口数", "联系电话"],
    "incidents": ["事件编号", "事件类型", "上报时间", "状态", "事件描述", "地址", "经度", "纬度"],
    "facilities": ["设施编号", "设施名称", "设施类型", "地址", "经度", "纬度"],
}
COMMAND = {"households": "import_households", "incidents": "import_incidents", "facilities": "import_facilities"}
ROWS = 6


@dataclass(frozen=True)
class Case:
    path: Path
    layer: str
    row: int  # spreadsheet row number of the defect (header = 1); 0: not known (the zip is cut)
    header: str  # column named in the message; '' when the file as a whole is refused
    defect: str

    @property
    def command(self) -> str:
        return COMMAND[self.layer]


def good_row(layer: str, n: int, rng: random.Random) -> dict[str, str]:
    """A valid row inside the test community of tests.factories (104.06–104.08 E, 30.65–30.66 N)."""
    lon, lat = f"{rng.uniform(104.061, 104.079):.6f}", f"{rng.uniform(30.651, 30.659):.6f}"
    if layer == "households":
        return {"编号": f"H{n:04d}", "经度": lon, "纬度": lat, "地址": f"测试路{n}号", "户主姓名": "张三",
                "人口数": "2", "联系电话": "13800000000"}
    if layer == "incidents":
        return {"事件编号": f"SJ{n:04d}", "事件类型": "dispute", "上报时间": "2024-03-02 09:05", "状态": "已立案",
                "事件描述": "居民反映问题", "地址": f"测试路{n}号", "经度": lon, "纬度": lat}
    return {"设施编号": f"F{n:04d}", "设施名称": f"测试幼儿园{n}", "设施类型": "幼儿园", "地址": f"测试路{n}号",
            "经度": lon, "纬度": lat}


# (defect name, layers it applies to, column, bad value)
CELL_DEFECTS: list[tuple[str, tuple[str, ...], str, str]] = [
    ("lon_inf", ("households", "incidents", "facilities"), "经度", "inf"),
    ("lat_minus_inf", ("households", "incidents", "facilities"), "纬度", "-inf"),
    ("lon_Infinity", ("households", "incidents", "facilities"), "经度", "Infinity"),
    ("lat_NaN", ("households", "incidents", "facilities"), "纬度", "NaN"),
    ("lon_huge", ("households", "incidents", "facilities"), "经度", "1e309"),
    ("date_0001", ("incidents",), "上报时间", "0001-01-01"),
    ("date_9999", ("incidents",), "上报时间", "9999-12-31"),
    ("date_feb30", ("incidents",), "上报时间", "2024-02-30 10:00"),
    ("date_garbage", ("incidents",), "上报时间", "去年某天"),
    ("nul_in_address", ("households", "incidents", "facilities"), "地址", "测试路\x00号"),
    ("nul_in_name", ("households",), "户主姓名", "张\x00三"),
    ("long_address", ("households", "incidents", "facilities"), "地址", "长" * 301),
    ("long_description", ("incidents",), "事件描述", "描" * 2001),
    ("huge_description", ("incidents",), "事件描述", "x" * 200_000),
    ("long_name", ("households",), "户主姓名", "名" * 101),
    ("long_facility_name", ("facilities",), "设施名称", "名" * 201),
    ("giant_cell", ("incidents",), "事件描述", "y" * 2_000_000),
]
FILE_LEVEL_IN_CSV = {"giant_cell"}
"""Defects that refuse a CSV as a whole (at their row, the column cannot be known)."""


def _rows(layer: str, rng: random.Random) -> list[dict[str, str]]:
    return [good_row(layer, n, rng) for n in range(1, ROWS + 1)]


def _write_csv(path: Path, layer: str, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, HEADERS[layer])
        writer.writeheader()
        writer.writerows(rows)


def _write_xlsx(path: Path, layer: str, rows: list[dict[str, str]], placeholder: dict[str, str] | None = None) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS[layer])
    for row in rows:
        sheet.append([(placeholder or {}).get(row[h], row[h]) for h in HEADERS[layer]])
    book.save(path)


def _patch_sheet(path: Path, old: bytes, new: bytes, *, cut: bool = False) -> None:
    """Rewrite the first sheet's XML inside the workbook: replace ``old`` by ``new``, or cut
    the XML in the middle of its data when ``cut``."""
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 2 // 3] if cut else data.replace(old, new)
            z.writestr(info, data)


def build_corpus(folder: Path, seed: int = 20261128) -> list[Case]:
    """Write every malformed file under ``folder``; return their cases."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for layer in HEADERS:
        for defect, layers, header, value in CELL_DEFECTS:
            if layer not in layers:
                continue
            rows = _rows(layer, rng)
            index = rng.randrange(ROWS)
            rows[index][header] = value
            row_number = index + 2
            csv_path = folder / f"{layer}_{defect}.csv"
            _write_csv(csv_path, layer, rows)
            cases.append(Case(csv_path, layer, row_number, "" if defect in FILE_LEVEL_IN_CSV else header, defect))
            xlsx_path = folder / f"{layer}_{defect}.xlsx"
            if "\x00" in value:  # openpyxl refuses NUL: write a marker, then put a raw NUL in the XML
                marker = value.replace("\x00", "NULMARK")
                rows[index][header] = marker
                _write_xlsx(xlsx_path, layer, rows)
                _patch_sheet(xlsx_path, b"NULMARK", b"\x00")
                for name in ("xl/sharedStrings.xml",):  # the string may live in the shared strings
                    _patch_member(xlsx_path, name, b"NULMARK", b"\x00")
                cases.append(Case(xlsx_path, layer, row_number, "", defect))
            else:
                _write_xlsx(xlsx_path, layer, rows)
                cases.append(Case(xlsx_path, layer, row_number, header, defect))
        # damaged workbooks
        rows = _rows(layer, rng)
        whole = folder / f"{layer}_whole.xlsx"
        _write_xlsx(whole, layer, rows)
        data = whole.read_bytes()
        truncated = folder / f"{layer}_truncated_zip.xlsx"
        truncated.write_bytes(data[: len(data) * rng.randint(40, 90) // 100])
        cases.append(Case(truncated, layer, 0, "", "truncated_zip"))
        cut = folder / f"{layer}_sheet_cut.xlsx"
        cut.write_bytes(data)
        _patch_sheet(cut, b"", b"", cut=True)
        cases.append(Case(cut, layer, 0, "", "sheet_xml_cut"))
        whole.unlink()
    return cases


def _patch_member(path: Path, member: str, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    if member not in {info.filename for info, _ in items}:
        return
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, data.replace(old, new) if info.filename == member else data)
