"""The maps' one escaping path (layers/maps/escape.py), without a browser, and the offline
files of render_maps opened in Chromium with hostile names."""

from __future__ import annotations

import re
import time
from io import StringIO

import folium
import pytest
from django.core.management import call_command

from layers.maps.base import base_map, render
from layers.maps.escape import GeoJsonTooltip, Popup, Tooltip, UnsafeMapContent, div_icon, html
from tests.security.hostile import PAYLOADS, store_hostile
from tests.security.test_xss import OPEN_EVERYTHING

SCRIPT_BREAKOUT = PAYLOADS["script_breakout"]


def _map() -> folium.Map:
    return base_map(bounds=(104.06, 30.65, 104.08, 30.66), with_streets=False)


@pytest.mark.django_db
def test_plain_string_tooltip_from_folium_becomes_text_not_a_template_literal():
    m = _map()
    folium.Marker([30.655, 104.07], tooltip=PAYLOADS["template_literal"] + SCRIPT_BREAKOUT).add_to(m)
    page = render(m)
    assert "</script><script>window.__xss=3" not in page
    assert "`" not in page.split("bindTooltip(", 1)[1].split(")", 1)[0]  # no template literal
    assert "\\u0026lt;/script\\u0026gt;" in page  # HTML-escaped, then JSON-escaped


@pytest.mark.django_db
@pytest.mark.parametrize("unsafe", [
    lambda: folium.Popup(SCRIPT_BREAKOUT),
    lambda: folium.GeoJsonPopup(["name"]),
], ids=["folium_popup_with_raw_html", "geojson_popup_with_raw_properties"])
def test_folium_elements_that_paste_raw_html_are_refused(unsafe):
    m = _map()
    marker = folium.Marker([30.655, 104.07])
    marker.add_child(unsafe())
    marker.add_to(m)
    with pytest.raises(UnsafeMapContent):
        render(m)


@pytest.mark.django_db
def test_folium_geojson_tooltip_with_raw_properties_is_refused():
    m = _map()
    feature = {"type": "Feature", "properties": {"name": SCRIPT_BREAKOUT},
               "geometry": {"type": "Point", "coordinates": [104.07, 30.655]}}
    folium.GeoJson({"type": "FeatureCollection", "features": [feature]},
                   tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    with pytest.raises(UnsafeMapContent, match="GeoJsonTooltip"):
        render(m)


@pytest.mark.django_db
def test_div_icon_html_pasted_from_data_is_refused_and_built_html_is_escaped():
    m = _map()
    folium.Marker([30.655, 104.07], icon=folium.DivIcon(html=f"<div>{SCRIPT_BREAKOUT}</div>")).add_to(m)
    with pytest.raises(UnsafeMapContent, match="DivIcon"):
        render(m)
    label = html('<div class="gm-label">{}</div>', PAYLOADS["attribute_breakout_svg"])
    assert str(label) == '<div class="gm-label">&#34;&gt;&lt;svg onload=window.__xss=4&gt;</div>'
    assert div_icon(PAYLOADS["img_onerror"]).options["html"].startswith("&lt;img")


@pytest.mark.django_db
def test_layer_names_in_the_layer_control_are_escaped():
    m = _map()
    folium.FeatureGroup(name=PAYLOADS["img_onerror"]).add_to(m)
    folium.LayerControl().add_to(m)
    page = render(m)
    assert "\\u0026lt;img src=x onerror=" in page and "\\u003cimg" not in page


@pytest.mark.django_db
def test_popup_and_tooltip_content_goes_as_json_strings():
    m = _map()
    marker = folium.Marker([30.655, 104.07], tooltip=Tooltip(html("<b>{}</b>", SCRIPT_BREAKOUT)),
                           popup=Popup(html("{}<br>", PAYLOADS["quote_backslash_mix"])))
    marker.add_to(m)
    folium.GeoJson({"type": "FeatureCollection", "features": []}, tooltip=None).add_to(m)
    GeoJsonTooltip(["name"])  # builds in the browser with textContent (see test_xss)
    page = render(m)
    script = page.rsplit("<script", 1)[1]
    assert "</script>" not in script[: script.rindex("</script>")]  # nothing ends the map's script early
    assert "\\u003cb\\u003e\\u0026lt;/script\\u0026gt;" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_offline_files_of_render_maps_escape_hostile_names_and_carry_a_meta_csp(world, browser, tmp_path):
    """The files of render_maps have no server to send a CSP header: escaped content, a
    <meta> CSP, and a nonce on each script; opened from disk with every payload stored."""
    store_hostile(world, "".join(PAYLOADS[k] for k in ("img_onerror", "template_literal", "attribute_breakout_svg")))
    call_command("render_maps", "--out", str(tmp_path), "--community", world.community.code, stdout=StringIO())
    context = browser.new_context()
    try:
        for name in ("grid_worker.html", "planner.html", "patrol.html"):
            text = (tmp_path / name).read_text(encoding="utf-8")
            nonce = re.search(r"script-src 'nonce-([^']+)'", text).group(1)
            tags = re.findall(r"<script\b[^>]*>", text)
            assert tags and all(f'nonce="{nonce}"' in t for t in tags), name
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto((tmp_path / name).as_uri(), wait_until="load")
            deadline = time.monotonic() + 15
            while not page.evaluate("() => typeof L !== 'undefined' && !!document.querySelector('.leaflet-pane')"):
                assert time.monotonic() < deadline, name
                page.wait_for_timeout(100)
            seen = page.evaluate(OPEN_EVERYTHING)  # every tooltip and popup opened
            assert seen["paths"] >= 1 and any("onerror" in text for text in seen["shown"]), name
            assert page.evaluate("() => window.__xss === undefined"), name
            assert errors == [], (name, errors)
    finally:
        context.close()
