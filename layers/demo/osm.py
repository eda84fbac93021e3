"""Read an OpenStreetMap extract (.osm, .osm.bz2, .pbf) into GeoDataFrames for the demo.

One pass of the OSM reader (importers.readers.osm) with node locations and assembled areas (closed ways and multipolygon
relations) gives:

- ``highways``  lines with ``highway``, ``name``, ``road_class`` and ``buffer_m`` (the half
  width in metres that households keep away from, by class);
- ``water``     polygons: water areas, riverbanks and waterway lines buffered by their kind;
- ``green``     parks, gardens, grass, woods, pitches, stadiums, cemeteries (no housing);
- ``buildings`` and ``landuse`` polygons;
- ``pois``      points of interest: nodes as they are, areas by a point on their surface,
  with ``source_id`` (``node/123``, ``way/456``, ``relation/789``), ``name`` and all tags;
- ``sites``     areas of non-residential premises (schools, hospitals, car parks, places of
  worship, markets, construction sites, railway land ...);
- ``admin_lines`` the member ways of administrative boundary relations that the extract
  holds (an extract usually has only parts of them), with the relation's name and level;
- ``bounds``    the extract's bounding box from the file header (lon/lat).

Everything is returned in WGS84 (EPSG:4326); ``OsmLayers.to_crs`` projects all layers.
Data © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import osmium
import shapely
from osmium.geom import WKBFactory

from importers.readers.osm import chinese_name, header_bounds, osm_objects
from layers.demo import WGS84_CRS

# Half widths (m) of the carriageway plus a margin, by highway class: households are never
# placed inside these buffers. Links get their parent's width.
ROAD_BUFFER_M: dict[str, float] = {
    "motorway": 15.0, "trunk": 15.0, "primary": 12.0, "secondary": 10.0, "tertiary": 8.0,
    "unclassified": 6.0, "residential": 4.0, "living_street": 4.0, "service": 4.0,
    "pedestrian": 3.0, "footway": 2.0, "cycleway": 2.0, "path": 2.0, "steps": 2.0, "track": 2.0,
}

# The role a road plays when the district is cut into communities and grids.
ROAD_CLASS: dict[str, str] = {
    "motorway": "arterial", "trunk": "arterial", "primary": "arterial", "secondary": "arterial",
    "tertiary": "collector", "unclassified": "local", "residential": "local", "living_street": "local",
    "service": "service", "pedestrian": "path", "footway": "path", "cycleway": "path", "path": "path",
    "steps": "path", "track": "path",
}

# Waterway lines become polygons of this half width (m), added to the riverbank polygons
# (which the 2018 data lacks along parts of the rivers).
WATERWAY_HALF_WIDTH_M: dict[str, float] = {"river": 20.0, "canal": 6.0, "stream": 3.0, "drain": 2.0, "ditch": 1.5}

WATER_AREA_TAGS = {("natural", "water"), ("waterway", "riverbank"), ("landuse", "reservoir"), ("landuse", "basin")}
GREEN_AREA_TAGS = {
    ("leisure", "park"), ("leisure", "garden"), ("leisure", "pitch"), ("leisure", "stadium"),
    ("leisure", "playground"), ("leisure", "nature_reserve"), ("landuse", "grass"), ("landuse", "meadow"),
    ("landuse", "village_green"), ("landuse", "forest"), ("landuse", "cemetery"), ("landuse", "allotments"),
    ("landuse", "recreation_ground"), ("natural", "wood"), ("natural", "scrub"), ("natural", "grassland"),
}
# Keys that make a node or an area a point of interest.
POI_KEYS = ("amenity", "shop", "leisure", "healthcare", "office", "social_facility", "tourism", "craft",
            "landuse")
POI_LANDUSE = {"construction"}
# Premises where nobody lives: households are kept out of them.
SITE_AMENITIES = {"school", "university", "college", "kindergarten", "hospital", "clinic", "parking",
                  "place_of_worship", "marketplace", "bus_station", "fuel", "police", "fire_station",
                  "library", "theatre", "cinema", "arts_centre", "townhall", "prison"}
SITE_LANDUSE = {"construction", "railway", "industrial", "military", "depot", "garages"}


@dataclass(frozen=True)
class OsmLayers:
    """The layers of one OSM extract, all in the same CRS."""

    highways: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    green: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    admin_lines: gpd.GeoDataFrame
    bounds: tuple[float, float, float, float]

    def to_crs(self, crs: str) -> OsmLayers:
        """A copy with every layer projected to ``crs`` (``bounds`` stay in lon/lat)."""
        return OsmLayers(**{
            f.name: getattr(self, f.name).to_crs(crs) if f.name != "bounds" else self.bounds for f in fields(self)
        })


def _frame(rows: list[dict], columns: list[str]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=WGS84_CRS)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84_CRS)
    return frame[[*columns, "geometry"]]


class _Collector:
    """Rows for each layer, filled while pyosmium walks the file."""

    def __init__(self) -> None:
        self.wkb = WKBFactory()
        self.highways: list[dict] = []
        self.waterways: list[dict] = []
        self.water: list[dict] = []
        self.green: list[dict] = []
        self.buildings: list[dict] = []
        self.landuse: list[dict] = []
        self.pois: list[dict] = []
        self.sites: list[dict] = []
        self.boundary_ways: dict[int, shapely.LineString] = {}
        self.admin_relations: list[tuple[str, str, list[int]]] = []

    def node(self, obj: osmium.osm.Node) -> None:
        tags = dict(obj.tags)
        if _is_poi(tags):
            point = shapely.from_wkb(self.wkb.create_point(obj))
            self.pois.append(_poi_row(f"node/{obj.id}", tags, point))

    def way(self, obj: osmium.osm.Way) -> None:
        tags = dict(obj.tags)
        if tags.get("boundary") == "administrative":
            try:
                self.boundary_ways[obj.id] = shapely.from_wkb(self.wkb.create_linestring(obj))
            except RuntimeError:  # nodes outside the extract: the guide uses the ways it has
                pass
        highway = tags.get("highway", "").removesuffix("_link")
        waterway = tags.get("waterway", "")
        if highway not in ROAD_CLASS and waterway not in WATERWAY_HALF_WIDTH_M:
            return
        if tags.get("area") == "yes" or len(obj.nodes) < 2:
            return
        try:
            line = shapely.from_wkb(self.wkb.create_linestring(obj))
        except RuntimeError:  # a way whose nodes lie outside the extract
            return
        if highway in ROAD_CLASS:
            self.highways.append({
                "osm_id": obj.id, "highway": highway, "link": tags["highway"].endswith("_link"),
                "name": chinese_name(tags), "road_class": ROAD_CLASS[highway],
                "buffer_m": ROAD_BUFFER_M[highway], "bridge": tags.get("bridge", "no") != "no",
                "tunnel": tags.get("tunnel", "no") != "no", "geometry": line,
            })
        else:
            self.waterways.append({"osm_id": obj.id, "kind": waterway, "name": chinese_name(tags),
                                   "half_width_m": WATERWAY_HALF_WIDTH_M[waterway], "geometry": line})

    def relation(self, obj: osmium.osm.Relation) -> None:
        tags = dict(obj.tags)
        if tags.get("boundary") == "administrative" and tags.get("type") in ("boundary", "multipolygon"):
            ways = [m.ref for m in obj.members if m.type == "w"]
            self.admin_relations.append((tags.get("name", ""), tags.get("admin_level", ""), ways))

    def admin_rows(self) -> list[dict]:
        return [{"relation": name, "admin_level": level, "way_id": way, "geometry": self.boundary_ways[way]}
                for name, level, ways in self.admin_relations for way in ways if way in self.boundary_ways]

    def area(self, obj: osmium.osm.Area) -> None:
        tags = dict(obj.tags)
        kinds = {(k, v) for k, v in tags.items()}
        try:
            shape = shapely.from_wkb(self.wkb.create_multipolygon(obj))
        except RuntimeError:  # an incomplete multipolygon at the edge of the extract
            return
        if not shape.is_valid:
            shape = shapely.make_valid(shape)
        source_id = f"{'way' if obj.from_way() else 'relation'}/{obj.orig_id()}"
        name = chinese_name(tags)
        if kinds & WATER_AREA_TAGS:
            self.water.append({"source_id": source_id, "kind": tags.get("water") or tags.get("natural")
                               or tags.get("waterway") or tags.get("landuse"), "name": name, "geometry": shape})
        if kinds & GREEN_AREA_TAGS:
            kind = tags.get("leisure") or tags.get("landuse") or tags.get("natural")
            self.green.append({"source_id": source_id, "kind": kind, "name": name, "geometry": shape})
        if "building" in tags:
            self.buildings.append({"source_id": source_id, "building": tags["building"], "name": name,
                                   "levels": tags.get("building:levels", ""), "geometry": shape})
        if tags.get("amenity") in SITE_AMENITIES or tags.get("landuse") in SITE_LANDUSE:
            self.sites.append({"source_id": source_id, "kind": tags.get("amenity") or tags.get("landuse"),
                               "name": name, "geometry": shape})
        if "landuse" in tags:
            self.landuse.append({"source_id": source_id, "landuse": tags["landuse"], "name": name,
                                 "geometry": shape})
        if _is_poi(tags):
            self.pois.append(_poi_row(source_id, tags, shape.point_on_surface(), is_area=True))


def _is_poi(tags: dict[str, str]) -> bool:
    if not any(k in tags for k in POI_KEYS):
        return False
    if set(tags) <= {"landuse", "name", "source", "area"}:  # plain land use is not a POI
        return tags.get("landuse") in POI_LANDUSE
    return True


def _poi_row(source_id: str, tags: dict[str, str], point: shapely.Point, *, is_area: bool = False) -> dict:
    return {"source_id": source_id, "name": chinese_name(tags), "amenity": tags.get("amenity", ""),
            "shop": tags.get("shop", ""), "leisure": tags.get("leisure", ""),
            "healthcare": tags.get("healthcare", ""), "landuse": tags.get("landuse", ""),
            "tags": dict(sorted(tags.items())), "is_area": is_area, "geometry": point}


def _water_polygons(areas: list[dict], lines: list[dict]) -> gpd.GeoDataFrame:
    """Water areas plus waterway lines buffered by their half width (in metres)."""
    frame = _frame(areas, ["source_id", "kind", "name"])
    if lines:
        ways = _frame(lines, ["osm_id", "kind", "name", "half_width_m"])
        metric_crs = ways.estimate_utm_crs()
        metric = ways.to_crs(metric_crs)
        buffered = metric.geometry.buffer(metric["half_width_m"], cap_style="flat")
        extra = gpd.GeoDataFrame({
            "source_id": [f"way/{i}" for i in ways["osm_id"]], "kind": ways["kind"], "name": ways["name"],
        }, geometry=buffered.to_crs(WGS84_CRS).values, crs=WGS84_CRS)
        frame = gpd.GeoDataFrame(
            [*frame.to_dict("records"), *extra.to_dict("records")], geometry="geometry", crs=WGS84_CRS
        ) if len(frame) else extra
    return frame.reset_index(drop=True)


def read_osm(path: str | Path) -> OsmLayers:
    """Read ``path`` into OsmLayers (EPSG:4326). Raises OsmReadError if it cannot be read."""
    collector = _Collector()
    for obj in osm_objects(path, areas=True):
        if obj.is_area():
            collector.area(obj)
        elif obj.is_node():
            collector.node(obj)
        elif obj.is_way():
            collector.way(obj)
        elif obj.is_relation():
            collector.relation(obj)
    pois = _frame(collector.pois, ["source_id", "name", "amenity", "shop", "leisure", "healthcare", "landuse",
                                   "tags", "is_area"])
    return OsmLayers(
        highways=_frame(collector.highways, ["osm_id", "highway", "link", "name", "road_class", "buffer_m",
                                             "bridge", "tunnel"]),
        water=_water_polygons(collector.water, collector.waterways),
        green=_frame(collector.green, ["source_id", "kind", "name"]),
        buildings=_frame(collector.buildings, ["source_id", "building", "name", "levels"]),
        landuse=_frame(collector.landuse, ["source_id", "landuse", "name"]),
        pois=pois,
        sites=_frame(collector.sites, ["source_id", "kind", "name"]),
        admin_lines=_frame(collector.admin_rows(), ["relation", "admin_level", "way_id"]),
        bounds=_bounds(header_bounds(path), collector),
    )


def _bounds(box: tuple[float, float, float, float] | None, collector: _Collector) -> tuple[float, float, float, float]:
    """The header's box, or the extent of the POIs and roads when the header has none."""
    if box is not None:
        return box
    geoms = [row["geometry"] for row in (*collector.pois, *collector.highways)]
    return tuple(shapely.total_bounds(geoms).tolist()) if geoms else (0.0, 0.0, 0.0, 0.0)
