"""What every reader yields: chunks of rows with canonical field names, and the CRS to use.

A reader turns one file into :class:`Chunk` objects of at most ``size`` rows, so that a
million-row ledger never sits in memory at once. Values stay text (``""`` when empty):
parsing and checking them is the loaders' job, which reports every bad value with its row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from importers.chinese_crs import CrsSpec, UnknownCrsError, parse_crs_option
from importers.columns import ColumnMap

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel, WPS or LibreOffice read a cell as a formula (OWASP CSV
injection): an incident description '=HYPERLINK("http://…")' would become a live link in the
administrator's spreadsheet. Exports prefix such text with :data:`QUOTE`
(:func:`neutralise`); the tabular readers take the quote off again
(:func:`unquote`), so that an export imports back unchanged."""
QUOTE = "'"


def neutralise(value: str) -> str:
    """Text that a spreadsheet would run as a formula, prefixed with a single quote (OWASP).
    Applied to every text cell of CSV/XLSX exports (importers.export_writers.Writer.values)
    and of the --error-report CSV, which quotes the offending cells of a user's file."""
    return QUOTE + value if value.startswith(FORMULA_STARTS) else value


def unquote(cell: str) -> str:
    """A cell as it was before an export neutralised it ("'=1+1" → "=1+1")."""
    return cell[1:] if cell[:1] == QUOTE and cell[1:2] in FORMULA_STARTS and len(cell) > 1 else cell


CHUNK_ROWS = 50_000
"""Default rows per chunk: ~50 MB of Python objects at most for a wide ledger."""


class ReadError(ValueError):
    """The file as a whole cannot be read (format, encoding, CRS, columns); the message says
    what is wrong with which file and how to fix it."""


@dataclass(frozen=True)
class RowIssue:
    """A problem with one row or feature, as the user sees it.

    Attributes:
        number: the row number in the spreadsheet (header = row 1) or the feature number
            (1-based) in a GIS file; 0 for the file as a whole.
        field: the column header (or canonical field) concerned, '' for the whole row.
        value: the offending value as text ('' when not useful).
        message: what is wrong and, when possible, how to fix it.
        kind: a short key to count problems of one sort ("swapped", "duplicate", ...).
        severity: "error" (the row is rejected) or "warning" (the row is kept).
    """

    number: int
    field: str
    value: str
    message: str
    kind: str
    severity: str = "error"


@dataclass
class Chunk:
    """Up to ``size`` rows of a file.

    Attributes:
        frame: one text column per canonical field (``ColumnMap.fields``), '' when empty.
        numbers: int64 array, the row or feature number of each frame row.
        geoms: shapely geometries in the file's CRS (GIS files), or None for tables whose
            coordinates are in the ``lon``/``lat`` fields or a WKT ``geometry`` field.
        issues: rows the reader could not read (short rows, undecodable geometries); they
            are not in ``frame``.
    """

    frame: pd.DataFrame
    numbers: npt.NDArray[np.int64]
    geoms: npt.NDArray[np.object_] | None = None
    issues: list[RowIssue] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)


class Source(Protocol):
    """An opened input file."""

    path: Path
    label: str  # "row" or "feature": how the numbers are called in messages
    columns: ColumnMap
    crs: CrsSpec
    total: int | None  # rows or features, when known up front (progress bars)
    notes: list[str]  # what the reader decided (encoding, CRS, layer), shown to the user

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]: ...


NO_CRS_HELP = (
    "give the coordinate system with --crs: wgs84 (GPS, 天地图), gcj02 (coordinates taken from "
    "Amap/Gaode or Tencent maps), bd09 (Baidu maps), cgcs2000 (EPSG:4490), or an EPSG code such as "
    "EPSG:4523 for CGCS2000 Gauss-Kruger metres"
)


def resolve_crs(path: Path, file_crs: str | None, option: str | None) -> tuple[CrsSpec, str]:
    """The CRS to read ``path`` in, and a note saying where it came from.

    ``--crs`` (``option``) wins over the file's own CRS; a file without a CRS (a CSV or
    XLSX ledger, a shapefile without .prj) and without ``--crs`` is refused: guessing
    wrong puts every point 500 m off (GCJ-02) without anybody noticing.
    """
    try:
        if option:
            spec = parse_crs_option(option)
            note = f"坐标系 CRS: {spec.name} (--crs)"
            if file_crs:
                note += f", overriding the file's {_crs_name(file_crs)}"
            return spec, note
        if file_crs:
            spec = parse_crs_option(file_crs, option=f"{path.name} CRS")
            return spec, f"坐标系 CRS: {spec.name} (from the file)"
    except UnknownCrsError as e:
        raise ReadError(str(e)) from e
    msg = f"{path.name}: 文件没有坐标系 (the file has no coordinate system); {NO_CRS_HELP}"
    raise ReadError(msg)


def _crs_name(text: str) -> str:
    try:
        return parse_crs_option(text).name
    except UnknownCrsError:
        return text[:60]


def cell_text(value: object) -> str:
    """A cell value (from openpyxl or pyogrio) as the text a user would have typed.

    None/NaN → ''; integral floats lose their '.0' (Excel stores 3 as 3.0); datetimes are
    ISO text without a time zone when naive; large numbers keep Excel's scientific form so
    that an ID number stored as a number is recognisably damaged rather than silently wrong.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(float(value))
    if isinstance(value, dt.datetime | pd.Timestamp):
        if pd.isna(value):
            return ""
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def column_note(columns: ColumnMap) -> str:
    used = ", ".join(f"{columns.header(name)}→{name}" for name in columns.fields)
    note = f"列 columns: {used}"
    if columns.unmapped:
        note += f"; 未使用 not used: {', '.join(h for h in columns.unmapped if h) or '(blank headers)'}"
    return note
