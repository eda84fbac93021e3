"""GIS files through pyogrio (GDAL): GeoJSON, ESRI Shapefile (a .shp, a folder or a .zip),
GeoPackage and KML.

Features are read in chunks (``skip_features``/``max_features``), attribute values become
text like spreadsheet cells, and geometries stay in the file's CRS (2D) for the loaders.
Shapefiles from Chinese offices often come without a .cpg file and with GBK attribute
text: the .dbf bytes are then checked like a CSV file (importers.encoding).
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from importers.columns import ColumnError, resolve_columns
from importers.encoding import EncodingDetectionError, detect_encoding
from importers.readers.base import CHUNK_ROWS, Chunk, ReadError, RowIssue, cell_text, column_note, resolve_crs

GIS_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile", ".gpkg": "GeoPackage",
                ".kml": "KML"}
_GDAL_ERRORS = (DataSourceError, DataLayerError, FieldError, GeometryError, OSError)
_DBF_SAMPLE_BYTES = 1 << 20


def _unreadable(path: Path, error: Exception) -> ReadError:
    msg = (f"{path.name}: 无法读取 (cannot read the file: {error}); it may be truncated, damaged or not a "
           f"{GIS_SUFFIXES.get(path.suffix.lower(), 'GIS')} file")
    return ReadError(msg)


def _zip_member(path: Path, gis_layer: str | None) -> str:
    """The GDAL path of the GIS file inside a .zip (a zipped shapefile, usually)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if Path(n).suffix.lower() in GIS_SUFFIXES and "__MACOSX" not in n]
    except zipfile.BadZipFile as e:
        raise ReadError(f"{path.name}: 不是有效的 zip 文件 (not a valid zip archive: {e})") from e
    shp = [n for n in names if n.lower().endswith(".shp")] or names
    if gis_layer:
        shp = [n for n in shp if Path(n).stem == gis_layer]
    if len(shp) != 1:
        found = ", ".join(Path(n).stem for n in names) or "none"
        msg = f"{path.name}: {len(shp)} GIS files match in the zip (found: {found}); choose one with --layer NAME"
        raise ReadError(msg)
    return f"/vsizip/{path.resolve()}/{shp[0]}"


def _folder_shapefile(path: Path, gis_layer: str | None) -> Path:
    shp = sorted(p for p in path.iterdir() if p.suffix.lower() == ".shp")
    if gis_layer:
        shp = [p for p in shp if p.stem == gis_layer]
    if len(shp) != 1:
        found = ", ".join(p.stem for p in sorted(path.glob("*.shp"))) or "none"
        raise ReadError(f"{path.name}/: {len(shp)} shapefiles match (found: {found}); choose one with --layer NAME")
    return shp[0]


def _dbf_bytes(ogr_path: str) -> bytes | None:
    """Field names and the first records of a shapefile's .dbf, if it has no .cpg file."""
    if not ogr_path.lower().endswith(".shp"):
        return None
    if ogr_path.startswith("/vsizip/"):
        zip_path, _, member = ogr_path[len("/vsizip/"):].partition(".zip/")
        with zipfile.ZipFile(zip_path + ".zip") as z:
            names = {n.lower(): n for n in z.namelist()}
            stem = member[:-4].lower()
            if stem + ".cpg" in names or stem + ".dbf" not in names:
                return None
            data = z.read(names[stem + ".dbf"])[:_DBF_SAMPLE_BYTES]
    else:
        shp = Path(ogr_path)
        if shp.with_suffix(".cpg").exists() or not shp.with_suffix(".dbf").exists():
            return None
        with shp.with_suffix(".dbf").open("rb") as f:
            data = f.read(_DBF_SAMPLE_BYTES)
    if len(data) < 32:
        return None
    header_len = struct.unpack("<H", data[8:10])[0]
    names = [data[i:i + 11].split(b"\0")[0] for i in range(32, header_len - 1, 32) if data[i] != 0x0D]
    return b" ".join(names) + b" " + data[header_len:]


def shapefile_encoding(ogr_path: str) -> str | None:
    """GB18030 when a shapefile without .cpg has non-UTF-8 text (GBK, as ArcGIS on Chinese
    Windows writes it); None to let GDAL decide."""
    sample = _dbf_bytes(ogr_path)
    if not sample:
        return None
    try:
        encoding = detect_encoding(sample)
    except EncodingDetectionError:
        return None
    return "GB18030" if encoding == "gb18030" else "UTF-8"


class GisSource:
    """One layer of a GIS file. Geometries come back in the file's CRS (or ``--crs``)."""

    label = "feature"

    def __init__(
        self, path: Path, *, layer: str, crs: str | None, encoding: str | None, mapping: Mapping[str, str],
        option: str, gis_layer: str | None = None,
    ) -> None:
        self.path = path
        self.notes: list[str] = []
        self._ogr = self._gdal_path(path, gis_layer)
        self._layer = self._pick_layer(gis_layer)
        self._encoding = encoding or shapefile_encoding(self._ogr)
        if self._encoding and self._ogr.lower().endswith(".shp"):
            self.notes.append(f"编码 encoding: {self._encoding} ({'--encoding' if encoding else 'detected, no .cpg'})")
        elif encoding:
            self._encoding = None
            self.notes.append(f"--encoding ignored: {path.suffix or 'this'} files carry their own encoding")
        try:
            info = pyogrio.read_info(self._ogr, layer=self._layer, encoding=self._encoding, force_feature_count=True)
        except _GDAL_ERRORS as e:
            raise _unreadable(path, e) from e
        self.geometry_type = str(info["geometry_type"] or "")
        count = int(info["features"])
        self.total = count if count >= 0 else None
        if self.total == 0:
            raise ReadError(f"{path.name}: 文件没有要素 (the file has no features)")
        try:
            self.columns = resolve_columns(list(info["fields"]), layer, mapping, option=option, has_geometry=True)
        except ColumnError as e:
            raise ReadError(f"{path.name}: {e}") from e
        self.crs, crs_note = resolve_crs(path, info["crs"], crs)
        self.notes += [crs_note, column_note(self.columns)]

    @staticmethod
    def _gdal_path(path: Path, gis_layer: str | None) -> str:
        if path.is_dir():
            return str(_folder_shapefile(path, gis_layer))
        if path.suffix.lower() == ".zip":
            return _zip_member(path, gis_layer)
        return str(path)

    def _pick_layer(self, gis_layer: str | None) -> str | None:
        """The layer to read: ``--layer``, or the only one; several without ``--layer`` is refused."""
        try:
            layers = [str(name) for name, _ in pyogrio.list_layers(self._ogr)]
        except _GDAL_ERRORS as e:
            raise _unreadable(self.path, e) from e
        if gis_layer and self._ogr.lower().endswith(".shp"):
            return None  # the shapefile was chosen by --layer already
        if gis_layer:
            if gis_layer not in layers:
                raise ReadError(f"--layer: no layer {gis_layer!r} in {self.path.name}; layers: {', '.join(layers)}")
            return gis_layer
        if len(layers) > 1:
            raise ReadError(f"{self.path.name} has {len(layers)} layers ({', '.join(layers)}); choose one with --layer NAME")
        if len(layers) == 1 and self.path.suffix.lower() in (".gpkg", ".kml"):
            self.notes.append(f"图层 layer: {layers[0]}")
        return None

    def _read(self, start: int, size: int):
        try:
            return pyogrio.read_dataframe(
                self._ogr, layer=self._layer, encoding=self._encoding, columns=list(self.columns.rename_map()),
                skip_features=start, max_features=size, force_2d=True, on_invalid="ignore",
            )
        except _GDAL_ERRORS as e:
            raise _unreadable(self.path, e) from e

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        start = 0
        while self.total is None or start < self.total:
            gdf = self._read(start, size)
            if len(gdf) == 0:
                break
            numbers = np.arange(start + 1, start + len(gdf) + 1, dtype=np.int64)
            frame = gdf.drop(columns=gdf.geometry.name).rename(columns=self.columns.rename_map())
            frame = frame.map(cell_text).astype(object) if len(frame.columns) else frame
            geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
            missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
            issues = [
                RowIssue(int(n), "geometry", "", "没有几何 (no geometry, or one GDAL cannot read)",
                         "no_geometry")
                for n in numbers[missing]
            ]
            keep = ~missing
            yield Chunk(frame[keep].reset_index(drop=True), numbers[keep], geoms[keep], issues)
            start += len(gdf)

    def close(self) -> None:
        pass

    def __enter__(self) -> GisSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
