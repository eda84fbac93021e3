"""Regenerate the small CSV fixtures in this folder: python make_csv_fixtures.py.

All people, phone numbers and ID numbers are invented. Rows end with CRLF, as Excel writes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = ["经度", "纬度", "地址", "户主姓名", "人口数", "联系电话", "身份证号"]
ROWS = [
    ["104.0657", "30.6576", "春熙路街道示例社区1栋101", "张三", "3", "13800000001", "510104199001010011"],
    ["104.0702", "30.6601", "锦江区书院街街道示例路2号", "李四", "2", "13800000002", "51010419850505002X"],
    # 镕 is in GBK but not in GB2312; the swapped coordinates are deliberate.
    ["30.6544", "104.0811", "锦江区督院街街道示例巷3号", "朱镕", "1", "13800000003", "510104194001010033"],
]
# 䶮 (U+4DAE) and 𠀀 (U+20000) are outside GBK: GB18030 only.
GB18030_ROWS = [
    *ROWS,
    ["104.0755", "30.6490", "锦江区合江亭街道示例街4号", "刘䶮", "4", "13800000004", "510104197001010044"],
    ["104.0760", "30.6480", "锦江区合江亭街道示例街5号", "王𠀀", "2", "13800000005", "510104197201010055"],
]


def csv_text(rows: list[list[str]]) -> str:
    """The header and ``rows`` as CSV text with CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buf.getvalue()


def main() -> None:
    """Write every fixture file next to this script."""
    (HERE / "households_gbk.csv").write_bytes(csv_text(ROWS).encode("gbk"))
    (HERE / "households_gb18030.csv").write_bytes(csv_text(GB18030_ROWS).encode("gb18030"))
    (HERE / "households_utf8_bom.csv").write_bytes(csv_text(ROWS).encode("utf-8-sig"))
    (HERE / "households_utf8.csv").write_bytes(csv_text(ROWS).encode("utf-8"))
    # Broken on purpose: a UTF-8 file with one row pasted from a GBK file.
    utf8_part = csv_text(ROWS[:2]).encode("utf-8")
    gbk_row = csv_text(ROWS[2:]).split("\r\n", 1)[1].encode("gbk")
    (HERE / "households_mixed_utf8_gbk.csv").write_bytes(utf8_part + gbk_row)


if __name__ == "__main__":
    main()
