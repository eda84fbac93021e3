"""Describing places by their streets, the way people give directions.

``place_names(points, srid)`` names each point (x, y in metres in a metric CRS):

1. the nearest crossing of two named streets within ``crossing_m`` (default 60 m):
   "人民南路与锦里西路交叉口附近";
2. otherwise the nearest named street within ``street_m`` (150 m), with the house-number
   range of imported household addresses on that street within ``numbers_m`` (120 m) when
   there are any: "人民南路 12–40 号附近", else "人民南路附近";
3. otherwise "路网节点附近 (104.07612, 30.65231)" — WGS84 longitude and latitude, never an
   OpenStreetMap id.

Street names come from the walk network (facilities_walkedge.name, read from OSM ``name:zh``
/ ``name`` by importers/readers/osm.py); the database part is the SQL function
``gridmap_place_parts`` (sql/0002_places.sql), formatting is pure (``describe``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connection

from layers.facilities.walking.graph import lonlat_to_metric

CROSSING_M = 60.0
STREET_M = 150.0
NUMBERS_M = 120.0


@dataclass(frozen=True)
class PlaceParts:
    """What the database found near one point; distances in metres."""

    crossing: tuple[str, ...] = ()
    street: str = ""
    addresses: tuple[str, ...] = ()
    lon: float = 0.0
    lat: float = 0.0


def house_numbers(addresses: Iterable[str], street: str) -> list[int]:
    """House numbers (门牌号) of ``addresses`` on ``street``: the digits right after the street's
    name and before 号 ("人民南路 12 号 3 栋" → 12). Addresses on "人民南路二段" are not on
    "人民南路". Sorted, without repeats."""
    if not street:
        return []
    pattern = re.compile(re.escape(street) + r"\s*(\d{1,5})\s*号")
    found = {int(m.group(1)) for address in addresses if (m := pattern.search(address or ""))}
    return sorted(found)


def describe(parts: PlaceParts) -> str:
    """The name of one place from its parts (see the module docstring for the rules)."""
    if len(parts.crossing) >= 2:
        return f"{parts.crossing[0]}与{parts.crossing[1]}交叉口附近"
    if parts.street:
        numbers = house_numbers(parts.addresses, parts.street)
        if not numbers:
            return f"{parts.street}附近"
        if numbers[0] == numbers[-1]:
            return f"{parts.street} {numbers[0]} 号附近"
        return f"{parts.street} {numbers[0]}–{numbers[-1]} 号附近"
    return f"路网节点附近 ({parts.lon:.5f}, {parts.lat:.5f})"


def place_parts(points: Sequence[Sequence[float]] | np.ndarray, srid: int, *, crossing_m: float = CROSSING_M,
                street_m: float = STREET_M, numbers_m: float = NUMBERS_M) -> list[PlaceParts]:
    """The crossing, street and nearby addresses of each point (x, y in metres, EPSG ``srid``)."""
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT idx, crossing, street, addresses, lon, lat "
                    "FROM gridmap_place_parts(%s::float8[], %s::float8[], %s, %s, %s, %s)",
                    [xy[:, 0].tolist(), xy[:, 1].tolist(), int(srid), float(crossing_m), float(street_m),
                     float(numbers_m)])
        rows = cur.fetchall()
    parts = [PlaceParts() for _ in range(len(xy))]
    for idx, crossing, street, addresses, lon, lat in rows:
        parts[idx - 1] = PlaceParts(tuple(crossing or ()), street or "", tuple(addresses or ()), lon, lat)
    return parts


def place_names(points: Sequence[Sequence[float]] | np.ndarray, srid: int, *, crossing_m: float = CROSSING_M,
                street_m: float = STREET_M, numbers_m: float = NUMBERS_M) -> list[str]:
    """A name for each point (x, y in metres in the metric CRS EPSG ``srid``), in order."""
    return [describe(p) for p in place_parts(points, srid, crossing_m=crossing_m, street_m=street_m,
                                              numbers_m=numbers_m)]


def place_names_lonlat(lonlat: Sequence[Sequence[float]] | np.ndarray, srid: int, **options: float) -> list[str]:
    """``place_names`` for WGS84 longitude/latitude pairs, measured in the metric CRS ``srid``."""
    xy = lonlat_to_metric(np.asarray(lonlat, dtype=float).reshape(-1, 2), srid)
    return place_names(xy, srid, **options)
