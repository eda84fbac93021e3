"""Where people live in the demo district: habitable land, residential buildings (楼栋) on
it, and their street addresses (门牌号) from the real OSM street names.

All coordinates are in metres (UTM 48N). Households are never placed in parks or other
green space, water, road buffers (``layers.demo.osm.ROAD_BUFFER_M`` by class) or premises
where nobody lives (schools, hospitals, car parks, construction sites ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely import MultiLineString, Point

from layers.demo.osm import OsmLayers

# Relative housing density by OSM land use (unmapped land counts as mixed use).
LANDUSE_DENSITY: dict[str, float] = {"residential": 1.0, "retail": 0.2, "commercial": 0.25}
UNMAPPED_DENSITY = 0.55
# Households of a building sit within this radius (m) of its centre; the centre keeps this
# far (plus a metre) from anything households must avoid.
SITE_RADIUS_M = 8.0
MIN_SITE_SPACING_M = 26.0
# Kinds of residential building: (name, share, units range, floors range, doors per floor).
BUILDING_KINDS: list[tuple[str, float, tuple[int, int], tuple[int, int], int]] = [
    ("院落", 0.30, (1, 1), (1, 3), 3),
    ("多层住宅", 0.52, (1, 3), (5, 7), 2),
    ("高层住宅", 0.18, (1, 2), (16, 32), 4),
]
# Door numbers along a street: one number per this many metres on each side.
DOOR_SPACING_M = 40.0


@dataclass(frozen=True)
class Sites:
    """Residential buildings: centre ``xy`` (m), ``households`` each, ``kind`` index into
    BUILDING_KINDS, the door number's ``street`` and ``number``, and ``building`` (栋)."""

    xy: np.ndarray
    households: np.ndarray
    kind: np.ndarray
    street: list[str]
    number: np.ndarray
    building: np.ndarray


def no_housing_area(osm_m: OsmLayers, area: shapely.Geometry) -> shapely.Geometry:
    """Everything in ``area`` where no household may be: road buffers, green, water, sites."""
    box = shapely.box(*area.buffer(50).bounds)
    roads = osm_m.highways[osm_m.highways.intersects(box)]
    parts = list(shapely.buffer(roads.geometry.values, roads["buffer_m"].to_numpy()))
    for layer in (osm_m.green, osm_m.water, osm_m.sites):
        parts.extend(layer[layer.intersects(box)].geometry.values)
    return shapely.union_all(parts).intersection(box)


def habitable_land(osm_m: OsmLayers, area: shapely.Geometry) -> shapely.Geometry:
    """``area`` minus ``no_housing_area``."""
    return area.difference(no_housing_area(osm_m, area))


def density_zones(osm_m: OsmLayers) -> list[tuple[shapely.Geometry, float]]:
    """(area, density) for each land use of LANDUSE_DENSITY that the extract maps."""
    zones = []
    for landuse, value in LANDUSE_DENSITY.items():
        polygons = osm_m.landuse[osm_m.landuse["landuse"] == landuse]
        if len(polygons):
            area = shapely.union_all(polygons.geometry.values)
            shapely.prepare(area)
            zones.append((area, value))
    return zones


def density_at(zones: list[tuple[shapely.Geometry, float]], xy: np.ndarray) -> np.ndarray:
    """Relative housing density at each point (UNMAPPED_DENSITY outside every zone)."""
    density = np.full(len(xy), UNMAPPED_DENSITY)
    for area, value in zones:
        density[shapely.contains_xy(area, xy[:, 0], xy[:, 1])] = value
    return density


def sample_sites(osm_m: OsmLayers, habitable: shapely.Geometry, n_households: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Building centres (m), household counts and kinds, until ``n_households`` are housed.

    Candidates are uniform on the habitable land shrunk by the site radius, kept with the
    land-use density as probability and at least MIN_SITE_SPACING_M apart (first come first
    served, so the result depends only on the seed).
    """
    core = habitable.buffer(-(SITE_RADIUS_M + 1.0))
    shapely.prepare(core)
    zones = density_zones(osm_m)
    minx, miny, maxx, maxy = core.bounds
    kept: list[tuple[float, float]] = []
    cells: dict[tuple[int, int], list[int]] = {}
    counts: list[int] = []
    kinds: list[int] = []
    shares = np.asarray([k[1] for k in BUILDING_KINDS])
    housed = 0
    while housed < n_households:
        batch = np.column_stack([rng.uniform(minx, maxx, 4096), rng.uniform(miny, maxy, 4096)])
        batch = batch[shapely.contains_xy(core, batch[:, 0], batch[:, 1])]
        batch = batch[rng.random(len(batch)) < density_at(zones, batch)]
        for x, y in batch:
            cell = (int(x // MIN_SITE_SPACING_M), int(y // MIN_SITE_SPACING_M))
            near = [i for dx in (-1, 0, 1) for dy in (-1, 0, 1) for i in cells.get((cell[0] + dx, cell[1] + dy), [])]
            if any((kept[i][0] - x) ** 2 + (kept[i][1] - y) ** 2 < MIN_SITE_SPACING_M**2 for i in near):
                continue
            kind = int(rng.choice(len(BUILDING_KINDS), p=shares / shares.sum()))
            _, _, units, floors, doors = BUILDING_KINDS[kind]
            capacity = int(rng.integers(units[0], units[1] + 1) * rng.integers(floors[0], floors[1] + 1) * doors)
            # Not every flat is a registered household (vacant, shops, offices).
            count = max(1, int(round(capacity * rng.uniform(0.7, 0.95))))
            count = min(count, n_households - housed)
            cells.setdefault(cell, []).append(len(kept))
            kept.append((float(x), float(y)))
            counts.append(count)
            kinds.append(kind)
            housed += count
            if housed >= n_households:
                break
    return np.asarray(kept), np.asarray(counts), np.asarray(kinds)


def named_streets(osm_m: OsmLayers) -> dict[str, shapely.Geometry]:
    """Each street name and its merged centre line (links, bridges and tunnels left out)."""
    roads = osm_m.highways[(osm_m.highways["name"] != "") & ~osm_m.highways["link"]
                           & ~osm_m.highways["tunnel"]]
    return {name: shapely.line_merge(shapely.union_all(group.geometry.values))
            for name, group in sorted(roads.groupby("name"), key=lambda item: item[0])}


def door_number(line: shapely.Geometry, point: Point) -> tuple[int, float]:
    """A door number for ``point`` on ``line``: odd on the left, even on the right, rising
    every DOOR_SPACING_M along the line; and the distance (m) from the line."""
    if isinstance(line, MultiLineString):
        line = min(line.geoms, key=lambda part: part.distance(point))
    along = line.project(point)
    ahead = line.interpolate(min(along + 1.0, line.length))
    behind = line.interpolate(max(along - 1.0, 0.0))
    cross = (ahead.x - behind.x) * (point.y - behind.y) - (ahead.y - behind.y) * (point.x - behind.x)
    base = 2 * int(along // DOOR_SPACING_M) + 1
    return (base if cross > 0 else base + 1), float(line.distance(point))


def address_sites(xy: np.ndarray, streets: dict[str, shapely.Geometry]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The nearest named street, door number and building number (栋) of each site.

    Sites that share a street and door number form one compound (小区/院落) and their
    buildings are numbered 1, 2, ... along the street.
    """
    names = list(streets)
    lines = [streets[n] for n in names]
    tree = shapely.STRtree(lines)
    points = shapely.points(xy)
    nearest = tree.nearest(points)
    street, number, along = [], [], []
    for point, index in zip(points, nearest, strict=True):
        line = lines[int(index)]
        num, _ = door_number(line, point)
        street.append(names[int(index)])
        number.append(num)
        along.append(line.project(point))
    frame = pd.DataFrame({"street": street, "number": number, "along": along})
    frame["building"] = frame.sort_values(["street", "number", "along"], kind="stable").groupby(
        ["street", "number"]).cumcount() + 1
    return street, np.asarray(number), frame["building"].to_numpy()


def build_sites(osm_m: OsmLayers, district: shapely.Geometry, n_households: int,
                rng: np.random.Generator) -> tuple[Sites, shapely.Geometry]:
    """Residential buildings for ``n_households`` households, and the habitable land."""
    habitable = habitable_land(osm_m, district)
    xy, counts, kinds = sample_sites(osm_m, habitable, n_households, rng)
    street, number, building = address_sites(xy, named_streets(osm_m))
    return Sites(xy=xy, households=counts, kind=kinds, street=street, number=number, building=building), habitable
