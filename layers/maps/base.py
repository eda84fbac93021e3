"""Folium maps that work on an isolated network.

Every Leaflet/folium asset is served by the app from static/vendor (no CDN): each map
element's ``default_js``/``default_css`` entries are swapped for local files by name, and
an entry with an unknown name is an error (so a new plugin cannot silently pull a CDN).

``render`` is the only way a map becomes HTML: it passes the map through
``layers.maps.escape.secure`` (every database value shown as text) and puts the request's
CSP nonce on the page's scripts. Nothing from the database may go into the page header
(its <script> tags are nonced wholesale); data belongs in layers, tooltips and popups.
"""

from __future__ import annotations

import base64
import os
import re

import folium
from branca.element import Element, MacroElement
from django.conf import settings
from django.urls import reverse
from jinja2 import Template

from layers.maps.escape import secure
from layers.maps.lazy import LazyGeoJson

OSM_ATTRIBUTION = '地图数据 © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> 贡献者，ODbL 许可'

# Name used by folium/branca for an asset → path below the static root ("" = not needed).
LOCAL_ASSETS: dict[str, str] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": "vendor/jquery/jquery.min.js",
    "bootstrap": "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "awesome_markers": "vendor/awesome-markers/leaflet.awesome-markers.min.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "bootstrap_css": "vendor/bootstrap/css/bootstrap.min.css",
    "glyphicons_css": "",
    "awesome_markers_font_css": "vendor/fontawesome/css/all.min.css",
    "awesome_markers_css": "vendor/awesome-markers/leaflet.awesome-markers.css",
    "awesome_rotate_css": "",
    "markerclusterjs": "vendor/markercluster/leaflet.markercluster.js",
    "markerclustercss": "vendor/markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "vendor/leaflet-heat/leaflet_heat.min.js",
    "Control.Fullscreen.js": "vendor/fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "vendor/fullscreen/Control.FullScreen.css",
    "gcj02_crs": "gridmap/gcj02-crs.js",
    # gridmap.esc/table/fill: the browser half of layers.maps.escape (every map loads it).
    "gridmap_escape": "gridmap/escape.js",
}

TIANDITU_ATTRIBUTION = "© 天地图 国家地理信息公共服务平台"


def tianditu_tiles(layer: str) -> str:
    """The URL template ({z}/{x}/{y}) of a Tianditu web-mercator layer: vec (map) or cva (labels)."""
    return (f"http://t0.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
            f"&TILEROW={{y}}&TILECOL={{x}}&tk={settings.GRIDMAP_TIANDITU_KEY}")


AMAP_TILES = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
BASEMAPS = ("none", "osm", "tianditu", "amap")
# Where each basemap's tiles come from: the Content-Security-Policy's img-src allows these
# hosts only for the basemap in use (gridmap.csp). Keep in step with the tile URLs below.
TILE_HOSTS: dict[str, tuple[str, ...]] = {
    "none": (),
    "osm": ("https://tile.openstreetmap.org",),
    "tianditu": ("http://t0.tianditu.gov.cn",),
    "amap": ("https://*.is.autonavi.com",),
}


class UnknownAsset(ValueError):
    """A map element asks for a JS/CSS file that gridmap does not ship."""


def _local(entries: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    local = []
    for name, url in entries:
        if name not in LOCAL_ASSETS:
            msg = f"map asset {name!r} ({url}) is not shipped under static/; add it to LOCAL_ASSETS"
            raise UnknownAsset(msg)
        if LOCAL_ASSETS[name]:
            local.append((name, prefix + LOCAL_ASSETS[name]))
    return local


def localize_assets(root: folium.Map, *, prefix: str | None = None) -> folium.Map:
    """Point every element of ``root`` at the app's own copies of Leaflet and plugins."""
    prefix = prefix if prefix is not None else f"/{settings.STATIC_URL.strip('/')}/"
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
    """Adds a line to Leaflet's attribution control (the OSM/ODbL notice), without Leaflet's
    English "Leaflet" prefix (its BSD licence asks for no notice on the map), and a metric-only
    scale bar (Leaflet's default adds feet and miles)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


STREETS_MIN_ZOOM = 13
"""Below this zoom (about 20 m a pixel) maps draw no street background: a view then spans
tens of kilometres and the streets would be a grey mass of megabytes."""
STREETS_ALL_ZOOM = 14
"""From this zoom every street of the view is drawn; below it only MAJOR_HIGHWAYS. A desktop
view at zoom 13 spans some 23 × 15 km: 28,000 edges and 4.5 MB of GeoJSON in the bench
province's city streets; the major roads are about a third of the demo network's edges."""
MAJOR_HIGHWAYS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                  "secondary", "secondary_link")


def base_map(*, bounds: tuple[float, float, float, float] | None = None, basemap: str | None = None,
             with_streets: bool = True, streets_url: str | None = None, embed_streets: bool = False) -> folium.Map:
    """A Leaflet map with gridmap's basemap setting, the OSM attribution and Chinese UI.

    ``bounds`` is (min_lon, min_lat, max_lon, max_lat) in WGS84 degrees. With the basemap
    ``none`` the imported street network is drawn as a light background (fetched from
    ``streets_url``, the app's /maps/streets.geojson by default); ``embed_streets`` puts
    the streets inside ``bounds`` into the page instead, for files opened without a server.
    """
    basemap = basemap or settings.GRIDMAP_BASEMAP
    if basemap not in BASEMAPS:
        msg = f"GRIDMAP_BASEMAP={basemap!r} 不支持；可选 {', '.join(BASEMAPS)}"
        raise ValueError(msg)
    # Amap tiles are in GCJ-02: the map's CRS shifts the WGS84 data for display only.
    crs = "GCJ02" if basemap == "amap" else "EPSG3857"
    m = folium.Map(location=[30.66, 104.08], zoom_start=14, tiles=None, control_scale=False, prefer_canvas=True,
                   crs=crs)
    m.default_js = [*m.default_js, ("gridmap_escape", "")]
    if basemap == "amap":
        m.default_js = [*m.default_js, ("gcj02_crs", "")]
    # Without a tile layer Leaflet has no zoom range, and clustering needs one.
    m.options.update({"maxZoom": 19, "minZoom": 5})
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap 底图", attr=OSM_ATTRIBUTION).add_to(m)
    elif basemap == "tianditu":
        for layer, label in (("vec", "天地图 矢量"), ("cva", "天地图 注记")):
            folium.TileLayer(tiles=tianditu_tiles(layer), attr=TIANDITU_ATTRIBUTION, name=label,
                             overlay=layer == "cva").add_to(m)
    elif basemap == "amap":
        folium.TileLayer(tiles=AMAP_TILES, subdomains="1234", attr="© 高德地图 AutoNavi", name="高德地图").add_to(m)
    elif embed_streets:
        folium.GeoJson(_streets_in(bounds), name="街道（路网背景）", overlay=False, control=True,
                       style_function=lambda f: {"color": "#c8c4bc", "weight": 1.5, "opacity": 0.9}).add_to(m)
    elif with_streets:
        # The streets in view, fetched again when the view moves; none below STREETS_MIN_ZOOM,
        # major roads only below STREETS_ALL_ZOOM (a province's network is tens of megabytes).
        LazyGeoJson(streets_url or reverse("streets_geojson"), name="街道（路网背景）", interactive=False,
                    style={"color": "#c8c4bc", "weight": 1.5, "opacity": 0.9}, overlay=False, by_bbox=True,
                    min_zoom=STREETS_MIN_ZOOM, with_zoom=True).add_to(m)
    m.get_root().header.add_child(
        Element("<style>.leaflet-container{background:#f4f3ef;font-family:'Noto Sans CJK SC',sans-serif}"
                # A narrow map (a phone, a case's small map): the attribution in small type, the
                # scale bar above it.
                "@media (max-width: 699px){.leaflet-control-attribution{font-size:9px}"
                ".leaflet-bottom.leaflet-left .leaflet-control-scale{margin-bottom:22px}}</style>")
    )
    Attribution(OSM_ATTRIBUTION).add_to(m)
    if bounds:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def _streets_in(bounds) -> dict:
    """The walk network inside ``bounds`` (lon/lat degrees, 200 m margin) as GeoJSON."""
    from django.db import connection

    with connection.cursor() as cur:
        if bounds:
            cur.execute("SELECT ST_AsGeoJSON(geom, 6) FROM facilities_walkedge"
                        " WHERE geom && ST_Expand(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 0.002)", list(bounds))
        else:
            cur.execute("SELECT ST_AsGeoJSON(geom, 6) FROM facilities_walkedge")
        rows = cur.fetchall()
    import json

    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": json.loads(r[0]), "properties": {}} for r in rows]}


# The page around a map: branca's Figure template with a nonce on the map's script, the
# header's <script> tags stamped (they carry no data) and, for files opened without a
# server, an optional <meta> CSP. The body is not stamped: a <script> that data smuggled
# into it would stay without nonce and be blocked by the CSP.
_PAGE = Template(
    "<!DOCTYPE html>\n<html lang=\"zh-Hans\">\n<head>\n{{ csp_meta }}{{ header }}\n</head>\n"
    "<body>\n{{ body }}\n</body>\n<script{{ nonce_attr }}>\n{{ script }}\n</script>\n</html>\n"
)
_SCRIPT_TAG = re.compile(r"<script\b(?![^>]*\snonce=)", re.IGNORECASE)


def render(m: folium.Map, *, nonce: str | None = None, prefix: str | None = None, offline: bool = False) -> str:
    """The map's standalone HTML with local assets, every value escaped (layers.maps.escape).

    ``nonce`` (the request's CSP nonce, ``request.csp_nonce``) goes on every <script> tag of
    the page. ``offline`` is for files written to disk (``render_maps``): they cannot carry
    a CSP header, so a fresh nonce and a <meta> CSP allowing only the nonced scripts are
    written into the file; ``prefix`` is then where the copied assets are (``static/``).
    """
    # str(): django-csp's request.csp_nonce is lazy and falsy until first read.
    nonce = str(nonce) if nonce is not None else None
    secure(m)
    root = localize_assets(m, prefix=prefix).get_root()
    csp_meta = ""
    if offline:
        nonce = nonce or base64.b64encode(os.urandom(16)).decode("ascii")
        csp_meta = (f'<meta http-equiv="Content-Security-Policy" content="script-src \'nonce-{nonce}\'; '
                    "object-src 'none'; base-uri 'none'\">\n")
    # What branca's Figure.render does: children add their parts to header/html/script.
    for child in root._children.values():
        child.render()
    header = root.header.render()
    nonce_attr = ""
    if nonce:
        nonce_attr = f' nonce="{nonce}"'
        header = _SCRIPT_TAG.sub("<script" + nonce_attr, header)
    return _PAGE.render(csp_meta=csp_meta, header=header, body=root.html.render(), script=root.script.render(),
                        nonce_attr=nonce_attr)
