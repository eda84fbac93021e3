"""The one OpenStreetMap file reader: every OSM file gridmap reads (the walk network of
``import_network``, the demo's roads, water, buildings and points of interest) goes through
:func:`osm_objects`, so that file kinds, node locations, assembled areas and the messages
for unreadable files are the same everywhere.

Data © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import osmium

SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".o5m")


class OsmReadError(RuntimeError):
    """The OSM file could not be read; the message names the file and the reason."""


def check_path(path: str | Path) -> Path:
    """``path`` as a Path, or OsmReadError when it is missing or not an OSM file by its name."""
    path = Path(path)
    if not path.exists():
        msg = f"{path}: 文件不存在 (file not found)"
        raise OsmReadError(msg)
    if not path.name.lower().endswith(SUFFIXES):
        msg = f"{path}: 不是 OpenStreetMap 文件 (not an OpenStreetMap file; expected one of {', '.join(SUFFIXES)})"
        raise OsmReadError(msg)
    return path


def osm_objects(path: str | Path, *, areas: bool = False) -> Iterator[osmium.osm.OSMObject]:
    """Nodes, ways (with node locations), relations and, with ``areas``, the areas pyosmium
    assembles from closed ways and multipolygon relations, in file order.

    Raises OsmReadError for a truncated, corrupt or non-OSM file (pyosmium says RuntimeError).
    """
    path = check_path(path)
    processor = osmium.FileProcessor(str(path)).with_locations()
    if areas:
        processor = processor.with_areas()
    try:
        yield from processor
    except RuntimeError as e:
        msg = f"{path}: 无法读取 OpenStreetMap 文件 (not a readable OpenStreetMap file: {e})"
        raise OsmReadError(msg) from e


def header_bounds(path: str | Path) -> tuple[float, float, float, float] | None:
    """The bounding box (min lon, min lat, max lon, max lat) the file's header declares, or None."""
    try:
        reader = osmium.io.Reader(str(check_path(path)), osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
    except RuntimeError as e:
        msg = f"{path}: 无法读取 OpenStreetMap 文件头 (unreadable header: {e})"
        raise OsmReadError(msg) from e
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def chinese_name(tags: dict[str, str]) -> str:
    """The Chinese name: ``name:zh`` if set, else ``name`` without an English suffix
    ("东城根南街 - Dongchenggen Street South" → "东城根南街")."""
    name = tags.get("name:zh") or tags.get("name") or ""
    return name.split(" - ")[0].strip()
