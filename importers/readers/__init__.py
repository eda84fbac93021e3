"""Readers: a file (CSV, XLSX, GeoJSON, Shapefile folder/.zip, GeoPackage, KML) → chunks of
rows with canonical field names, plus the CRS to read its coordinates in.

    with open_source(path, layer="households", crs="gcj02") as source:
        for chunk in source.chunks():
            ...

Formats are chosen by the file name (a folder is a folder of shapefiles). Everything that
makes a whole file unreadable raises :class:`ReadError` with a message for the user.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from importers.readers.base import CHUNK_ROWS, Chunk, ReadError, RowIssue, Source, cell_text
from importers.readers.spatial import GIS_SUFFIXES, GisSource
from importers.readers.tabular import CsvSource, XlsxSource

__all__ = ["CHUNK_ROWS", "Chunk", "ReadError", "RowIssue", "Source", "cell_text", "open_source", "SUPPORTED"]

SUPPORTED = "GeoJSON (.geojson/.json), ESRI Shapefile (.shp, a folder or a .zip), GeoPackage (.gpkg), KML, CSV, XLSX"


def open_source(
    path: str | os.PathLike[str],
    *,
    layer: str,
    crs: str | None = None,
    encoding: str | None = None,
    mapping: Mapping[str, str] | None = None,
    gis_layer: str | None = None,
    sheet: str | None = None,
    option: str = "--mapping",
) -> CsvSource | XlsxSource | GisSource:
    """Open ``path`` for ``layer`` (a layer of importers.columns).

    ``crs`` is the ``--crs`` text (overrides the file's CRS), ``encoding`` the ``--encoding``
    text (CSV, and shapefiles without .cpg), ``mapping`` the parsed ``--mapping``,
    ``gis_layer`` the layer of a multi-layer file (or the shapefile in a folder/zip),
    ``sheet`` the sheet of a workbook, ``option`` how the mapping option is named in messages.
    """
    path = Path(path)
    mapping = mapping or {}
    if not path.exists():
        raise ReadError(f"{path}: 文件不存在 (no such file or folder)")
    if path.is_dir():
        return GisSource(path, layer=layer, crs=crs, encoding=encoding, mapping=mapping, option=option,
                         gis_layer=gis_layer)
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise ReadError(f"{path.name}: 文件是空的 (the file is empty: 0 bytes)")
    if suffix in (".csv", ".txt"):
        return CsvSource(path, layer=layer, crs=crs, encoding=encoding, mapping=mapping, option=option)
    if suffix in (".xlsx", ".xlsm"):
        return XlsxSource(path, layer=layer, crs=crs, mapping=mapping, option=option, sheet=sheet)
    if suffix == ".xls":
        raise ReadError(f"{path.name}: 旧版 .xls 格式不支持 (old .xls workbooks are not read): save it as .xlsx in Excel")
    if suffix in GIS_SUFFIXES or suffix == ".zip":
        return GisSource(path, layer=layer, crs=crs, encoding=encoding, mapping=mapping, option=option,
                         gis_layer=gis_layer)
    raise ReadError(f"{path.name}: 不支持的文件格式 (unsupported format {suffix or '(none)'}); supported: {SUPPORTED}")
