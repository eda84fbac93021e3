"""CSV and XLSX ledgers (台账): one header row, then one row per household, incident, ...

CSV is read with :mod:`csv` in the encoding :func:`importers.encoding.detect_encoding`
finds (UTF-8, UTF-8 with BOM, GBK/GB18030) or the one given with ``--encoding``; XLSX with
openpyxl in read-only mode. Both stream: rows are handed out in chunks, never all at once.
Row numbers are the ones Excel shows (the header is row 1).
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import shapely
from openpyxl.utils.exceptions import InvalidFileException

from importers.columns import ColumnError, ColumnMap, resolve_columns
from importers.encoding import EncodingDetectionError, open_text
from importers.readers.base import (
    CHUNK_ROWS,
    QUOTE,
    Chunk,
    ReadError,
    RowIssue,
    cell_text,
    column_note,
    resolve_crs,
    unquote,
)

# What openpyxl raises on a damaged workbook: a bad or truncated zip, a damaged deflate
# stream, XML cut short or holding a raw NUL (ParseError and lxml's XMLSyntaxError are both
# SyntaxErrors), a missing part.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, SyntaxError, KeyError, OSError, ValueError, TypeError,
            IndexError, AttributeError)


CSV_FIELD_MAX = 1_000_000
"""Characters a CSV cell may hold before the reader gives up on the file (Python's default,
131,072, stops at a long but legitimate cell before the importers' per-field limits can name
its column; a cell beyond this is a damaged file: a quote left open swallows the rest)."""
if csv.field_size_limit() < CSV_FIELD_MAX:
    csv.field_size_limit(CSV_FIELD_MAX)


def _columns(path: Path, headers: Sequence[str], layer: str, mapping: Mapping[str, str], option: str) -> ColumnMap:
    try:
        return resolve_columns(headers, layer, mapping, option=option)
    except ColumnError as e:
        raise ReadError(f"{path.name}: {e}") from e


class _Table:
    """Shared parts of the CSV and XLSX sources: chunking rows into frames."""

    label = "row"
    path: Path
    columns: ColumnMap

    def _wkt(self, chunk: Chunk) -> np.ndarray:
        """Geometries of a WKT ``geometry`` column; bad WKT becomes a row issue (None)."""
        text = chunk.frame["geometry"].to_numpy(dtype=object)
        geoms = shapely.from_wkt(np.where(text == "", None, text), on_invalid="ignore")
        bad = (text != "") & shapely.is_missing(geoms)
        header = self.columns.header("geometry")
        for number, value in zip(chunk.numbers[bad], text[bad], strict=True):
            chunk.issues.append(RowIssue(int(number), header, value[:80], f"{header}: 不是有效的 WKT 几何 (not valid WKT)",
                                         "bad_wkt"))
        return geoms

    def _shape_issue(self, record: Sequence[str], number: int) -> RowIssue | None:
        """An issue when a row has fewer cells than mapped columns need, or extra non-empty cells."""
        width = len(self.columns.headers)
        if len(record) > width and any(c.strip() for c in record[width:]):
            msg = (f"{len(record)} 个单元格, 表头只有 {width} 列 "
                   f"(more cells than headers: a comma inside a value that is not quoted?)")
            return RowIssue(number, "", "", msg, "row_shape")
        missing = [self.columns.headers[i] for i in self.columns.fields.values() if i >= len(record)]
        if missing:
            msg = (f"只有 {len(record)} 个单元格, 表头有 {width} 列, 缺少 {', '.join(missing)} "
                   f"(row is short: truncated file or missing separators)")
            return RowIssue(number, missing[0], "", msg, "row_shape")
        return None

    def _rows(self) -> Iterator[tuple[int, Sequence[str]]]:
        raise NotImplementedError

    def _nul_issue(self, name: str, number: int) -> RowIssue:
        header = self.columns.header(name)
        return RowIssue(number, header, "", f"{header} 含有 NUL 字符 (a NUL byte \\x00 in the cell: "
                        "the file is damaged or not text)", "nul_byte")

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        positions = list(self.columns.fields.values())
        pick = itemgetter(*positions) if len(positions) > 1 else (lambda record: (record[positions[0]],))
        rows: list[tuple[str, ...]] = []
        numbers: list[int] = []
        issues: list[RowIssue] = []
        width = len(self.columns.headers)
        # The per-row loop only sorts rows by shape and picks the mapped cells (C-level);
        # cleaning them (strip, unquote, NUL) runs column by column in _clean_chunk.
        for number, record in self._rows():
            if len(record) != width or not any(record):  # the common full row skips these tests
                if not any(c.strip() for c in record):
                    continue  # blank rows between blocks of a ledger carry nothing
                issue = self._shape_issue(record, number)
                if issue is not None:
                    issues.append(issue)
                    continue
                record = [*record, *[""] * (width - len(record))]
            rows.append(pick(record))
            numbers.append(number)
            if len(rows) >= size:
                yield self._clean_chunk(rows, numbers, issues)
                rows, numbers, issues = [], [], []
        if rows or issues:
            yield self._clean_chunk(rows, numbers, issues)

    def _clean_chunk(self, rows: list[tuple[str, ...]], numbers: list[int], issues: list[RowIssue]) -> Chunk:
        """Cells stripped and unquoted (an export's formula quote taken off), column by column;
        rows holding a NUL byte (PostgreSQL text cannot) are refused, naming the first such column."""
        fields = list(self.columns.fields)
        columns = [list(map(str.strip, column)) for column in zip(*rows, strict=True)] if rows else [[] for _ in fields]
        nul_field: dict[int, str] = {}
        for name, column in zip(fields, columns, strict=True):
            # One search over the whole column first: most columns have no quote and no NUL.
            joined = "\n" + "\n".join(column)
            if "\n" + QUOTE in joined:
                for i in [i for i, cell in enumerate(column) if cell[:1] == QUOTE]:
                    column[i] = unquote(column[i])
            if "\x00" in joined:
                for i in [i for i, cell in enumerate(column) if "\x00" in cell]:
                    nul_field.setdefault(i, name)
        if nul_field:
            keep = [i for i in range(len(numbers)) if i not in nul_field]
            issues = sorted([*issues, *(self._nul_issue(name, numbers[i]) for i, name in nul_field.items())],
                            key=lambda issue: issue.number)
            columns = [[column[i] for i in keep] for column in columns]
            numbers = [numbers[i] for i in keep]
        frame = pd.DataFrame(dict(zip(fields, columns, strict=True)), columns=fields, dtype=object)
        chunk = Chunk(frame, np.asarray(numbers, dtype=np.int64), None, issues)
        if "geometry" in self.columns:
            chunk.geoms = self._wkt(chunk)
        return chunk

    def close(self) -> None:
        pass

    def __enter__(self) -> _Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CsvSource(_Table):
    """A CSV file: encoding detected unless given, CRS from ``--crs`` (CSV files have none)."""

    def __init__(
        self, path: Path, *, layer: str, crs: str | None, encoding: str | None,
        mapping: Mapping[str, str], option: str,
    ) -> None:
        self.path = path
        try:
            self._file = open_text(path, encoding)
        except EncodingDetectionError as e:
            raise ReadError(str(e)) from e
        except LookupError as e:
            raise ReadError(f"--encoding: unknown encoding {encoding!r}; use utf-8, gbk or gb18030") from e
        self.encoding = self._file.encoding
        self._reader = csv.reader(self._file)
        try:
            headers = self._read_header()
            self.columns = _columns(path, headers, layer, mapping, option)
            self.crs, crs_note = resolve_crs(path, None, crs)
        except ReadError:
            self._file.close()
            raise
        how = "--encoding" if encoding else "detected"
        self.notes = [f"编码 encoding: {self.encoding} ({how})", crs_note, column_note(self.columns)]
        self.total: int | None = None

    def _read_header(self) -> list[str]:
        try:
            for record in self._reader:
                if any(c.strip() for c in record):
                    while record and not record[-1].strip():
                        record = record[:-1]
                    return record
        except UnicodeDecodeError as e:
            raise ReadError(self._decode_message(e, 1)) from e
        msg = f"{self.path.name}: 文件是空的 (the file is empty: no header row)"
        raise ReadError(msg)

    def _decode_message(self, error: UnicodeDecodeError, number: int) -> str:
        return (
            f"{self.path.name}: near row {number}: 不是有效的 {self.encoding} 文本 (not valid {self.encoding}: "
            f"{error.reason}); the file mixes encodings or is damaged: re-save it from Excel as 'CSV UTF-8', "
            "or give the right one with --encoding gbk / gb18030 / utf-8"
        )

    def _rows(self) -> Iterator[tuple[int, Sequence[str]]]:
        number = 1
        try:
            for record in self._reader:
                number += 1
                yield number, record
        except UnicodeDecodeError as e:
            raise ReadError(self._decode_message(e, number + 1)) from e
        except csv.Error as e:
            if "field larger than field limit" in str(e):
                msg = (f"{self.path.name}: row {number + 1}: 单元格过长 (a cell longer than {csv.field_size_limit():,} "
                       "characters: no field holds that much; a quote left open swallows the rest of the file)")
                raise ReadError(msg) from e
            raise ReadError(f"{self.path.name}: row {number + 1}: {e} (the file may be truncated)") from e

    def close(self) -> None:
        self._file.close()


class XlsxSource(_Table):
    """The first sheet (or ``sheet``) of an .xlsx workbook; the header is the first non-empty row."""

    def __init__(
        self, path: Path, *, layer: str, crs: str | None, mapping: Mapping[str, str], option: str,
        sheet: str | None = None,
    ) -> None:
        self.path = path
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, *_DAMAGED) as e:
            msg = (f"{path.name}: 不是可读的 XLSX 文件 (not a readable .xlsx workbook: {e}); the file may be "
                   "truncated or in another format: open it in Excel and save it again as .xlsx")
            raise ReadError(msg) from e
        try:
            sheet_obj = self._book[sheet] if sheet else self._book.worksheets[0]
        except KeyError as e:
            self._book.close()
            raise ReadError(f"--sheet: no sheet {sheet!r} in {path.name}; sheets: {', '.join(self._book.sheetnames)}") from e
        self._iter = self._numbered(sheet_obj.iter_rows(values_only=True))
        try:
            header_number, headers = self._read_header()
            self.columns = _columns(path, headers, layer, mapping, option)
            self.crs, crs_note = resolve_crs(path, None, crs)
        except ReadError:
            self._book.close()
            raise
        self.notes = [f"工作表 sheet: {sheet_obj.title}", crs_note, column_note(self.columns)]
        max_row = sheet_obj.max_row
        self.total = max_row - header_number if max_row else None

    def _numbered(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            for values in rows:
                number += 1
                yield number, [cell_text(v) for v in values]
        except _DAMAGED as e:
            msg = (f"{self.path.name}: row {number + 1}: 工作簿已损坏 (the workbook is damaged or truncated: "
                   f"{type(e).__name__}: {str(e)[:200]}); open it in Excel and save it again")
            raise ReadError(msg) from e

    def _read_header(self) -> tuple[int, list[str]]:
        for number, record in self._iter:
            if any(record):
                while record and not record[-1]:
                    record = record[:-1]
                return number, record
        msg = f"{self.path.name}: 工作表是空的 (the sheet is empty: no header row)"
        raise ReadError(msg)

    def _rows(self) -> Iterator[tuple[int, Sequence[str]]]:
        return self._iter

    def _shape_issue(self, record: Sequence[str], number: int) -> RowIssue | None:
        return None  # a sheet has no separators to lose: missing trailing cells are empty cells

    def close(self) -> None:
        self._book.close()
