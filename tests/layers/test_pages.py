"""The first page shows the district on a Folium map that needs no internet."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import make_household, point, two_grids

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_and_frames_the_overview_map(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html and "/maps/overview.html" in html
    assert "OpenStreetMap" in html


def test_overview_map_draws_communities_and_grids_with_local_assets(client):
    community, west, east = two_grids()
    make_household(point(104.065, 30.655))
    html = client.get("/maps/overview.html").content.decode()
    def shows(text: str) -> bool:  # folium writes GeoJSON with \\u escapes
        return text in html or json.dumps(text)[1:-1] in html

    assert shows(community.name) and west.code in html and east.code in html
    assert all(shows(label) for label in ("社区边界", "网格", "户数", "图例"))
    assert "OpenStreetMap" in html and "ODbL" in html
    # No asset from outside the app: every script and stylesheet is under /static/.
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets


def test_vendor_assets_are_served(client):
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
                 "/static/vendor/ol/ol.js"):
        response = client.get(path)
        assert response.status_code == 200, path


def test_admin_uses_the_offline_map_widget(admin_client):
    community, west, _ = two_grids()
    html = admin_client.get(f"/admin/layers/grid/{west.pk}/change/").content.decode()
    # ol.js under its hashed static name (collectstatic's manifest).
    assert re.search(r"/static/vendor/ol/ol(\.[0-9a-f]{12})?\.js", html) and "cdn.jsdelivr" not in html


def test_neighbouring_grids_get_different_colours():
    from layers.maps.overview import neighbour_colours
    from tests.factories import box

    # A row of three touching squares and one apart: neighbours differ, the loner reuses colour 0.
    geoms = [box(104.0 + 0.01 * i, 30.6, 104.01 + 0.01 * i, 30.61) for i in range(3)] + [box(105, 31, 105.01, 31.01)]
    colours = neighbour_colours([g.buffer(0.000001) for g in geoms], 12)
    assert colours[0] != colours[1] and colours[1] != colours[2]
    assert colours[3] == 0
