"""The demo district and its 街道 → 社区 → 网格, cut along the real street network.

All geometry here is in metres (UTM 48N, ``layers.demo.METRIC_CRS``).

1. Guide: the part of the 2018 OSM boundary of 锦江区 that the extract holds (the relation
   is incomplete; its ways are tagged ``source=estimated``) closed by the extract's edge,
   which is pulled in by ``EDGE_MARGIN_M`` so that the streets near it are complete.
2. District (a demo extent, not the official boundary): the faces of the arterial network
   (trunk/primary/secondary/tertiary and the extract's edge) that lie mostly in the guide.
3. Fine faces: the faces of every street that bounds a city block (arterials plus
   residential, unclassified, living and pedestrian streets) inside the district; slivers
   (medians between carriageways, junction islands) are merged into a neighbour.
4. Communities: arterial faces grouped, smallest first, into ``n`` regions of about equal
   household count. Grids: fine faces of a community, huge ones split across their long
   axis, small ones merged into the neighbour that keeps the result smallest, so that each
   grid holds about ``target`` households. Communities are the union of their grids and the
   district the union of its communities, so the tiling holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely import MultiPolygon, Polygon

from layers.demo import METRIC_CRS, WGS84_CRS
from layers.demo.faces import Regions, is_sliver, merge_small, polygonize_lines, split_polygon
from layers.demo.osm import OsmLayers

GUIDE_RELATION = "锦江区"
# 春熙路 (lon, lat): a point known to lie in 锦江区, to pick the guide face.
GUIDE_ANCHOR_LONLAT = (104.0785, 30.6555)
EDGE_MARGIN_M = 30.0
# A face narrower than this or smaller than this is a sliver (medians, junction islands).
SLIVER_WIDTH_M = 24.0
SLIVER_AREA_M2 = 2500.0
ARTERIAL_HIGHWAYS = {"motorway", "trunk", "primary", "secondary", "tertiary"}
BLOCK_HIGHWAYS = ARTERIAL_HIGHWAYS | {"unclassified", "residential", "living_street", "pedestrian"}
# Households per community the grouping aims at (a real one had 4,839 in 21 grids).
HOUSEHOLDS_PER_COMMUNITY = 3000
MIN_COMMUNITIES = 5
# Grids are merged while below this share of the target and split above the other.
GRID_MIN_SHARE = 0.6
GRID_SPLIT_SHARE = 1.6


class DistrictError(RuntimeError):
    """The district cannot be built from this extract."""


@dataclass(frozen=True)
class DistrictFrame:
    """The district cut into fine faces: ``faces`` (metric polygons) and, for each, the
    arterial region (``arterial``) it lies in."""

    guide: Polygon
    district: Polygon | MultiPolygon
    faces: list[Polygon | MultiPolygon]
    arterial: np.ndarray
    arterial_regions: list[Polygon | MultiPolygon]


def extract_edge(bounds_lonlat: tuple[float, float, float, float], *, margin_m: float = EDGE_MARGIN_M) -> Polygon:
    """The extract's bounding box in metres, pulled in by ``margin_m``."""
    box = gpd.GeoSeries([shapely.box(*bounds_lonlat)], crs=WGS84_CRS).to_crs(METRIC_CRS).iloc[0]
    return box.buffer(-margin_m, join_style="mitre")


def _metric_point(lon: float, lat: float) -> shapely.Point:
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs=WGS84_CRS).to_crs(METRIC_CRS).iloc[0]


def guide_polygon(osm_m: OsmLayers, edge: Polygon) -> Polygon:
    """The face of (guide relation's boundary ways + the extract's edge) around the anchor."""
    lines = osm_m.admin_lines[osm_m.admin_lines["relation"].str.startswith(GUIDE_RELATION)]
    if lines.empty:
        msg = f"the extract holds no boundary way of {GUIDE_RELATION}"
        raise DistrictError(msg)
    anchor = _metric_point(*GUIDE_ANCHOR_LONLAT)
    for face in polygonize_lines([*lines.geometry, edge.exterior]):
        if face.contains(anchor) and face.within(edge.buffer(1.0)):
            return face
    msg = f"no face of the {GUIDE_RELATION} boundary and the extract's edge contains {GUIDE_ANCHOR_LONLAT}"
    raise DistrictError(msg)


def _roads(osm_m: OsmLayers, highways: set[str]) -> list[shapely.Geometry]:
    roads = osm_m.highways[osm_m.highways["highway"].isin(highways)]
    return list(roads.geometry)


def _merge_slivers(faces: list[Polygon], group: np.ndarray | None = None) -> Regions:
    regions = Regions.from_faces(faces, weight=[f.area for f in faces], group=group)

    def small(reg: Regions, r: int) -> bool:
        return is_sliver(reg.geometry(r), min_width_m=SLIVER_WIDTH_M, min_area_m2=SLIVER_AREA_M2)

    def longest_border(reg: Regions, r: int, other: int, shared_m: float) -> float:
        return -shared_m

    merge_small(regions, small, longest_border)
    return regions


def build_frame(osm_m: OsmLayers) -> DistrictFrame:
    """Guide, district and fine faces (see the module docstring, steps 1–3)."""
    edge = extract_edge(osm_m.bounds)
    guide = guide_polygon(osm_m, edge)
    arterial_faces = [f for f in polygonize_lines([*_roads(osm_m, ARTERIAL_HIGHWAYS), edge.exterior])
                      if f.within(edge.buffer(1.0)) and f.intersection(guide).area > 0.5 * f.area]
    if not arterial_faces:
        msg = "no arterial block lies in the guide polygon"
        raise DistrictError(msg)
    arterial = _merge_slivers(arterial_faces)
    arterial_regions = [arterial.geometry(r) for r in arterial.ordered()]
    district = shapely.union_all(arterial_regions)
    tree = shapely.STRtree(arterial_regions)

    faces, owner = [], []
    for face in polygonize_lines([*_roads(osm_m, BLOCK_HIGHWAYS), edge.exterior]):
        point = face.representative_point()
        hits = tree.query(point, predicate="within")
        if len(hits):
            faces.append(face)
            owner.append(int(hits[0]))
    fine = _merge_slivers(faces, np.asarray(owner))
    merged = [fine.geometry(r) for r in fine.ordered()]
    merged_owner = np.asarray([fine.group[min(fine.members[r])] for r in fine.ordered()])
    return DistrictFrame(guide=guide, district=district, faces=[_polygonal(g) for g in merged],
                         arterial=merged_owner, arterial_regions=arterial_regions)


def _polygonal(geom: shapely.Geometry) -> Polygon | MultiPolygon:
    """A merged face, valid and without stray points or lines (merges of faces that touch
    only at a corner stay a MultiPolygon)."""
    geom = geom if geom.is_valid else shapely.make_valid(geom)
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon)]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def group_communities(frame: DistrictFrame, households_per_face: np.ndarray, *, households_per_community:
                      int = HOUSEHOLDS_PER_COMMUNITY, min_communities: int = MIN_COMMUNITIES) -> np.ndarray:
    """The community number (0…n-1) of each fine face: arterial regions merged, smallest
    first, into a neighbour until there are ``n`` of about equal household count."""
    n_regions = len(frame.arterial_regions)
    weight = np.zeros(n_regions)
    np.add.at(weight, frame.arterial, households_per_face)
    total = float(weight.sum())
    n = max(min_communities, round(total / households_per_community))
    target = total / n
    regions = Regions.from_faces(frame.arterial_regions, weight=weight)

    def small(reg: Regions, r: int) -> bool:
        return len(reg.members) > n or reg.region_weight(r) < 0.5 * target

    def fit(reg: Regions, r: int, other: int, shared_m: float) -> float:
        # Keep communities small and compact: a corner contact is a poor merge.
        return (reg.region_weight(r) + reg.region_weight(other)) / target + (1.0 if shared_m < 30 else 0.0)

    merge_small(regions, small, fit)
    order = _reading_order([regions.geometry(r) for r in regions.ordered()])
    number = {r: order.index(i) for i, r in enumerate(regions.ordered())}
    community_of_region = {a: number[r] for r, members in regions.members.items() for a in members}
    return np.asarray([community_of_region[int(a)] for a in frame.arterial])


def _reading_order(geoms: list[shapely.Geometry]) -> list[int]:
    """Indexes north→south in bands of 600 m, west→east in a band (for community numbers)."""
    points = [g.representative_point() for g in geoms]
    top = max(p.y for p in points)
    return sorted(range(len(geoms)), key=lambda i: (int((top - points[i].y) // 600), points[i].x))


def build_grids(frame: DistrictFrame, community_of_face: np.ndarray, household_xy: np.ndarray,
                *, target_households: int) -> list[tuple[int, Polygon | MultiPolygon]]:
    """(community number, grid polygon) pairs: each community's fine faces split or merged so
    that every grid holds about ``target_households`` of the points ``household_xy`` (m)."""
    faces: list[Polygon | MultiPolygon] = []
    groups: list[int] = []
    for face, community in zip(frame.faces, community_of_face, strict=True):
        inside = household_xy[shapely.contains_xy(face, household_xy[:, 0], household_xy[:, 1])]
        pieces = round(len(inside) / target_households)
        parts = split_polygon(face, inside, pieces) if len(inside) > GRID_SPLIT_SHARE * target_households else [face]
        for part in parts:
            faces.extend(p for p in shapely.get_parts(part) if p.area > 0)
            groups.extend(community for p in shapely.get_parts(part) if p.area > 0)
    counts = np.asarray([shapely.contains_xy(f, household_xy[:, 0], household_xy[:, 1]).sum() for f in faces])
    regions = Regions.from_faces(faces, weight=counts, group=groups)

    def small(reg: Regions, r: int) -> bool:
        return reg.region_weight(r) < GRID_MIN_SHARE * target_households

    def fit(reg: Regions, r: int, other: int, shared_m: float) -> float:
        combined = (reg.region_weight(r) + reg.region_weight(other)) / target_households
        return combined + (1.0 if shared_m < 20 else 0.0)

    merge_small(regions, small, fit)
    return [(int(regions.group[min(regions.members[r])]), regions.geometry(r)) for r in regions.ordered()]


def group_streets(community_geoms: list[shapely.Geometry], community_households: list[int],
                  n_streets: int = 2) -> list[int]:
    """The street number (0…n-1) of each community: communities ordered along the district's
    long axis and cut into ``n_streets`` runs of about equal household count."""
    points = np.asarray([g.representative_point().coords[0] for g in community_geoms])
    centred = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axis = vt[0] if vt[0][0] >= 0 else -vt[0]  # west→east along the long axis
    order = np.argsort(centred @ axis, kind="stable")
    cumulative = np.cumsum(np.asarray(community_households)[order])
    street = np.zeros(len(community_geoms), dtype=int)
    for rank, index in enumerate(order):
        before = cumulative[rank] - community_households[index] / 2
        street[index] = min(n_streets - 1, int(before / cumulative[-1] * n_streets))
    return street.tolist()


# Real 街道 names of 锦江区 in this area, each with a street that identifies its part of the
# demo district; the demo's boundaries and codes are invented.
STREET_NAMES: list[tuple[str, str]] = [("春熙路街道", "春熙路"), ("书院街街道", "书院西街")]


def _named_lengths(geom: shapely.Geometry, highways_m: gpd.GeoDataFrame) -> dict[str, float]:
    roads = highways_m[(highways_m["name"] != "") & highways_m.intersects(geom)]
    lengths: dict[str, float] = {}
    for name, line in zip(roads["name"], roads.geometry, strict=True):
        lengths[name] = lengths.get(name, 0.0) + line.intersection(geom).length
    return lengths


def community_names(geoms_m: list[shapely.Geometry], highways_m: gpd.GeoDataFrame) -> list[str]:
    """A name for each community after the longest named inner street (not an arterial on
    its edge) that no earlier community took: 梨花街 → 梨花街社区."""
    inner_roads = highways_m[highways_m["road_class"].isin(["collector", "local", "path"]) & ~highways_m["link"]]
    arterial_names = set(highways_m.loc[highways_m["road_class"] == "arterial", "name"])
    used: set[str] = set()
    result = []
    for number, geom in enumerate(geoms_m, start=1):
        lengths = _named_lengths(geom.buffer(-15), inner_roads)
        options = sorted((name for name in lengths if name not in arterial_names and name not in used),
                         key=lambda name: (-round(lengths[name], 1), name))
        name = options[0] if options else f"第{number}"
        used.add(name)
        result.append(f"{name}社区")
    return result


def street_names(geoms_m: list[shapely.Geometry], highways_m: gpd.GeoDataFrame) -> list[str]:
    """STREET_NAMES given to the street groups holding the most of their key street; groups
    left over get 第N街道."""
    result: list[str | None] = [None] * len(geoms_m)
    for name, key in STREET_NAMES:
        lengths = [_named_lengths(g, highways_m).get(key, 0.0) if result[i] is None else -1.0
                   for i, g in enumerate(geoms_m)]
        best = int(np.argmax(lengths))
        if lengths[best] >= 0 and result[best] is None:
            result[best] = name
    return [name or f"第{i + 1}街道" for i, name in enumerate(result)]
