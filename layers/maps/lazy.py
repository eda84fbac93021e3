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
                fetch(url, {credentials: 'same-origin'})
                    .then(function (r) { return r.json(); })
                    .then(function (data) { layer.clearLayers(); layer.addData(data); });
            }
            {%- if this.by_bbox %}
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
                 min_zoom: int | None = None) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "LazyGeoJson"
        self.url = url
        self.style = style
        self.tooltip = tooltip or {}
        self.by_bbox = by_bbox
        self.interactive = interactive
        # Below this zoom the layer stays empty (too many features to be useful or fast).
        self.min_zoom = min_zoom

    def __repr__(self) -> str:
        return f"LazyGeoJson({json.dumps(self.url)})"


class ClusteredPoints(JSCSSMixin, Layer):
    """Many points embedded once as compact GeoJSON and clustered in the browser.

    One element for the whole layer (not one folium marker per point): the page carries
    only the properties, and the popup is built from ``popup_template`` in the browser,
    where ``{key}`` is replaced by the HTML-escaped property (``gridmap.fill`` of
    static/gridmap/escape.js); the template itself is the app's markup, never data. Each point is a circle
    marker of ``radius``/``colour``, or of ``radius_key``/``colour_key`` properties.
    """

    default_js = [("markerclusterjs", "")]
    default_css = [("markerclustercss", ""), ("markerclusterdefaultcss", "")]
    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 40});
        (function () {
            var tpl = {{ this.popup_template|tojson }};
            L.geoJSON({{ this.data|tojson }}, {
                pointToLayer: function (f, latlng) {
                    var p = f.properties;
                    return L.circleMarker(latlng, {radius: p.radius || {{ this.radius }}, weight: 1,
                        color: p.colour || {{ this.colour|tojson }}, fillOpacity: 0.8});
                },
                onEachFeature: function (f, layer) {
                    layer.bindPopup(function () { return gridmap.fill(tpl, f.properties); });
                }
            }).eachLayer(function (l) { {{ this.get_name() }}.addLayer(l); });
        })();
        {%- if this.show %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- endif %}
        {% endmacro %}"""
    )

    def __init__(self, features: list[dict], *, name: str, popup_template: str, radius: int = 3,
                 colour: str = "#2b8cbe", show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "ClusteredPoints"
        self.data = {"type": "FeatureCollection", "features": features}
        self.popup_template = popup_template
        self.radius = radius
        self.colour = colour
