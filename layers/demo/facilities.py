"""Facilities of the demo: real OSM points of interest mapped to facility types by
layers.facilities.catalogue.osm_facility_type (the one OSM tag → type mapping: schools by
their name, no campus libraries, parks as areas only), plus synthetic ones for what the
2018 extract lacks (labelled （演示）).

Coordinates are in metres (UTM 48N) until the fixture writes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from layers.demo.land import door_number
from layers.demo.osm import OsmLayers
from layers.facilities.catalogue import osm_facility_type

# OSM facilities are taken within this distance (m) of the district: households near the
# edge are served by facilities across the road.
OSM_FACILITY_REACH_M = 1000.0
SYNTHETIC_SUFFIX = "（演示）"
SPORT_NAMES = {"basketball": "篮球场", "soccer": "足球场", "tennis": "网球场", "table_tennis": "乒乓球场",
               "badminton": "羽毛球场", "volleyball": "排球场", "athletics": "田径场", "multi": "运动场"}


@dataclass(frozen=True)
class Community:
    """What facility placement needs to know about a community (metric geometry)."""

    name: str
    street_name: str
    geom: shapely.Geometry


def osm_type(row: pd.Series) -> str | None:
    """The FacilityType code of an OSM POI row (layers.demo.osm), or None."""
    return osm_facility_type(row["tags"], name=row["name"], is_area=bool(row["is_area"]))


def _nearest_street(point: shapely.Point, streets: dict[str, shapely.Geometry], tree: shapely.STRtree,
                    names: list[str]) -> tuple[str, int]:
    name = names[int(tree.nearest(point))]
    number, _ = door_number(streets[name], point)
    return name, number


def osm_facilities(osm_m: OsmLayers, district: shapely.Geometry, streets: dict[str, shapely.Geometry]) -> pd.DataFrame:
    """OSM POIs within OSM_FACILITY_REACH_M of the district that map to a facility type."""
    names = list(streets)
    tree = shapely.STRtree([streets[n] for n in names])
    reach = district.buffer(OSM_FACILITY_REACH_M)
    rows = []
    for _, poi in osm_m.pois[osm_m.pois.within(reach)].iterrows():
        code = osm_type(poi)
        if code is None:
            continue
        street, number = _nearest_street(poi.geometry, streets, tree, names)
        name = poi["name"]
        if not name:
            if code not in ("sports_ground", "park"):
                continue  # an unnamed school or shop is too uncertain to show
            kind = SPORT_NAMES.get(poi["tags"].get("sport", ""), "运动场") if code == "sports_ground" else "街头绿地"
            name = f"{street}{kind}"
        rows.append({"type": code, "name": name, "x": poi.geometry.x, "y": poi.geometry.y,
                     "address": f"{street} {number} 号", "capacity": None, "source": "osm",
                     "source_id": poi["source_id"], "synthetic": False})
    frame = pd.DataFrame(rows)
    return frame.sort_values(["type", "source_id"], kind="stable").reset_index(drop=True)


def synthetic_facilities(communities: list[Community], site_xy: np.ndarray, site_households: np.ndarray,
                         open_space: shapely.Geometry, osm_found: pd.DataFrame, streets: dict[str, shapely.Geometry],
                         rng: np.random.Generator) -> pd.DataFrame:
    """Facilities the extract lacks, one set per community (and a few per street), at
    residential buildings near the community's centre of population (fitness points in open
    space). Every name ends with （演示）."""
    names = list(streets)
    tree = shapely.STRtree([streets[n] for n in names])
    rows: list[dict] = []
    counter: dict[str, int] = {}

    def add(code: str, name: str, point: shapely.Point, capacity: int | None = None) -> None:
        counter[code] = counter.get(code, 0) + 1
        street, number = _nearest_street(point, streets, tree, names)
        rows.append({"type": code, "name": name + SYNTHETIC_SUFFIX, "x": round(point.x, 2), "y": round(point.y, 2),
                     "address": f"{street} {number} 号", "capacity": capacity, "source": "synthetic",
                     "source_id": f"demo/{code}/{counter[code]:03d}", "synthetic": True})

    found = osm_found.assign(point=shapely.points(osm_found[["x", "y"]].to_numpy())) if len(osm_found) else None
    done_streets: set[str] = set()
    for community in communities:
        short = community.name.removesuffix("社区")
        inside = shapely.contains_xy(community.geom, site_xy[:, 0], site_xy[:, 1])
        index = np.flatnonzero(inside)
        weights = site_households[index].astype(float)
        centre = (site_xy[index] * weights[:, None]).sum(axis=0) / weights.sum()
        by_distance = index[np.argsort(np.hypot(*(site_xy[index] - centre).T), kind="stable")]

        def building(rank_from: int, rank_to: int, by_distance: np.ndarray = by_distance) -> shapely.Point:
            pick = by_distance[int(rng.integers(rank_from, min(rank_to, len(by_distance))))]
            return shapely.Point(site_xy[pick])

        def has(code: str, community: Community = community) -> bool:
            if found is None:
                return False
            same = found[found["type"] == code]
            return bool(len(same)) and bool(shapely.contains(community.geom, same["point"].to_numpy()).any())

        hub = building(0, 4)
        add("service_station", f"{community.name}党群服务中心", hub)
        add("library", f"{community.name}图书阅览室", shapely.Point(hub.x + 4.0, hub.y + 3.0))
        add("police", f"{community.name}警务室", building(2, 12))
        add("elderly_daycare", f"{community.name}老年人日间照料中心", building(3, len(by_distance) // 2),
            capacity=int(rng.integers(20, 61)))
        if not has("health_station"):
            add("health_station", f"{community.name}卫生服务站", building(1, 10))
        if not has("market"):
            add("market", f"{short}农贸市场", building(4, len(by_distance)))
        if not has("kindergarten"):
            add("kindergarten", f"{short}幼儿园", building(5, len(by_distance)), capacity=int(rng.integers(6, 13)) * 30)
        space = open_space.intersection(community.geom.buffer(-15))
        for n in range(1, 3):
            point = _point_in(space, rng) or building(0, len(by_distance))
            add("fitness_point", f"{community.name}健身点{n}", point)
        if community.street_name not in done_streets:
            done_streets.add(community.street_name)
            add("culture_centre", f"{community.street_name}综合文化站", building(0, 8))
            add("elderly_home", f"{community.street_name}敬老院", building(len(by_distance) // 2, len(by_distance)),
                capacity=int(rng.integers(80, 301)))
    return pd.DataFrame(rows)


def _point_in(area: shapely.Geometry, rng: np.random.Generator, tries: int = 200) -> shapely.Point | None:
    """A uniform random point in ``area`` (None when it is empty or too thin to hit)."""
    if area.is_empty:
        return None
    minx, miny, maxx, maxy = area.bounds
    for _ in range(tries):
        point = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(point):
            return point
    return None
