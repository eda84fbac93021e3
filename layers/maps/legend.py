"""A map legend drawn as a Leaflet control (Chinese labels), folded behind its title on
phones (a map narrower than 700 px) so that it does not cover the map; a tap unfolds it."""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template

from layers.maps.escape import html


class Legend(MacroElement):
    """``items`` are (colour, label, kind) with kind 'fill', 'line', 'dot' or 'ring', or a swatch
    drawn with a dash pattern: 'line:8 4' (a line) or 'area:8 4' (a lightly filled square
    with that outline; 'area:' a solid outline), so that styles told apart by dashes and not
    only by hue read the same in the legend. Title and labels are text (escaped); the title
    is a button that folds the legend on phones."""

    _template = Template(
        """{% macro header(this, kwargs) %}
        <style>
        .gm-legend{background:#fff;padding:6px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);
                   font:13px/1.6 sans-serif}
        .gm-legend-toggle{display:block;width:100%;min-height:32px;border:0;background:none;padding:0;
                          font:bold 13px sans-serif;text-align:left;cursor:pointer}
        .gm-legend-toggle::after{content:" ▾"} .gm-legend.gm-folded .gm-legend-toggle::after{content:" ▸"}
        .gm-legend.gm-folded .gm-legend-body{display:none}
        .leaflet-touch .gm-legend-toggle{min-height:44px;min-width:44px}
        .gm-legend i{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle}
        .gm-legend i.line{height:0;border-top:3px solid}
        .gm-legend i.dot{border-radius:50%}
        .gm-legend i.ring{border-radius:50%;border:3px solid;background:#fff;box-sizing:border-box}
        .gm-incident{width:10px;height:10px;border:2px solid #fff;transform:rotate(45deg);
                     box-shadow:0 0 2px #000}
        .gm-label{font:bold 13px sans-serif;color:#7f0000;text-shadow:0 0 3px #fff,0 0 3px #fff;
                  white-space:nowrap;text-align:center}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function(){
          var legend = L.control({position: 'bottomright'});
          legend.onAdd = function () {
            var div = L.DomUtil.create('div', 'gm-legend');
            div.innerHTML = {{ this.html|tojson }};
            // Folded on a phone-sized map; the title button folds and unfolds it.
            if (this._map.getSize().x < 700) { L.DomUtil.addClass(div, 'gm-folded'); }
            var button = div.querySelector('.gm-legend-toggle');
            button.setAttribute('aria-expanded', String(!L.DomUtil.hasClass(div, 'gm-folded')));
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.on(button, 'click', function () {
              var folded = div.classList.toggle('gm-folded');
              button.setAttribute('aria-expanded', String(!folded));
            });
            return div;
          };
          legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, title: str, items: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self._name = "Legend"
        # Titles and labels may hold names from the database (a facility type): escaped.
        rows = [_swatch(colour, kind) + html("{}</div>", label) for colour, label, kind in items]
        self.html = str(html('<button type="button" class="gm-legend-toggle">{}</button>', title)
                        + html('<div class="gm-legend-body">{}</div>', html("").join(rows)))


DASH_CHARS = set("0123456789 .")


def _swatch(colour: str, kind: str):
    """The opening of a legend row with its swatch (see Legend for the kinds)."""
    shape, _, dash = kind.partition(":")
    if shape in ("line", "area") and _ and set(dash) <= DASH_CHARS:
        if shape == "line":
            inner = html('<line x1="1" y1="8" x2="27" y2="8" stroke="{}" stroke-width="3" stroke-dasharray="{}"/>',
                         colour, dash)
        else:
            inner = html('<rect x="2" y="2" width="24" height="12" fill="{}" fill-opacity="0.25" stroke="{}"'
                         ' stroke-width="2.5" stroke-dasharray="{}"/>', colour, colour, dash)
        return html('<div><svg width="28" height="16" style="vertical-align:middle;margin-right:6px"'
                    ' aria-hidden="true">{}</svg>', inner)
    return html('<div><i class="{}" style="{}:{}"></i>', shape,
                "border-color" if shape in ("line", "ring") else "background", colour)
