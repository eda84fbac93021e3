"""The patrol map: heat surface, Gi* hot and cold spots, emerging patterns, the patrol route
with numbered stops and recent incidents, each a layer of the layer control.

Heat map: the quartic kernel density surface itself (``density.kde_quartic``, the one the
analysis reports), drawn as an image overlay, not folium's HeatMap plugin (which would
smooth the points again with its own screen-pixel radius and change with the zoom). The
surface is computed in the metric CRS and resampled (nearest cell) onto a grid that is
regular in Web Mercator, so that Leaflet can stretch the image without distorting it.

Everything is drawn with core Leaflet (GeoJSON, polylines, circle markers, DivIcon
numbers, an image overlay): no plugin assets; ``layers.maps.base.render`` serves Leaflet
from static/vendor and ``base_map`` adds the OSM attribution.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import branca.colormap as cm
import folium
import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.geometry
from branca.element import Element, MacroElement
from jinja2 import Template

from layers.maps.base import base_map
from layers.maps.escape import GeoJsonTooltip, Tooltip, div_icon, html
from layers.maps.lazy import ClusteredPoints, point_feature
from layers.maps.legend import Legend
from layers.patrols.hotspots import CLASS_LABELS_ZH, EmergingAnalysis, HotspotResult
from layers.patrols.route import PatrolPlan
from layers.patrols.stats.density import DensityGrid
from layers.patrols.stats.emerging import CATEGORY_LABELS_ZH

# ESRI's hot spot palette (red = hot, blue = cold, pale = not significant).
CLASS_COLOURS: dict[int, str] = {
    3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", 0: "#f7f7f7", -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac",
}  # fmt: skip
EMERGING_COLOURS: dict[str, str] = {
    "new_hot": "#7f0000", "consecutive_hot": "#d7301f", "intensifying_hot": "#b30000",
    "persistent_hot": "#ef6548", "diminishing_hot": "#fc8d59", "sporadic_hot": "#fdbb84",
    "oscillating_hot": "#e7298a", "historical_hot": "#bcbddc",
    "new_cold": "#08306b", "consecutive_cold": "#08519c", "intensifying_cold": "#2171b5",
    "persistent_cold": "#4292c6", "diminishing_cold": "#6baed6", "sporadic_cold": "#9ecae1",
    "oscillating_cold": "#7570b3", "historical_cold": "#c6dbef",
}  # fmt: skip
ROUTE_COLOUR = "#1f4e9c"
HEAT_COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
HEAT_MIN_SHARE = 0.03  # densities below 3 % of the maximum stay transparent
MAX_IMAGE_PIXELS = 1_500_000
PRINT_CSS = (
    # Printed, the legends and boxes would sit over the map: the route card (/patrol/card/)
    # prints the list and legend below the map instead.
    "<style>@page{size:A4 landscape;margin:10mm}"
    "@media print{.leaflet-control-layers,.leaflet-control-zoom,.gm-legend{display:none}"
    ".leaflet-container{width:100%!important;height:100vh!important}}"
    ".gm-stop{background:#1f4e9c;color:#fff;border:2px solid #fff;border-radius:50%;width:24px;height:24px;"
    "line-height:20px;text-align:center;font:bold 13px sans-serif;box-shadow:0 0 3px rgba(0,0,0,.6);"
    "box-sizing:border-box;position:relative}.gm-stop-icon{background:none;border:0}"
    ".gm-stop.start{background:#238b45}</style>"
)


class InfoBox(MacroElement):
    """A fixed box of text on the map (title and route summary), top left."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function(){
          var box = L.control({position: 'topleft'});
          box.onAdd = function () {
            var div = L.DomUtil.create('div', 'gm-legend');
            div.innerHTML = {{ this.html|tojson }};
            return div;
          };
          box.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self._name = "InfoBox"
        self.html = str(html("<br>").join(lines))  # Markup.join escapes each line


def _features(frame: pd.DataFrame, columns: list[str]) -> dict:
    """GeoJSON in WGS84 of ``frame`` (a GeoDataFrame) with the given properties, as data:
    the tooltips turn them into text in the browser (layers.maps.escape.GeoJsonTooltip)."""
    wgs = frame[[*columns, frame.geometry.name]].to_crs(4326)
    return json.loads(wgs.to_json(na="null", drop_id=True))


def add_hotspots(m: folium.Map, result: HotspotResult) -> None:
    cells = result.cells.copy()
    cells["gi_z"] = cells["gi_z"].round(2)
    data = _features(cells, ["cell_id", "name", "count", "gi_z", "gi_class", "gi_label", "gi_note"])
    folium.GeoJson(
        data,
        name="冷热点（显著性）",
        style_function=lambda f: {
            "fillColor": CLASS_COLOURS[int(f["properties"]["gi_class"])],
            "color": "#666",
            "weight": 0.6,
            "fillOpacity": 0.0 if f["properties"]["gi_class"] == 0 else 0.5,  # keep the heat visible
            "dashArray": "4 3" if f["properties"]["gi_note"] else None,  # no Gi* for this cell
        },  # fmt: skip
        tooltip=GeoJsonTooltip(
            ["name", "count", "gi_label", "gi_z", "gi_note"], aliases=["单元", "事件数", "类别", "z 值", "说明"]
        ),
    ).add_to(m)
    items = [(CLASS_COLOURS[k], CLASS_LABELS_ZH[k], "fill") for k in CLASS_LABELS_ZH]
    notes = sorted(set(cells["gi_note"]) - {""})
    items += [("#666666", f"虚线框：{note}", "line") for note in notes]
    Legend("热点显著性（置信度）", items).add_to(m)


def add_emerging(m: folium.Map, analysis: EmergingAnalysis) -> None:
    cells = analysis.cells[analysis.cells["category"] != "no_pattern"]
    if cells.empty:
        return
    data = _features(cells, ["cell_id", "name", "count", "category", "category_zh", "hot_bins", "cold_bins"])
    folium.GeoJson(
        data,
        name=f"时空热点模式 ({'周' if analysis.bin_kind == 'week' else '月'}, {len(analysis.edges) - 1} 期)",
        show=False,
        style_function=lambda f: {
            "fillColor": EMERGING_COLOURS[f["properties"]["category"]],
            "color": "#444",
            "weight": 0.8,
            "fillOpacity": 0.65,
        },  # fmt: skip
        tooltip=GeoJsonTooltip(
            ["name", "category_zh", "hot_bins", "cold_bins"], aliases=["单元", "时空模式", "热点期数", "冷点期数"]
        ),  # fmt: skip
    ).add_to(m)
    present = [c for c in EMERGING_COLOURS if c in set(cells["category"])]
    Legend("时空热点模式", [(EMERGING_COLOURS[c], CATEGORY_LABELS_ZH[c], "fill") for c in present]).add_to(m)


def _mercator_image(density: DensityGrid, metric_crs: object) -> tuple[np.ndarray, list[list[float]]]:
    """RGBA image (row 0 = north) regular in Web Mercator, and its [[south, west], [north, east]]."""
    to_wgs = pyproj.Transformer.from_crs(metric_crs, 4326, always_xy=True)
    west, south, east, north = to_wgs.transform_bounds(*density.bounds_m)
    to_merc = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    (mx0, mx1), (my0, my1) = to_merc.transform([west, east], [south, north])
    n_rows, n_cols = density.density_per_km2.shape
    scale = min(1.0, math.sqrt(MAX_IMAGE_PIXELS / (n_rows * n_cols)))
    height, width = max(2, int(n_rows * scale)), max(2, int(n_cols * scale))
    gx = mx0 + (np.arange(width) + 0.5) * (mx1 - mx0) / width
    gy = my1 - (np.arange(height) + 0.5) * (my1 - my0) / height  # north first
    mx, my = np.meshgrid(gx, gy)
    merc_to_metric = pyproj.Transformer.from_crs(3857, metric_crs, always_xy=True)
    x, y = merc_to_metric.transform(mx, my)
    x0, y0 = density.bounds_m[0], density.bounds_m[1]
    col = np.floor((x - x0) / density.cell_size_m).astype(int)
    row = np.floor((y - y0) / density.cell_size_m).astype(int)
    inside = (col >= 0) & (col < n_cols) & (row >= 0) & (row < n_rows)
    values = np.zeros(x.shape)
    values[inside] = density.density_per_km2[row[inside], col[inside]]
    top = float(values.max()) or 1.0
    share = values / top
    ramp = cm.LinearColormap(HEAT_COLOURS, vmin=0.0, vmax=1.0)
    rgba = np.array([ramp.rgba_bytes_tuple(v) for v in np.linspace(0, 1, 256)], dtype=np.uint8)
    image = rgba[np.clip((share * 255).astype(int), 0, 255)].copy()
    alpha = np.where(share < HEAT_MIN_SHARE, 0.0, 0.35 + 0.45 * share)
    image[..., 3] = (alpha * 255).astype(np.uint8)
    return image, [[south, west], [north, east]]


def add_density(m: folium.Map, density: DensityGrid, metric_crs: object) -> None:
    image, bounds = _mercator_image(density, metric_crs)
    folium.raster_layers.ImageOverlay(
        image, bounds=bounds, origin="upper", name=f"事件核密度 (带宽 {density.bandwidth_m:.0f} m)",
        pixelated=False, interactive=False,
    ).add_to(m)  # fmt: skip
    top = float(density.density_per_km2.max())
    Legend("事件核密度 (起/km²)", [(HEAT_COLOURS[0], f"低 (≥ {HEAT_MIN_SHARE * top:.0f})", "fill"),
                                  (HEAT_COLOURS[-1], f"高 ({top:.0f})", "fill")]).add_to(m)  # fmt: skip


STOP_LABELS_JS = Path(__file__).resolve().parents[2] / "static" / "gridmap" / "stop_labels.js"


class SpreadLabels(MacroElement):
    """Pushes overlapping stop numbers apart after every zoom (static/gridmap/stop_labels.js,
    inlined so that a map written to a file works alone), with a leader line to each stop."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this.code }}
        GridmapStopLabels.spread({{ this._parent.get_name() }}, [{{ this.markers }}]);
        {% endmacro %}"""
    )

    def __init__(self, markers: list[folium.Marker]) -> None:
        super().__init__()
        self._name = "SpreadLabels"
        self.code = STOP_LABELS_JS.read_text(encoding="utf-8")
        self.markers = ", ".join(marker.get_name() for marker in markers)  # folium's own variable names


def add_route(m: folium.Map, plan: PatrolPlan) -> None:
    group = folium.FeatureGroup(name=f"巡逻路线 ({plan.length_m / 1000:.2f} km, {plan.walk_minutes:.0f} 分钟)")
    for leg in plan.legs:
        if leg.line is not None:
            coords = [(lat, lon) for lon, lat in leg.line.coords]
            folium.PolyLine(coords, color=ROUTE_COLOUR, weight=5, opacity=0.85,
                            tooltip=Tooltip(f"第 {leg.from_number} → {leg.to_number} 站: {leg.length_m:.0f} m")).add_to(group)  # fmt: skip
    markers = []
    for stop in plan.places:
        label = "起" if stop.number == 0 else str(stop.number)
        tip = (
            f"起点 · {stop.name}"
            if stop.number == 0
            else (f"第 {stop.number} 站 · {stop.name} · 事件 {stop.count} 起 · {CLASS_LABELS_ZH[stop.gi_class]}")
        )
        marker = folium.Marker(
            (stop.lat, stop.lon), tooltip=Tooltip(tip),
            icon=div_icon(html('<div class="gm-stop{}">{}</div>', " start" if stop.number == 0 else "", label),
                          icon_size=(24, 24), icon_anchor=(12, 12), class_name="gm-stop-icon"),
        )  # fmt: skip
        marker.add_to(group)
        markers.append(marker)
    group.add_to(m)
    SpreadLabels(markers).add_to(m)


def add_streets(m: folium.Map, streets: shapely.MultiLineString) -> None:
    """The walk network in light grey, so that a printout without a basemap shows the streets."""
    folium.GeoJson(
        shapely.geometry.mapping(streets), name="街道 (步行路网)", control=True,
        style_function=lambda f: {"color": "#9a9a9a", "weight": 1.2, "opacity": 0.8},
    ).add_to(m)  # fmt: skip


def add_incidents(m: folium.Map, incidents: pd.DataFrame) -> None:
    """The period's incidents as dots in their category's colour, each with its category and
    time as a tooltip: one layer embedded once (ClusteredPoints, every dot drawn), not a folium
    marker per incident (about 1 ms each: 0.9 s of a map with 900 incidents)."""
    features = [point_feature(row.lon, row.lat, {"c": row.category_name, "colour": row.color,
                                                 "at": row.reported_at.strftime("%Y-%m-%d %H:%M")})
                for row in incidents.itertuples(index=False)]
    ClusteredPoints(features, name=f"近期事件 ({len(incidents)} 起)", tooltip_template="{c} · {at}",
                    clustered=False).add_to(m)


def _bounds(hotspots: HotspotResult | None, plan: PatrolPlan | None,
            incidents: pd.DataFrame | None) -> tuple[float, float, float, float] | None:  # fmt: skip
    if hotspots is not None and len(hotspots.cells):
        return tuple(hotspots.cells.to_crs(4326).total_bounds)
    if plan is not None and plan.stops:
        lons, lats = [s.lon for s in plan.places], [s.lat for s in plan.places]
        return min(lons), min(lats), max(lons), max(lats)
    if incidents is not None and len(incidents):
        return incidents["lon"].min(), incidents["lat"].min(), incidents["lon"].max(), incidents["lat"].max()
    return None


def patrol_map(
    *,
    hotspots: HotspotResult | None = None,
    density: DensityGrid | None = None,
    emerging: EmergingAnalysis | None = None,
    plan: PatrolPlan | None = None,
    incidents: pd.DataFrame | None = None,
    streets: shapely.MultiLineString | None = None,
    title: str = "事件热点与巡逻路线",
    basemap: str | None = None,
    notes: list[str] | None = None,
) -> folium.Map:
    """A printable Leaflet map of whatever is given (each part optional).

    ``density`` is drawn in the CRS of ``hotspots.cells`` (pass ``hotspots`` with it);
    ``incidents`` is a frame of ``incident_counts.incident_points``; ``streets`` WGS84 lines
    (``patrol_route.street_lines``) drawn under everything; ``notes`` extra lines for the
    info box (why there is no route, how the stops were ranked). Render with
    ``layers.maps.base.render`` (local assets).
    """
    if density is not None and hotspots is None:
        msg = "density needs hotspots (their cells carry the metric CRS of the surface)"
        raise ValueError(msg)
    # Streets given here are embedded (a printable file works without the server); otherwise
    # base_map fetches the app's street background.
    m = base_map(bounds=_bounds(hotspots, plan, incidents), basemap=basemap, with_streets=streets is None)
    m.get_root().header.add_child(Element(PRINT_CSS))
    lines = [title]
    if hotspots is not None:
        lines.append(hotspots.filter.describe_zh())
    if streets is not None and not streets.is_empty:
        add_streets(m, streets)
    if density is not None:
        add_density(m, density, hotspots.cells.crs)
    if hotspots is not None:
        add_hotspots(m, hotspots)
    if emerging is not None:
        add_emerging(m, emerging)
    if incidents is not None and len(incidents):
        add_incidents(m, incidents)
    if plan is not None:
        add_route(m, plan)
        lines.append(f"路线 {plan.length_m / 1000:.2f} km · 步行约 {plan.walk_minutes:.0f} 分钟 · {len(plan.stops)} 站"
                     f" · {plan.rank_label}")
        lines += [f"{s.number}. {s.name}（事件 {s.count} 起，{CLASS_LABELS_ZH[s.gi_class]}）" for s in plan.stops]
    lines += notes or []
    if plan is not None:
        Legend("图例", [(ROUTE_COLOUR, "巡逻路线", "line"), (ROUTE_COLOUR, "巡逻站点 (按顺序编号)", "dot")]).add_to(m)
    InfoBox(lines).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
