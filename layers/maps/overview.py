"""The first page's map: communities outlined, grids coloured, Chinese labels."""

from __future__ import annotations

import json

import folium
from django.contrib.gis.db.models import Extent
from django.db.models import Count

from layers.grids.models import Community, Grid
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
    already has (neighbours: polygons sharing a border), so adjacent grids differ."""
    colours: list[int] = []
    for i, g in enumerate(geoms):
        taken = {colours[j] for j in range(i) if g.intersects(geoms[j])}
        colours.append(next((c for c in range(palette_size) if c not in taken), i % palette_size))
    return colours


def overview_map(district: str | None = None) -> folium.Map:
    """Every district's communities and grids, or one district's (its 6-digit code)."""
    from layers.accounts.visibility import in_district

    communities = list(in_district(Community.objects.all(), district))
    extent = in_district(Community.objects.all(), district).aggregate(e=Extent("geom"))["e"]
    m = base_map(bounds=extent)
    grids = list(in_district(Grid.objects.all(), district).select_related("community")
                 .annotate(n_households=Count("households")))
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
    labels = folium.FeatureGroup(name="社区名称")
    for c in communities:
        point = c.geom.point_on_surface
        folium.Marker(
            [point.y, point.x],
            icon=div_icon(html('<div class="gm-label">{}</div>', c.name), icon_size=(120, 20), icon_anchor=(60, 10)),
        ).add_to(labels)
    labels.add_to(m)
    Legend("图例", [("#d7301f", "社区边界", "line"), (GRID_COLOURS[0], "网格（颜色区分相邻网格）", "fill")]).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
