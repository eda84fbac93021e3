"""The one escaping path of the maps: every value from the database reaches a popup, a
tooltip, a label, a legend or a script through this module.

Two rules, each enforced in one place:

* **Into HTML** (Leaflet's tooltips, popups, DivIcon labels, legends and layer-control
  names all end in ``innerHTML``): values are HTML-escaped with MarkupSafe. A fragment with
  markup of the app's own is built with :func:`html` (trusted template, escaped arguments)
  and carried as ``Markup``; any plain ``str`` is text and gets escaped.
* **Into the page's script**: strings are written as JSON string literals with ``<``, ``>``,
  ``&`` and ``'`` as ``\\u003c``… (Jinja's ``tojson``), never inside JavaScript template
  literals (folium's own Tooltip/Popup paste text between backticks, where ``${…}`` runs
  and ``</script>`` ends the script). GeoJSON properties stay raw data in the page and are
  turned into text in the browser by ``static/gridmap/escape.js`` (``textContent``).

:func:`secure` walks a map before it is rendered (``layers.maps.base.render``): folium
tooltips made from plain strings are swapped for :class:`Tooltip` (text), layer names are
escaped, and folium's unescaped popup/tooltip elements or a DivIcon whose HTML was not built
here are refused (:class:`UnsafeMapContent`), so a new layer cannot bypass the path.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Element
from folium.template import Template
from markupsafe import Markup, escape

__all__ = ["GeoJsonTooltip", "Markup", "Popup", "Tooltip", "UnsafeMapContent", "div_icon", "html", "secure",
           "text"]


class UnsafeMapContent(ValueError):
    """A map element would put unescaped text into the page."""


def text(value: Any) -> Markup:
    """``value`` as HTML text (``<`` → ``&lt;`` …); ``Markup`` passes unchanged."""
    return escape("" if value is None else value)


def html(template: str, *args: Any, **kwargs: Any) -> Markup:
    """An HTML fragment: ``template`` is the app's own markup (never data), every argument
    is escaped, e.g. ``html('<b>{}</b> {}', name, address)``."""
    # The one place a string becomes Markup unescaped: templates are code, arguments data.
    return Markup(template).format(*args, **kwargs)  # noqa: S704


class Tooltip(folium.Tooltip):
    """A tooltip whose content is passed to Leaflet as a JSON string (not a template
    literal). Plain ``str`` content is text; ``Markup`` (from :func:`html`) is kept."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindTooltip({{ this.html|tojson }}, {{ this.options|tojavascript }});
        {% endmacro %}"""
    )

    def __init__(self, content: Any, sticky: bool = True, **kwargs: Any) -> None:
        super().__init__("", sticky=sticky, **kwargs)
        self.html = str(text(content))
        self.text = self.html


class Popup(folium.Popup):
    """A popup set from a JSON string (folium's parses a template literal with jQuery).
    ``max_width`` in pixels."""

    _template = Template(
        """
        var {{ this.get_name() }} = L.popup({{ this.options|tojavascript }}).setContent({{ this.content|tojson }});
        {{ this._parent.get_name() }}.bindPopup({{ this.get_name() }});
        """
    )

    def __init__(self, content: Any, max_width: int | str = 300, **kwargs: Any) -> None:
        super().__init__(None, max_width=max_width, **kwargs)
        self.content = str(text(content))


class GeoJsonTooltip(folium.GeoJsonTooltip):
    """folium's GeoJsonTooltip (``fields`` of each feature with ``aliases``), built in the
    browser as a table of text nodes instead of an HTML string of raw property values."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindTooltip(function (layer) {
            return gridmap.table(layer.feature.properties, {{ this.fields|tojson }}, {{ this.aliases|tojson }},
                                 {{ this.labels|tojson }}, false);
        }, {{ this.tooltip_options|tojavascript }});
        {% endmacro %}"""
    )


def div_icon(content: Any, **kwargs: Any) -> folium.DivIcon:
    """A DivIcon (a label or a shape drawn in CSS) whose HTML is ``content``: ``Markup``
    from :func:`html`, or plain text that gets escaped. Sizes in pixels as folium's."""
    return folium.DivIcon(html=text(content), **kwargs)


# folium elements that would paste their content unescaped, and what to use instead.
_REFUSED: tuple[tuple[type, str], ...] = (
    (folium.Popup, "layers.maps.escape.Popup"),
    (folium.GeoJsonTooltip, "layers.maps.escape.GeoJsonTooltip"),
    (folium.GeoJsonPopup, "layers.maps.escape.Popup or a tooltip"),
)


def secure(root: Element) -> Element:
    """Make every element under ``root`` go through the escaping path (see module doc)."""
    stack: list[Element] = [root]
    while stack:
        element = stack.pop()
        children: dict[str, Element] = getattr(element, "_children", {})
        for key, child in list(children.items()):
            if type(child) is folium.Tooltip:
                # folium's tooltip from a plain string (Marker(tooltip="…")): the string is text.
                safe = Tooltip(child.text, **child.options)
                safe._parent = element
                children[key] = safe
                continue
            for unsafe, instead in _REFUSED:
                if isinstance(child, unsafe) and not isinstance(child, (Popup, GeoJsonTooltip)):
                    msg = f"{type(child).__name__} writes unescaped HTML into the map; use {instead}"
                    raise UnsafeMapContent(msg)
            stack.append(child)
        if isinstance(element, folium.DivIcon) and not isinstance(element.options.get("html", Markup()), Markup):
            msg = "DivIcon html must be built with layers.maps.escape.div_icon/html (values escaped)"
            raise UnsafeMapContent(msg)
        # Leaflet's layer control writes names with innerHTML: a name is text.
        if isinstance(getattr(element, "layer_name", None), str):
            element.layer_name = text(element.layer_name)
    return root
