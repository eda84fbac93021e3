"""The demo fixture on disk (fixtures/demo): written by ``build_demo``, read by ``load_demo``.

    manifest.json        seed, anchor, counts, SHA-256 of every file, attribution, hot spots
    areas.geojson        district, streets, communities, grids (WGS84, 7 decimals)
    users.json           demo users and the grids of each grid worker
    facilities.csv.xz    one row per facility (lon/lat, type code, source, ...)
    households.csv.xz    one row per household
    incidents.csv.xz     one row per incident (timestamps in +08:00, before the shift)
    transitions.csv.xz   one row per lifecycle step, keyed by the incident's external id

CSV files are UTF-8 with a header, written with xz (no timestamps in the container), so
the same data gives the same bytes. An empty CSV field means NULL.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import lzma
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from layers.demo import ODBL_ATTRIBUTION

if TYPE_CHECKING:  # build pulls in geopandas; loading the fixture does not need it
    from layers.demo.build import DemoData

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
AREAS = "areas.geojson"
USERS = "users.json"
CSV_COLUMNS: dict[str, list[str]] = {
    "facilities.csv.xz": ["type", "name", "lon", "lat", "address", "capacity", "source", "source_id", "synthetic"],
    "households.csv.xz": ["external_id", "lon", "lat", "address", "residents", "head_name", "id_number", "phone",
                          "tags", "last_visit"],
    "incidents.csv.xz": ["external_id", "category", "lon", "lat", "description", "address", "reported_at", "channel",
                         "reporter_name", "status", "dispatched_at", "closed_at", "satisfaction", "source"],
    "transitions.csv.xz": ["incident", "seq", "from_status", "to_status", "at", "note"],
}


class FixtureError(RuntimeError):
    """The fixture folder is missing, incomplete or does not match its manifest."""


def _cell(value: object) -> str:
    """One CSV cell: NULL as empty, timestamps in ISO 8601 with offset, floats as given."""
    if value is None or (isinstance(value, float) and value != value):  # NaN is NULL
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | np.bool_):
        return "t" if value else "f"
    if isinstance(value, list):
        return "{" + ",".join(value) + "}"  # a PostgreSQL array literal (tags have no commas)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
        return str(int(value))
    return str(value)


def _write_csv(path: Path, columns: list[str], rows: Iterable[Iterable[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    path.write_bytes(lzma.compress(buffer.getvalue().encode("utf-8"), preset=9))


def _coords(geom: shapely.Geometry) -> list:
    return [[[[round(x, 7), round(y, 7)] for x, y in ring.coords] for ring in (poly.exterior, *poly.interiors)]
            for poly in geom.geoms]


def _frame_rows(frame: pd.DataFrame, columns: list[str]) -> Iterable[list[object]]:
    for record in frame[columns].itertuples(index=False):
        yield [None if (v is pd.NaT) else v for v in record]


def write_fixture(data: DemoData, out_dir: Path, *, osm_file: str) -> dict[str, int]:
    """Write the fixture files into ``out_dir``; returns each file's size in bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    features = [{"type": "Feature",
                 "properties": {"level": a["level"], "code": a["code"], "name": a["name"], "parent": a["parent"]},
                 "geometry": {"type": "MultiPolygon", "coordinates": _coords(a["geometry"])}} for a in data.areas]
    areas = {"type": "FeatureCollection", "name": "gridmap demo areas (demo extent, not official boundaries)",
             "attribution": ODBL_ATTRIBUTION, "features": features}
    (out_dir / AREAS).write_text(json.dumps(areas, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    (out_dir / USERS).write_text(json.dumps(data.users, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    fac = data.facilities.assign(lon=data.facilities["lon"].map(lambda v: f"{v:.7f}"),
                                 lat=data.facilities["lat"].map(lambda v: f"{v:.7f}"))
    hh = data.households.assign(lon=data.households["lon"].map(lambda v: f"{v:.7f}"),
                                lat=data.households["lat"].map(lambda v: f"{v:.7f}"))
    inc = data.incidents.assign(lon=data.incidents["lon"].map(lambda v: f"{v:.7f}"),
                                lat=data.incidents["lat"].map(lambda v: f"{v:.7f}"))
    frames = {"facilities.csv.xz": fac, "households.csv.xz": hh, "incidents.csv.xz": inc,
              "transitions.csv.xz": data.transitions}
    for name, frame in frames.items():
        _write_csv(out_dir / name, CSV_COLUMNS[name], _frame_rows(frame, CSV_COLUMNS[name]))

    names = [AREAS, USERS, *CSV_COLUMNS]
    newest = max(data.incidents["reported_at"])
    manifest = {
        "format": FORMAT_VERSION,
        "generator": "python manage.py build_demo",
        "seed": data.seed,
        "osm": {"file": osm_file, "attribution": ODBL_ATTRIBUTION},
        "anchor": data.anchor_end.isoformat(timespec="seconds"),
        "newest_reported_at": newest.isoformat(timespec="seconds"),
        "counts": {
            "areas": {level: sum(a["level"] == level for a in data.areas)
                      for level in ("district", "street", "community", "grid")},
            "facilities": {"osm": int((~data.facilities["synthetic"].astype(bool)).sum()),
                           "synthetic": int(data.facilities["synthetic"].astype(bool).sum())},
            "households": len(data.households),
            "incidents": len(data.incidents),
            "transitions": len(data.transitions),
            "incidents_by_category": {k: int(v) for k, v in sorted(data.incidents["category"].value_counts().items())},
            "incidents_by_status": {k: int(v) for k, v in sorted(data.incidents["status"].value_counts().items())},
            "users": len(data.users),
        },
        "planted_hotspots": data.hotspots,
        "notes": data.notes,
        "files": {name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest() for name in names},
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {name: (out_dir / name).stat().st_size for name in [MANIFEST, *names]}


def read_manifest(fixture_dir: Path, *, verify: bool = True) -> dict:
    """The manifest; with ``verify`` every file must exist and match its SHA-256."""
    path = fixture_dir / MANIFEST
    if not path.exists():
        msg = f"no demo fixture in {fixture_dir} ({MANIFEST} is missing); run `python manage.py build_demo`"
        raise FixtureError(msg)
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        msg = f"{path}: fixture format {manifest.get('format')} is not {FORMAT_VERSION}; rebuild it"
        raise FixtureError(msg)
    if verify:
        for name, digest in manifest["files"].items():
            file = fixture_dir / name
            if not file.exists() or hashlib.sha256(file.read_bytes()).hexdigest() != digest:
                msg = f"{file} is missing or does not match {MANIFEST}; rebuild with `python manage.py build_demo`"
                raise FixtureError(msg)
    return manifest


def read_areas(fixture_dir: Path) -> list[dict]:
    """The features of areas.geojson (properties and a GeoJSON geometry)."""
    return json.loads((fixture_dir / AREAS).read_text(encoding="utf-8"))["features"]


def read_users(fixture_dir: Path) -> list[dict]:
    return json.loads((fixture_dir / USERS).read_text(encoding="utf-8"))


def open_csv(fixture_dir: Path, name: str) -> io.BufferedIOBase:
    """A binary stream of the decompressed CSV (header included), for COPY."""
    return lzma.open(fixture_dir / name, "rb")


def read_csv(fixture_dir: Path, name: str) -> pd.DataFrame:
    """A CSV of the fixture as text columns (empty cells as empty strings)."""
    with open_csv(fixture_dir, name) as stream:
        return pd.read_csv(stream, dtype=str, keep_default_na=False)
