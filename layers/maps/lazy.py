"""Vector layers fetched by the browser instead of embedded in the page.

Large layers (the street background, tens of thousands of households or incidents) would
make the HTML heavy; a LazyGeoJson asks the app's API for them after the page loads, and
with ``by_bbox`` only for the part of the map in view (reloaded when the view moves).
"""

from __future__ import annotations

import json

from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template


class LazyGeoJson(Layer):
    """A GeoJSON layer loaded from ``url`` (same origin, session cookie sent).

    ``style`` is a Leaflet path style; points are drawn as circle markers with it.
    ``tooltip`` maps property names to Chinese labels.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON(null, {
            interactive: {{ this.interactive|tojson }},
            style: function () { return {{ this.style|tojson }}; },
            pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {{ this.style|tojson }}); },
            onEachFeature: function (f, layer) {
                // Text nodes, never an HTML string of the fetched values (static/gridmap/escape.js).
                var fields = {{ this.tooltip.keys()|list|tojson }}, labels = {{ this.tooltip.values()|list|tojson }};
                if (fields.some(function (k) { return f.properties[k] !== undefined && f.properties[k] !== null; })) {
                    layer.bindTooltip(function () { return gridmap.table(f.properties, fields, labels, true, true); });
                }
            }
        });
        (function () {
            var map = {{ this._parent.get_name() }}, layer = {{ this.get_name() }};
            function load() {
                var url = {{ this.url|tojson }};
                {%- if this.min_zoom %}
                if (map.getZoom() < {{ this.min_zoom }}) { layer.clearLayers(); return; }
                {%- endif %}
                {%- if this.by_bbox %}
                url += (url.indexOf('?') < 0 ? '?' : '&') + 'in_bbox=' + map.getBounds().toBBoxString();
                {%- endif %}
                {%- if this.with_zoom %}
                url += (url.indexOf('?') < 0 ? '?' : '&') + 'zoom=' + Math.floor(map.getZoom());
                {%- endif %}
                // Offline, or signed out meanwhile (a redirect to the login page): the layer
                // keeps what it shows rather than failing on a page that is not GeoJSON.
                fetch(url, {credentials: 'same-origin'})
                    .then(function (r) { return r.ok && !r.redirected ? r.json() : null; })
                    .then(function (data) { if (data) { layer.clearLayers(); layer.addData(data); } })
                    .catch(function () {});
            }
            {%- if this.by_bbox or this.with_zoom %}
            map.on('moveend', load);
            {%- endif %}
            load();
        })();
        {%- if this.show %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- endif %}
        {% endmacro %}"""
    )

    def __init__(self, url: str, *, name: str, style: dict, tooltip: dict[str, str] | None = None,
                 by_bbox: bool = False, interactive: bool = True, show: bool = True, overlay: bool = True,
                 min_zoom: int | None = None, with_zoom: bool = False) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "LazyGeoJson"
        self.url = url
        self.style = style
        self.tooltip = tooltip or {}
        self.by_bbox = by_bbox
        self.interactive = interactive
        # Below this zoom the layer stays empty (too many features to be useful or fast).
        self.min_zoom = min_zoom
        # The map's zoom sent as ?zoom= (the server may then send less detail).
        self.with_zoom = with_zoom

    def __repr__(self) -> str:
        return f"LazyGeoJson({json.dumps(self.url)})"


def point_feature(lon: float, lat: float, properties: dict) -> dict:
    """A GeoJSON point Feature for :class:`ClusteredPoints`, WGS84 degrees rounded to 6 decimals
    (about 0.1 m: finer only makes the page heavier)."""
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": properties}


class ClusteredPoints(JSCSSMixin, Layer):
    """Many points embedded once as compact GeoJSON and clustered in the browser.

    One element for the whole layer (not one folium marker per point): the page carries
    only the properties, and the popup (if any) is built from ``popup_template`` in the browser,
    where ``{key}`` is replaced by the HTML-escaped property (``gridmap.fill`` of
    static/gridmap/escape.js); the template itself is the app's markup, never data. Each point is a circle
    marker of ``radius``/``colour``, or of ``radius_key``/``colour_key`` properties.
    """

    default_js = [("markerclusterjs", "")]
    default_css = [("markerclustercss", ""), ("markerclusterdefaultcss", "")]
    _template = Template(
        """{% macro header(this, kwargs) %}
        <style>
        /* Cluster bubbles in grey: the plugin's green/yellow/orange would read as incident statuses. */
        .gm-cluster{background:rgba(115,115,115,.35);border-radius:50%}
        .gm-cluster div{width:30px;height:30px;margin:5px;border-radius:50%;background:rgba(82,82,82,.85);
                        color:#fff;font:bold 12px/30px sans-serif;text-align:center}
        .gm-priority{border-radius:50%;background:#fff;border:4px solid #1b7837;box-sizing:border-box;
                     box-shadow:0 0 0 1px #fff,0 0 3px #000}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {%- if this.clustered %}
        var {{ this.get_name() }} = L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 40,
            iconCreateFunction: function (c) {
                // A number only (the count), no data: built as text.
                var outer = document.createElement('div'), inner = document.createElement('div');
                inner.textContent = String(c.getChildCount()); outer.appendChild(inner);
                return L.divIcon({html: outer.innerHTML, className: 'gm-cluster', iconSize: L.point(40, 40)});
            }});
        {%- else %}
        var {{ this.get_name() }} = L.featureGroup();
        {%- endif %}
        (function () {
            var tpl = {{ this.popup_template|tojson }};
            L.geoJSON({{ this.data|tojson }}, {
                pointToLayer: function (f, latlng) {
                    var p = f.properties;
                    {%- if this.shape_class %}
                    // A shape drawn in CSS, coloured from the point's own colour (built as an
                    // element: the colour is a style, never markup).
                    var shape = document.createElement('div');
                    shape.className = {{ this.shape_class|tojson }};
                    shape.style.background = p.colour || {{ this.colour|tojson }};
                    return L.marker(latlng, {icon: L.divIcon({html: shape.outerHTML, className: '',
                        iconSize: [14, 14], iconAnchor: [7, 7], popupAnchor: [0, -7]}), keyboard: false});
                    {%- elif this.icon_class %}
                    return L.marker(latlng, {icon: L.divIcon({className: {{ this.icon_class|tojson }},
                        iconSize: [18, 18], iconAnchor: [9, 9], popupAnchor: [0, -9]}), keyboard: false});
                    {%- else %}
                    return L.circleMarker(latlng, {radius: p.radius || {{ this.radius }}, weight: 1,
                        color: p.colour || {{ this.colour|tojson }}, fillOpacity: 0.8});
                    {%- endif %}
                },
                onEachFeature: function (f, layer) {
                    {%- if this.popup_template %}
                    layer.bindPopup(function () { return gridmap.fill(tpl, f.properties); },
                                    {maxWidth: {{ this.popup_width }}});
                    {%- endif %}
                    {%- if this.tooltip_template %}
                    layer.bindTooltip(gridmap.fill({{ this.tooltip_template|tojson }}, f.properties));
                    // A tap opens both on a phone: the card says all the tooltip does.
                    // (The tap opens the tooltip after the card: closed once it has opened.)
                    var quiet = function () { setTimeout(function () { if (layer.isPopupOpen()) { layer.closeTooltip(); } }, 0); };
                    layer.on('popupopen', quiet);
                    layer.on('tooltipopen', quiet);
                    {%- endif %}
                }
            }).eachLayer(function (l) { {{ this.get_name() }}.addLayer(l); });
        })();
        {%- if this.show %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- endif %}
        {% endmacro %}"""
    )

    def __init__(self, features: list[dict], *, name: str, popup_template: str = "", radius: int = 3,
                 colour: str = "#2b8cbe", show: bool = True, clustered: bool = True,
                 icon_class: str | None = None, shape_class: str | None = None,
                 tooltip_template: str = "", popup_width: int = 300) -> None:
        """``clustered=False`` draws every point (a layer that must be seen at first sight);
        ``icon_class`` draws each point as a CSS-styled marker of that class instead of a circle,
        ``shape_class`` as a 14-pixel shape of that class filled with the point's ``colour``
        property. ``tooltip_template`` (filled as the popup's) adds a tooltip; ``popup_width``
        is the popup's largest width in pixels."""
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "ClusteredPoints"
        self.data = {"type": "FeatureCollection", "features": features}
        self.popup_template = popup_template
        self.tooltip_template = tooltip_template
        self.popup_width = int(popup_width)
        self.shape_class = shape_class
        self.radius = radius
        self.colour = colour
        self.clustered = clustered
        self.icon_class = icon_class
