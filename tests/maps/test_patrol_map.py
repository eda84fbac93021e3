"""The patrol map renders every layer with local assets only; tests read the HTML."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from jinja2.utils import htmlsafe_json_dumps

from layers.grids.models import Grid
from layers.maps.base import OSM_ATTRIBUTION, render
from layers.maps.patrol import patrol_map
from layers.patrols import hotspots as hs
from layers.patrols import route as pr
from layers.patrols.counts import IncidentFilter, incident_points
from tests.patrols._hotspot_data import add_incidents, lattice, local, street_lattice

pytestmark = pytest.mark.django_db

WINDOW = IncidentFilter(since=local(2026, 1, 1, 0), until=local(2026, 3, 26, 0))
BLOCK = [(3, 3), (4, 3), (3, 4), (4, 4)]


def js(text: str) -> str:
    """How a Python string appears inside the page's JavaScript (Jinja's tojson escapes
    non-ASCII and <, >, &, ')."""
    return str(htmlsafe_json_dumps(text))[1:-1]


def contains(page: str, text: str) -> bool:
    return text in page or js(text) in page or json.dumps(text)[1:-1] in page


@pytest.fixture
def page() -> str:
    lat = lattice(side=8)
    Grid.objects.filter(pk=lat.grids[(0, 0)].pk).update(name="<b>坏名字</b>")
    until = WINDOW.until
    for week in range(12):
        when = until - dt.timedelta(weeks=12 - week) + dt.timedelta(days=2)
        add_incidents([(c, r) for c in range(8) for r in range(8) if (c + r + week) % 5 == 0], when)
        add_incidents(BLOCK, when.replace(hour=22), n=4 if week < 11 else 1)
        if week == 11:
            add_incidents([(0, 6), (1, 6), (0, 7), (1, 7)], when.replace(hour=23), n=6)
    street_lattice(side=8)
    result = hs.hotspots(WINDOW, seed=0)
    m = patrol_map(
        hotspots=result,
        density=hs.density_surface(WINDOW),
        emerging=hs.emerging(WINDOW, n_bins=12, seed=0),
        plan=pr.plan_patrol(result, top_n=4),
        incidents=incident_points(WINDOW.replace(since=until - dt.timedelta(days=7))),
        streets=pr.street_lines(tuple(result.cells.to_crs(4326).total_bounds)),
    )
    return render(m)


def test_assets_are_local_and_osm_is_credited(page):
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith(("/static/vendor/", "/static/gridmap/")) for s in sources)
    assert "/static/vendor/leaflet/leaflet.js" in sources
    assert "leaflet-heat" not in page  # the heat surface is an image, not the HeatMap plugin
    assert contains(page, OSM_ATTRIBUTION)


def test_every_layer_is_in_the_layer_control(page):
    assert "L.control.layers" in page
    for name in ["冷热点（显著性）", "近期事件", "街道 (步行路网)"]:
        assert contains(page, name), name
    assert re.search(re.escape(js("事件核密度 (带宽 ")) + r"\d+ m\)", page)
    assert re.search(re.escape(js("巡逻路线 (")) + r"[\d.]+ km, \d+ " + re.escape(js("分钟)")), page)
    assert re.search(re.escape(js("时空热点模式 (周, 12 期)")), page)


def test_heat_surface_hot_spot_legend_and_emerging_labels(page):
    assert "data:image/png;base64," in page  # the KDE surface as an image overlay
    for label in ["热点 99%", "热点 95%", "热点 90%", "不显著", "冷点 90%", "冷点 95%", "冷点 99%"]:
        assert contains(page, label), label
    assert contains(page, "热点显著性（置信度）") and contains(page, "事件核密度 (起/km²)")
    assert contains(page, "新热点")  # the corner cluster of the final week
    assert contains(page, "时空模式")


def test_route_with_numbered_stops_and_summary(page):
    for number in ["1", "2", "3", "4"]:
        assert contains(page, f'<div class="gm-stop">{number}</div>'), number
    assert "L.polyline" in page
    assert re.search(re.escape(js("路线 ")) + r"[\d.]+ km " + re.escape(js("· 步行约 ")), page)
    assert "@media print" in page
    assert "circle_marker" in page or "L.circleMarker" in page


def test_text_from_the_database_is_escaped(page):
    # Never as markup in the page; HTML-escaped where the server builds the HTML (route
    # stops, info box); as JSON data (\u003c…) in GeoJSON, made text in the browser.
    assert "<b>坏名字</b>" not in page
    assert js("<b>坏名字</b>") in page and "\\u003cb\\u003e" in js("<b>坏名字</b>")
    assert "gridmap.table(" in page


def test_partial_maps_and_bad_arguments():
    lattice(side=3)
    add_incidents([(1, 1), (2, 2)], local(2026, 3, 1, 22), n=3)
    page = render(patrol_map(incidents=incident_points(WINDOW), title="仅事件"))
    assert contains(page, "仅事件") and "L.circleMarker" in page and "data:image/png" not in page
    with pytest.raises(ValueError, match="density needs hotspots"):
        patrol_map(density=hs.density_surface(WINDOW))
