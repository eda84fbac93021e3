"""Map controls for phones: the layer control folded on a narrow map, touch-sized buttons
and "定位到我" (the browser's geolocation; the position stays in the browser).

Both are code only (no data from the database) and run inside the map's nonced script.
"""

from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

# Below this map width (CSS px) the map is on a phone: controls fold away.
NARROW_PX = 700


class PhoneLayout(MacroElement):
    """Folds ``layer_control`` on a map narrower than NARROW_PX (a tap on its icon unfolds it)
    and makes the zoom buttons and the layer icon at least 44 px on touch screens."""

    _template = Template(
        """{% macro header(this, kwargs) %}
        <style>
        .leaflet-touch .leaflet-bar a{width:44px;height:44px;line-height:44px;font-size:22px}
        .leaflet-touch .leaflet-control-layers-toggle{width:44px;height:44px}
        .leaflet-touch .leaflet-control-layers label{min-height:36px;line-height:36px}
        .gm-locate{font:bold 14px sans-serif;background:#fff;border:0;border-radius:4px;padding:0 10px;
                   min-height:44px;min-width:44px;box-shadow:0 1px 4px rgba(0,0,0,.3);cursor:pointer}
        .gm-locate-msg{background:#fff;padding:4px 8px;border-radius:4px;font:13px sans-serif;max-width:220px}
        .gm-here{width:14px;height:14px;border-radius:50%;background:#08519c;border:3px solid #fff;
                 box-shadow:0 0 0 2px #08519c}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }}, control = {{ this.control.get_name() }};
          if (map.getSize().x < {{ this.narrow_px }}) {
            // Leaflet reads `collapsed` when the control is added: re-add it folded.
            control.options.collapsed = true;
            control.remove(); control.addTo(map);
          }
        })();
        {% endmacro %}"""
    )

    def __init__(self, layer_control: folium.LayerControl) -> None:
        super().__init__()
        self._name = "PhoneLayout"
        self.control = layer_control
        self.narrow_px = NARROW_PX


class LocateControl(MacroElement):
    """A "定位到我" button: asks the browser for the position, marks it and centres the map
    there. Messages are Chinese text nodes; nothing is sent to the server."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }}, here = null, ring = null;
          var control = L.control({position: 'topleft'});
          control.onAdd = function () {
            var box = L.DomUtil.create('div', 'gm-locate-box');
            var button = L.DomUtil.create('button', 'gm-locate', box);
            var msg = L.DomUtil.create('div', 'gm-locate-msg', box);
            button.type = 'button'; button.textContent = '定位到我'; msg.style.display = 'none';
            L.DomEvent.disableClickPropagation(box);
            function say(text) { msg.textContent = text; msg.style.display = text ? '' : 'none'; }
            L.DomEvent.on(button, 'click', function () {
              if (!navigator.geolocation) { say('此浏览器不支持定位'); return; }
              say('正在定位…');
              navigator.geolocation.getCurrentPosition(function (p) {
                var ll = L.latLng(p.coords.latitude, p.coords.longitude);
                if (here) { here.setLatLng(ll); ring.setLatLng(ll).setRadius(p.coords.accuracy); } else {
                  ring = L.circle(ll, {radius: p.coords.accuracy, weight: 1, color: '#08519c', fillOpacity: 0.1,
                                       interactive: false}).addTo(map);
                  here = L.marker(ll, {icon: L.divIcon({className: '', html: '<div class="gm-here"></div>',
                                                        iconSize: [20, 20], iconAnchor: [10, 10]}),
                                       title: '我的位置', keyboard: false}).addTo(map);
                }
                map.setView(ll, Math.max(map.getZoom(), 17));
                say('');
                map.fire('gm:located', {latlng: ll});
              }, function (e) {
                say(e.code === 1 ? '未获得定位权限：请在浏览器设置中允许定位' : '定位失败，请稍后再试');
              }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
            });
            return box;
          };
          control.addTo(map);
        })();
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "LocateControl"
