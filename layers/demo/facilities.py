"""Facilities of the demo: real OSM points of interest mapped to the FacilityType codes of
layers.facilities.catalogue, plus synthetic ones for what the 2018 extract lacks (labelled （演示）).

Coordinates are in metres (UTM 48N) until the fixture writes them.

Schools go by their name: 幼儿园 → kindergarten; 小学 → primary_school; 中学/初中 →
middle_school (a 高级中学 or 高中 without 初中 is left out: senior high is no life-circle
facility); a 学校 whose name states no level (实验学校, 书池学校: in Chengdu usually 九年一贯制)
counts as primary_school only, because an OSM element is one facility (source, source_id
is unique) and the primary section is the larger; universities, colleges, training and
adult schools are left out, and so are schools without a name. Campus libraries are left
out too; everything else keeps the tags OSM gives it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from layers.demo.land import door_number
from layers.demo.osm import OsmLayers

# OSM facilities are taken within this distance (m) of the district: households near the
# edge are served by facilities across the road.
OSM_FACILITY_REACH_M = 1000.0
SYNTHETIC_SUFFIX = "（演示）"
SPORT_NAMES = {"basketball": "篮球场", "soccer": "足球场", "tennis": "网球场", "table_tennis": "乒乓球场",
               "badminton": "羽毛球场", "volleyball": "排球场", "athletics": "田径场", "multi": "运动场"}
NOT_A_SCHOOL = ("大学", "学院", "电大", "培训", "职业", "技校", "驾校", "党校", "分校", "研究")


@dataclass(frozen=True)
class Community:
    """What facility placement needs to know about a community (metric geometry)."""

    name: str
    street_name: str
    geom: shapely.Geometry


def school_type(name: str) -> str | None:
    """The FacilityType code of a school by its name, or None to leave it out."""
    if not name:
        return None
    if "幼儿园" in name or "幼稚园" in name:
        return "kindergarten"
    if any(word in name for word in NOT_A_SCHOOL):
        return None
    if "小学" in name:
        return "primary_school"
    if "初中" in name or ("中学" in name and "高级中学" not in name):
        return "middle_school"
    if "高中" in name or "高级中学" in name:
        return None
    if "学校" in name:
        return "primary_school"
    return None


def osm_type(row: pd.Series) -> str | None:
    """The FacilityType code of an OSM POI row (layers.demo.osm), or None."""
    amenity, shop, leisure, healthcare = row["amenity"], row["shop"], row["leisure"], row["healthcare"]
    if amenity == "school":
        return school_type(row["name"])
    if amenity in ("kindergarten", "childcare"):
        return "kindergarten"
    if amenity == "hospital" or healthcare == "hospital":
        return "health_centre"
    if amenity in ("clinic", "doctors") or healthcare == "clinic":
        return "health_station"
    if amenity == "police":
        return "police"
    if amenity == "marketplace" or shop in ("supermarket", "greengrocer"):
        return "market"
    if amenity == "library":
        # A campus library (…校区, …大学) is not open to residents.
        return None if any(word in row["name"] for word in ("校区", "大学", "学院")) else "library"
    if amenity in ("community_centre", "arts_centre"):
        return "culture_centre"
    if amenity == "nursing_home" or row["tags"].get("social_facility") == "nursing_home":
        return "elderly_home"
    if leisure in ("park", "garden") and row["is_area"]:
        return "park"
    if leisure in ("pitch", "sports_centre", "stadium"):
        return "sports_ground"
    if leisure == "fitness_station":
        return "fitness_point"
    return None


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
