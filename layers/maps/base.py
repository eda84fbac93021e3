"""Folium maps that work on an isolated network.

Every Leaflet/folium asset is served by the app from static/vendor (no CDN): each map
element's ``default_js``/``default_css`` entries are swapped for local files by name, and
an entry with an unknown name is an error (so a new plugin cannot silently pull a CDN).
"""

from __future__ import annotations

import folium
from branca.element import Element, MacroElement
from django.conf import settings
from jinja2 import Template

OSM_ATTRIBUTION = (
    'Map data © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors, ODbL'
)

# Name used by folium/branca for an asset → path below static/vendor/ ("" = not needed).
LOCAL_ASSETS: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "jquery": "jquery/jquery.min.js",
    "bootstrap": "bootstrap/js/bootstrap.bundle.min.js",
    "awesome_markers": "awesome-markers/leaflet.awesome-markers.min.js",
    "leaflet_css": "leaflet/leaflet.css",
    "bootstrap_css": "bootstrap/css/bootstrap.min.css",
    "glyphicons_css": "",
    "awesome_markers_font_css": "fontawesome/css/all.min.css",
    "awesome_markers_css": "awesome-markers/leaflet.awesome-markers.css",
    "awesome_rotate_css": "",
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "leaflet-heat/leaflet_heat.min.js",
    "Control.Fullscreen.js": "fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "fullscreen/Control.FullScreen.css",
}


class UnknownAsset(ValueError):
    """A map element asks for a JS/CSS file that gridmap does not ship."""


def _local(entries: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    local = []
    for name, url in entries:
        if name not in LOCAL_ASSETS:
            msg = f"map asset {name!r} ({url}) is not shipped in static/vendor; add it to LOCAL_ASSETS"
            raise UnknownAsset(msg)
        if LOCAL_ASSETS[name]:
            local.append((name, prefix + LOCAL_ASSETS[name]))
    return local


def localize_assets(root: folium.Map, *, prefix: str | None = None) -> folium.Map:
    """Point every element of ``root`` at the app's own copies of Leaflet and plugins."""
    prefix = prefix if prefix is not None else f"/{settings.STATIC_URL.strip('/')}/vendor/"
    stack = [root]
    while stack:
        element = stack.pop()
        for attr in ("default_js", "default_css"):
            if hasattr(element, attr):
                # An instance attribute: the class lists are shared by every map.
                setattr(element, attr, _local(getattr(element, attr), prefix))
        stack.extend(getattr(element, "_children", {}).values())
    return root


class Attribution(MacroElement):
    """Adds a line to Leaflet's attribution control (the OSM/ODbL notice)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


def base_map(*, bounds: tuple[float, float, float, float] | None = None, basemap: str | None = None) -> folium.Map:
    """A Leaflet map with gridmap's basemap setting, the OSM attribution and Chinese UI.

    ``bounds`` is (min_lon, min_lat, max_lon, max_lat) in WGS84 degrees.
    """
    basemap = basemap or settings.GRIDMAP_BASEMAP
    m = folium.Map(location=[30.66, 104.08], zoom_start=14, tiles=None, control_scale=True, prefer_canvas=True)
    # Without a tile layer Leaflet has no zoom range, and clustering needs one.
    m.options.update({"maxZoom": 19, "minZoom": 5})
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap 底图", attr=OSM_ATTRIBUTION).add_to(m)
    elif basemap == "tianditu":
        key = settings.GRIDMAP_TIANDITU_KEY
        for layer, label in (("vec", "天地图 矢量"), ("cva", "天地图 注记")):
            folium.TileLayer(
                tiles=(
                    f"http://t0.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                    f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
                    f"&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
                ),
                attr="© 天地图 国家地理信息公共服务平台",
                name=label,
                overlay=layer == "cva",
            ).add_to(m)
    m.get_root().header.add_child(
        Element("<style>.leaflet-container{background:#f4f3ef;font-family:'Noto Sans CJK SC',sans-serif}</style>")
    )
    Attribution(OSM_ATTRIBUTION).add_to(m)
    if bounds:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def render(m: folium.Map) -> str:
    """The map's standalone HTML with local assets."""
    return localize_assets(m).get_root().render()
