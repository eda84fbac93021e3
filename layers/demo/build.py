"""Build the whole demo from an OSM extract and a seed (``python manage.py build_demo``).

Every random draw comes from ``numpy.random.default_rng([seed, part])`` with one stream per
part (sites, households, facilities, incidents, users), so that changing one part leaves
the others as they were, and the same seed and library versions give the same fixture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from django.contrib.gis.geos import GEOSGeometry
from shapely import MultiPolygon, Polygon

from layers.demo import (
    ANCHOR_DATE,
    DISTRICT_CODE,
    METRIC_CRS,
    WGS84_CRS,
    districts,
    facilities,
    incidents,
    land,
    people,
)
from layers.demo.osm import OsmLayers, read_osm
from layers.grids.codes import format_code, reading_order
from layers.incidents import catalogue

DISTRICT_NAME = "锦江区"
N_HOUSEHOLDS = 20_000
N_INCIDENTS = 5_000
ANCHOR_HOUR = 7
TIME_ZONE = "Asia/Shanghai"
# Coordinates are written with 7 decimals (about 1 cm).
PRECISION_DEG = 1e-7
PARTS = {"sites": 1, "households": 2, "facilities": 3, "incidents": 4, "users": 5}


@dataclass
class DemoData:
    """Everything the fixture holds; geometries and coordinates in WGS84."""

    seed: int
    anchor_end: dt.datetime
    areas: list[dict]
    facilities: pd.DataFrame
    households: pd.DataFrame
    incidents: pd.DataFrame
    transitions: pd.DataFrame
    users: list[dict]
    hotspots: list[dict]
    notes: dict = field(default_factory=dict)


def _rng(seed: int, part: str) -> np.random.Generator:
    return np.random.default_rng([seed, PARTS[part]])


def _to_wgs84(geoms: list[shapely.Geometry]) -> list[MultiPolygon]:
    """Metric polygons → valid WGS84 MultiPolygons on a 1e-7° grid."""
    series = gpd.GeoSeries(geoms, crs=METRIC_CRS).to_crs(WGS84_CRS)
    result = []
    for geom in series:
        geom = shapely.set_precision(geom, PRECISION_DEG)
        result.append(_multi(geom))
    return result


def _multi(geom: shapely.Geometry) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(parts)


def _lonlat(xy: np.ndarray) -> np.ndarray:
    points = gpd.GeoSeries(shapely.points(xy), crs=METRIC_CRS).to_crs(WGS84_CRS)
    return np.round(np.column_stack([points.x, points.y]), 7)


def build_areas(osm_m: OsmLayers, frame: districts.DistrictFrame, grids: list[tuple[int, shapely.Geometry]],
                household_xy: np.ndarray) -> list[dict]:
    """District, streets, communities and grids with codes and names (WGS84 geometry)."""
    grid_geoms = _to_wgs84([g for _, g in grids])
    grid_community = np.asarray([c for c, _ in grids])
    n_communities = int(grid_community.max()) + 1
    community_geoms = [_multi(shapely.union_all([g for g, c in zip(grid_geoms, grid_community, strict=True) if c == k],
                                                grid_size=PRECISION_DEG)) for k in range(n_communities)]
    community_metric = [shapely.union_all([g for c, g in grids if c == k]) for k in range(n_communities)]
    households = [int(shapely.contains_xy(g, household_xy[:, 0], household_xy[:, 1]).sum()) for g in community_metric]
    street_of = districts.group_streets(community_metric, households)
    n_streets = max(street_of) + 1
    street_metric = [shapely.union_all([g for g, s in zip(community_metric, street_of, strict=True) if s == k])
                     for k in range(n_streets)]
    street_labels = districts.street_names(street_metric, osm_m.highways)
    community_labels = districts.community_names(community_metric, osm_m.highways)
    street_geoms = [_multi(shapely.union_all([g for g, s in zip(community_geoms, street_of, strict=True) if s == k],
                                             grid_size=PRECISION_DEG)) for k in range(n_streets)]
    district_geom = _multi(shapely.union_all(street_geoms, grid_size=PRECISION_DEG))

    areas = [{"level": "district", "code": DISTRICT_CODE, "name": DISTRICT_NAME, "parent": "", "geometry": district_geom}]
    street_order = sorted(range(n_streets), key=lambda k: street_metric[k].representative_point().x)
    for s_rank, s in enumerate(street_order, start=1):
        street_code = f"{DISTRICT_CODE}{s_rank:03d}"
        areas.append({"level": "street", "code": street_code, "name": street_labels[s], "parent": DISTRICT_CODE,
                      "geometry": street_geoms[s]})
        members = [k for k in range(n_communities) if street_of[k] == s]
        order = reading_order([GEOSGeometry(community_geoms[k].wkt, srid=4326) for k in members])
        for c_rank, index in enumerate(order, start=1):
            k = members[index]
            community_code = f"{street_code}{c_rank:03d}"
            areas.append({"level": "community", "code": community_code, "name": community_labels[k],
                          "parent": street_code, "geometry": community_geoms[k], "street_name": street_labels[s],
                          "metric": community_metric[k]})
            mine = [i for i in range(len(grids)) if grid_community[i] == k]
            # The numbering of layers.grids.codes.assign_codes for a community without grids.
            g_order = reading_order([GEOSGeometry(grid_geoms[i].wkt, srid=4326) for i in mine])
            for g_rank, g_index in enumerate(g_order, start=1):
                areas.append({"level": "grid", "code": format_code(community_code, g_rank),
                              "name": f"{community_labels[k]}第{g_rank}网格", "parent": community_code,
                              "geometry": grid_geoms[mine[g_index]]})
    return areas


def _place_function(osm_m: OsmLayers) -> Callable[[float, float, str], tuple[str, str]]:
    streets = land.named_streets(osm_m)
    names = list(streets)
    tree = shapely.STRtree([streets[n] for n in names])

    def place_of(x: float, y: float, name: str) -> tuple[str, str]:
        point = shapely.Point(x, y)
        street = names[int(tree.nearest(point))]
        number, _ = land.door_number(streets[street], point)
        return (name or f"{street}{number}号"), f"{street} {number} 号附近"

    return place_of


def build_incidents(osm_m: OsmLayers, district: shapely.Geometry, fac: pd.DataFrame, households: pd.DataFrame,
                    anchor_end: dt.datetime, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Incidents, transitions and the planted hot spots (see layers.demo.incidents)."""
    near = district.buffer(50)
    inside = fac[shapely.contains_xy(near, fac["x"].to_numpy(), fac["y"].to_numpy())]
    markets = [incidents.Source("market", r.name, (r.x, r.y), 3.0 if ("市场" in r.name or r.source == "synthetic") else 1.0)
               for r in inside[inside["type"] == "market"].itertuples()]
    # The market with the most households within 300 m draws three times its share: a
    # persistent hot spot.
    hxy = households[["x", "y"]].to_numpy()
    crowd = [int((np.hypot(*(hxy - np.asarray(m.xy)).T) < 300).sum()) for m in markets]
    hot = int(np.argmax(crowd))
    markets[hot] = incidents.Source("market", markets[hot].name, markets[hot].xy, markets[hot].weight * 3)
    pois = osm_m.pois[osm_m.pois.within(near)]
    nightlife = [incidents.Source("nightlife", p.name or "", (p.geometry.x, p.geometry.y),
                                  4.0 if p.amenity in ("bar", "pub", "nightclub") else 1.0)
                 for p in pois[pois["amenity"].isin(["bar", "pub", "nightclub", "restaurant", "fast_food", "cafe",
                                                     "food_court", "biergarten"])].itertuples()]
    schools = [incidents.Source("school", r.name, (r.x, r.y), {"primary_school": 1.5, "middle_school": 1.0}.get(r.type, 0.7))
               for r in inside[inside["type"].isin(["primary_school", "middle_school", "kindergarten"])].itertuples()]
    water = shapely.union_all(osm_m.water.geometry.values).intersection(near)
    place_of = _place_function(osm_m)
    allowed = district.difference(water).buffer(-20)
    construction: list[incidents.Source] = []
    taken = [markets[hot].xy]
    for first, last in ((365, 200), (240, 30), (75, -1)):
        # Sites keep 600 m from each other and from the market hot spot, so each is its own.
        while True:
            x, y = rng.uniform(*np.asarray(district.bounds)[[0, 2]]), rng.uniform(*np.asarray(district.bounds)[[1, 3]])
            if shapely.contains_xy(allowed, x, y) and all(np.hypot(x - a, y - b) > 600 for a, b in taken):
                break
        taken.append((x, y))
        street_place, _ = place_of(x, y, "")
        construction.append(incidents.Source("construction", f"{street_place}在建工地", (x, y), 1.0, first, last))
    pick = households.iloc[int(rng.integers(len(households)))]
    market_place, _ = place_of(pick.x, pick.y, "")
    night_market = [incidents.Source("night_market", f"{market_place.split('号')[0].rstrip('0123456789')}夜市摊点",
                                     (pick.x, pick.y), 1.0, 42, -1)]
    limits = {code: hours for code, _, _, hours, _ in catalogue.INCIDENT_CATEGORIES}
    maker = incidents.IncidentMaker(rng=rng, anchor_end=anchor_end, district=district, water=water,
                                    time_limits_h=limits, place_of=place_of)
    groups = [("market", markets), ("nightlife", nightlife), ("school", schools), ("construction", construction),
              ("night_market", night_market)]
    for kind, sources in groups:
        if sources:
            maker.add(incidents.PATTERNS[kind], sources, incidents.PATTERNS[kind].count)
    planted = sum(incidents.PATTERNS[k].count for k, s in groups if s)
    homes = [incidents.Source("household", "", (r.x, r.y), float(r.residents)) for r in households.itertuples()]
    maker.add(incidents.BACKGROUND, homes, N_INCIDENTS - planted)
    frame, steps = maker.finish()
    hotspots = [{"kind": "persistent", "name": markets[hot].name, "xy": markets[hot].xy, "radius_m": 70,
                 "categories": ["city_appearance", "street_order"], "days_before_anchor": [365, 0]}]
    # Kinds follow the emerging hot spot vocabulary (DOMAIN.md §5): a site that has stopped
    # is "historical", one that started in the last months "new".
    hotspots += [{"kind": "new" if s.last_day < 0 else "historical",
                  "name": s.name, "xy": s.xy, "radius_m": 100, "categories": ["construction", "city_appearance",
                                                                                "work_safety"],
                  "days_before_anchor": [s.first_day, max(s.last_day, 0)]} for s in construction]
    hotspots.append({"kind": "new", "name": night_market[0].name, "xy": night_market[0].xy, "radius_m": 60,
                     "categories": ["street_order", "city_appearance"], "days_before_anchor": [42, 0]})
    return frame, steps, hotspots


def build_users(areas: list[dict], rng: np.random.Generator) -> list[dict]:
    """Demo users: admin, planner, patrol and grid workers wangge01… with 1–3 grids each
    (grids of one community, in code order)."""
    users = [{"username": "admin", "name": "系统管理员", "role": "admin", "grids": []},
             {"username": "planner", "name": people.chinese_name(rng, male=False, birth_year=1985), "role": "planner",
              "grids": []},
             {"username": "patrol", "name": people.chinese_name(rng, male=True, birth_year=1980), "role": "patrol",
              "grids": []}]
    number = 0
    for community in (a for a in areas if a["level"] == "community"):
        grids = [a["code"] for a in areas if a["level"] == "grid" and a["parent"] == community["code"]]
        while grids:
            size = min(len(grids), int(rng.choice([1, 2, 2, 2, 3])))
            number += 1
            users.append({"username": f"wangge{number:02d}", "role": "worker", "grids": grids[:size],
                          "name": people.chinese_name(rng, male=bool(rng.random() < 0.4),
                                                      birth_year=int(rng.integers(1970, 2000)))})
            grids = grids[size:]
    return users


def build(osm_path: str, *, seed: int, target_households: int, log: Callable[[str], None] = print) -> DemoData:
    """The demo district from the OSM file at ``osm_path`` (see the package docstring)."""
    tz = ZoneInfo(TIME_ZONE)
    anchor = dt.date.fromisoformat(ANCHOR_DATE)
    anchor_end = dt.datetime.combine(anchor, dt.time(ANCHOR_HOUR), tz)
    osm_m = read_osm(osm_path).to_crs(METRIC_CRS)
    frame = districts.build_frame(osm_m)
    log(f"district: {frame.district.area / 1e6:.2f} km², {len(frame.faces)} blocks")
    sites, habitable = land.build_sites(osm_m, frame.district, N_HOUSEHOLDS, _rng(seed, "sites"))
    xy, site_of = people.place_households(sites, _rng(seed, "sites"), radius_m=land.SITE_RADIUS_M)
    per_face = np.asarray([shapely.contains_xy(f, xy[:, 0], xy[:, 1]).sum() for f in frame.faces])
    community_of_face = districts.group_communities(frame, per_face)
    grids = districts.build_grids(frame, community_of_face, xy, target_households=target_households)
    areas = build_areas(osm_m, frame, grids, xy)
    log(f"areas: {sum(a['level'] == 'community' for a in areas)} communities, "
        f"{sum(a['level'] == 'grid' for a in areas)} grids")
    households = people.make_households(sites, xy, site_of, _rng(seed, "households"), anchor)
    log(f"households: {len(households)} in {len(sites.households)} buildings")

    streets = land.named_streets(osm_m)
    osm_fac = facilities.osm_facilities(osm_m, frame.district, streets)
    communities = [facilities.Community(a["name"], a["street_name"], a["metric"]) for a in areas
                   if a["level"] == "community"]
    no_go = land.no_housing_area(osm_m, frame.district)
    green = shapely.union_all(osm_m.green.geometry.values)
    open_space = habitable.union(green.intersection(frame.district).difference(no_go.difference(green)))
    synth = facilities.synthetic_facilities(communities, sites.xy, sites.households, open_space, osm_fac, streets,
                                            _rng(seed, "facilities"))
    fac = pd.concat([osm_fac, synth], ignore_index=True)
    log(f"facilities: {len(osm_fac)} from OSM, {len(synth)} synthetic")

    inc, steps, hotspots = build_incidents(osm_m, frame.district, fac, households, anchor_end, _rng(seed, "incidents"))
    log(f"incidents: {len(inc)} with {len(steps)} transitions")
    for frame_xy in (households, fac, inc):
        lonlat = _lonlat(frame_xy[["x", "y"]].to_numpy(dtype=float))
        frame_xy["lon"], frame_xy["lat"] = lonlat[:, 0], lonlat[:, 1]
    for spot in hotspots:
        spot["lon"], spot["lat"] = _lonlat(np.asarray([spot.pop("xy")], dtype=float))[0].tolist()
    for area in areas:
        area.pop("metric", None)
    users = build_users(areas, _rng(seed, "users"))
    return DemoData(seed=seed, anchor_end=anchor_end, areas=areas, facilities=fac, households=households,
                    incidents=inc, transitions=steps, users=users, hotspots=hotspots,
                    notes={"district_area_km2": round(frame.district.area / 1e6, 3),
                           "buildings": len(sites.households), "target_households_per_grid": target_households})
