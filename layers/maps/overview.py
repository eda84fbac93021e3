"""The first page's map: communities outlined, grids coloured, Chinese labels."""

from __future__ import annotations

import json

import folium
import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.db.models import Count

from layers.facilities.walking.graph import geoms_to_metric, geoms_to_wgs84
from layers.grids.crs import district_metric_srid
from layers.grids.models import Community, District, Grid
from layers.maps.base import base_map
from layers.maps.escape import GeoJsonTooltip, div_icon, html
from layers.maps.legend import Legend

# Qualitative palette (ColorBrewer Set3) for neighbouring grids.
GRID_COLOURS = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"]


def _feature(obj, properties: dict) -> dict:
    return {"type": "Feature", "geometry": json.loads(obj.geom.geojson), "properties": properties}


def neighbour_colours(geoms: list, palette_size: int) -> list[int]:
    """Greedy colouring: each polygon gets the first palette index no touching neighbour
    already has (neighbours: polygons sharing a border), so adjacent grids differ.

    Neighbours are found with an STRtree: comparing every pair took minutes for a province's
    25,000 grids."""
    shapes = shapely.from_wkb([bytes(g.wkb) for g in geoms])
    earlier: list[list[int]] = [[] for _ in shapes]
    if len(shapes):
        for i, j in zip(*shapely.STRtree(shapes).query(shapes, predicate="intersects"), strict=True):
            if j < i:
                earlier[i].append(int(j))
    colours: list[int] = []
    for i in range(len(shapes)):
        taken = {colours[j] for j in earlier[i]}
        colours.append(next((c for c in range(palette_size) if c not in taken), i % palette_size))
    return colours


def overview_map(district: str | None = None) -> folium.Map:
    """Every district's communities and grids, or one district's (its 6-digit code)."""
    from layers.accounts.visibility import in_district

    scope = in_district(Grid.objects.all(), district)
    if district is None and scope.count() > settings.GRIDMAP_OVERVIEW_MAX_GRIDS:
        return _districts_map()
    communities = list(in_district(Community.objects.all(), district))
    extent = in_district(Community.objects.all(), district).aggregate(e=Extent("geom"))["e"]
    m = base_map(bounds=extent)
    grids = list(scope.select_related("community").annotate(n_households=Count("households")))
    colours = neighbour_colours([g.geom.buffer(0.00001) for g in grids], len(GRID_COLOURS))
    grid_fc = {
        "type": "FeatureCollection",
        "features": [
            _feature(g, {"code": g.code, "name": g.name, "community": g.community.name,
                         "households": g.n_households, "colour": GRID_COLOURS[c]})
            for g, c in zip(grids, colours, strict=True)
        ],
    }
    folium.GeoJson(
        grid_fc,
        name="网格",
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "fillOpacity": 0.55,
                                  "color": "#666666", "weight": 1},
        tooltip=GeoJsonTooltip(["name", "code", "community", "households"],
                                      aliases=["网格", "编码", "社区", "户数"]),
    ).add_to(m)
    folium.GeoJson(
        {"type": "FeatureCollection",
         "features": [_feature(c, {"code": c.code, "name": c.name}) for c in communities]},
        name="社区边界",
        style_function=lambda f: {"fill": False, "color": "#d7301f", "weight": 3},
        tooltip=GeoJsonTooltip(["name", "code"], aliases=["社区", "编码"]),
    ).add_to(m)
    _name_labels(m, "社区名称", communities)
    Legend("图例", [("#d7301f", "社区边界", "line"), (GRID_COLOURS[0], "网格（颜色区分相邻网格）", "fill")]).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _name_labels(m: folium.Map, layer: str, areas) -> None:
    """Each area's name on a point inside it (escaped: names come from imports)."""
    labels = folium.FeatureGroup(name=layer)
    for a in areas:
        point = a.geom.point_on_surface
        folium.Marker(
            [point.y, point.x],
            icon=div_icon(html('<div class="gm-label">{}</div>', a.name), icon_size=(120, 20), icon_anchor=(60, 10)),
        ).add_to(labels)
    labels.add_to(m)


def _districts_map() -> folium.Map:
    """Every district, outlined with its name and its number of streets, communities and
    grids: the overview of more grids than settings.GRIDMAP_OVERVIEW_MAX_GRIDS (a province's
    25,000 grids would make a page of tens of megabytes). Choosing a district shows its grids."""
    districts = list(District.objects.annotate(
        n_streets=Count("streets", distinct=True), n_communities=Count("streets__communities", distinct=True),
        n_grids=Count("streets__communities__grids", distinct=True)).order_by("code"))
    m = base_map(bounds=District.objects.aggregate(e=Extent("geom"))["e"])
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": _outline(d),
             "properties": {"code": d.code, "name": d.name, "streets": d.n_streets, "communities": d.n_communities,
                            "grids": d.n_grids}} for d in districts]},
        name="区",
        style_function=lambda f: {"fillColor": GRID_COLOURS[4], "fillOpacity": 0.25, "color": "#7f0000", "weight": 2},
        tooltip=GeoJsonTooltip(["name", "code", "streets", "communities", "grids"],
                               aliases=["区", "区划代码", "街道", "社区", "网格"]),
    ).add_to(m)
    _name_labels(m, "区名称", districts)
    Legend("图例", [("#7f0000", "区界（网格较多：请在「区」中选择一个区查看其网格）", "line")]).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


OUTLINE_TOLERANCE_M = 20.0
"""How far a district's drawn outline may stray from its boundary, in metres: a province's
boundaries at full detail are megabytes of GeoJSON."""


def _outline(district: District) -> dict:
    """The district's boundary simplified by OUTLINE_TOLERANCE_M in its own metric CRS, back in
    WGS84, as a GeoJSON geometry."""
    srid = district_metric_srid(district)
    metric = geoms_to_metric(np.array([shapely.from_wkb(bytes(district.geom.wkb))]), srid)
    simple = shapely.simplify(metric, OUTLINE_TOLERANCE_M, preserve_topology=True)
    return json.loads(shapely.to_geojson(geoms_to_wgs84(simple, srid)[0]))
