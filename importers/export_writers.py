"""Writers of export_layer: each takes batches of row dicts and streams them to one file.

CSV is UTF-8 with a byte-order mark (Excel on Chinese Windows reads it correctly);
polygons go to CSV/XLSX as WKT in a 几何(WKT) column, which import_boundaries reads back.
GeoJSON is written feature by feature; GeoPackage batch by batch (pyogrio, append).
A writer that fails removes its partial file.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import shapely
from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from importers.export_layers import ExportLayer
from importers.readers.base import neutralise  # OWASP CSV injection; applied once, in Writer.values

EXCEL_CELL_MAX = 32767
WKT_HEADER = "几何(WKT)"


class ExportWriteError(ValueError):
    """A row cannot be written in the chosen format."""


class Writer:
    spreadsheet = False
    """CSV and XLSX: text cells are neutralised (:func:`neutralise`); GeoJSON and GPKG keep data as is."""

    def __init__(self, path: Path, layer: ExportLayer, *, masked: bool) -> None:
        self.path, self.layer, self.masked = path, layer, masked
        self.headers = [c.header for c in layer.columns] + ([WKT_HEADER] if layer.polygons else [])
        self.rows = 0

    def values(self, row: dict) -> list[Any]:
        out: list[Any] = []
        for c in self.layer.columns:
            v = row.get(c.key)
            if c.kind == "text" and isinstance(v, str) and self.spreadsheet:
                v = neutralise(v)  # the one place: numeric columns (kind int/float) stay numbers
            out.append("" if v is None and c.kind == "text" else v)
        if self.layer.polygons:
            out.append(shapely.to_wkt(row["geometry"], rounding_precision=-1) if row.get("geometry") else "")
        return out

    def write(self, rows: list[dict]) -> None:
        raise NotImplementedError

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> Writer:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.open()
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        self.close()
        if exc_type is not None:
            self.path.unlink(missing_ok=True)


class CsvWriter(Writer):
    spreadsheet = True

    def open(self) -> None:
        self._file = self.path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(self.headers)

    def write(self, rows: list[dict]) -> None:
        self._csv.writerows(["" if v is None else v for v in self.values(r)] for r in rows)

    def close(self) -> None:
        self._file.close()


class XlsxWriter(Writer):
    spreadsheet = True

    def open(self) -> None:
        self._book = openpyxl.Workbook(write_only=True)
        self._sheet = self._book.create_sheet(self.layer.sheet)
        self._sheet.freeze_panes = "A2"
        self._sheet.append(self.headers)
        self._count = 0

    def write(self, rows: list[dict]) -> None:
        for row in rows:
            # Control characters (other than tab/newline) are not allowed in the XML of a sheet:
            # openpyxl would refuse the whole export for one odd description.
            values = [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in self.values(row)]
            if self.layer.polygons and len(values[-1]) > EXCEL_CELL_MAX:
                raise ExportWriteError(f"{self.layer.chinese} {row.get('code')}: 边界太复杂, 超出 Excel 单元格上限 "
                                       "(the WKT is longer than an Excel cell holds): export to .gpkg or .geojson")
            self._sheet.append(values)
            self._count += 1

    def close(self) -> None:
        notes = self._book.create_sheet("说明")
        notes.append(["导出时间 exported at", timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")])
        notes.append(["行数 rows", self._count])
        if self.layer.personal:
            notes.append(["个人信息 personal data", "已脱敏 masked" if self.masked else
                          "未脱敏, 请按《个人信息保护法》妥善保管 (full values: keep this file safe)"])
        notes.append(["坐标系 CRS", "WGS84 (EPSG:4326)"])
        self._book.save(self.path)


class GeoJsonWriter(Writer):
    def open(self) -> None:
        self._file = self.path.open("w", encoding="utf-8")
        self._file.write('{"type": "FeatureCollection", "features": [\n')
        self._first = True

    def write(self, rows: list[dict]) -> None:
        for row in rows:
            props = {c.header: row.get(c.key) for c in self.layer.columns if c.key not in ("lon", "lat")}
            geom = row.get("geometry") if self.layer.polygons else shapely.Point(row["lon"], row["lat"])
            feature = {"type": "Feature", "properties": props, "geometry": "__GEOM__"}
            text = json.dumps(feature, ensure_ascii=False, default=str)
            text = text.replace('"__GEOM__"', shapely.to_geojson(geom) if geom is not None else "null")
            self._file.write(("" if self._first else ",\n") + text)
            self._first = False

    def close(self) -> None:
        self._file.write("\n]}\n")
        self._file.close()


class GpkgWriter(Writer):
    _DTYPES = {"text": object, "int": "Int64", "float": "float64"}

    def open(self) -> None:
        self.path.unlink(missing_ok=True)
        self._append = False

    def write(self, rows: list[dict]) -> None:
        cols = [c for c in self.layer.columns if self.layer.polygons or c.key not in ("lon", "lat")]
        data = {c.header: pd.Series([r.get(c.key) for r in rows], dtype=self._DTYPES[c.kind]) for c in cols}
        for c in cols:
            if c.kind == "text":
                data[c.header] = data[c.header].map(lambda v: "" if v is None else str(v))
        geoms = ([r.get("geometry") for r in rows] if self.layer.polygons
                 else shapely.points([r["lon"] for r in rows], [r["lat"] for r in rows]))
        gdf = gpd.GeoDataFrame(data, geometry=list(geoms), crs="EPSG:4326")
        pyogrio.write_dataframe(gdf, self.path, layer=self.layer.name, driver="GPKG", append=self._append,
                                promote_to_multi=self.layer.polygons)
        self._append = True

    def close(self) -> None:
        if not self._append:  # no rows: an empty layer still says what the columns are
            self.write([])


WRITERS: dict[str, type[Writer]] = {"csv": CsvWriter, "xlsx": XlsxWriter, "geojson": GeoJsonWriter, "gpkg": GpkgWriter}
