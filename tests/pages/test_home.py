"""The first page shows the district on a Folium map that needs no internet."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import make_household, point, two_grids

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_and_frames_the_overview_map(admin_client):
    client = admin_client
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html and "/maps/overview.html" in html
    assert "OpenStreetMap" in html


def test_overview_map_draws_communities_and_grids_with_local_assets(admin_client):
    client = admin_client
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
    html = admin_client.get(f"/admin/grids/grid/{west.pk}/change/").content.decode()
    # Served from the app (hashed by the manifest storage), never from a CDN.
    assert re.search(r"/static/vendor/ol/ol(\.[0-9a-f]{12})?\.js", html) and "cdn.jsdelivr" not in html


def test_neighbouring_grids_get_different_colours():
    from layers.maps.overview import neighbour_colours
    from tests.factories import box

    # A row of three touching squares and one apart: neighbours differ, the loner reuses colour 0.
    geoms = [box(104.0 + 0.01 * i, 30.6, 104.01 + 0.01 * i, 30.61) for i in range(3)] + [box(105, 31, 105.01, 31.01)]
    colours = neighbour_colours([g.buffer(0.000001) for g in geoms], 12)
    assert colours[0] != colours[1] and colours[1] != colours[2]
    assert colours[3] == 0


def test_neighbour_colours_match_comparing_every_pair():
    """The STRtree finds the same neighbours as comparing every pair: a lattice of touching
    squares with gaps gets the colours of the pairwise greedy rule."""
    from layers.maps.overview import neighbour_colours
    from tests.factories import box

    geoms = [box(104.0 + 0.01 * i, 30.6 + 0.01 * j, 104.01 + 0.01 * i, 30.61 + 0.01 * j).buffer(0.000001)
             for i in range(12) for j in range(9) if (i * 7 + j * 3) % 5]  # some squares left out
    reference: list[int] = []
    for i, g in enumerate(geoms):
        taken = {reference[j] for j in range(i) if g.intersects(geoms[j])}
        reference.append(next(c for c in range(12) if c not in taken))
    assert neighbour_colours(geoms, 12) == reference
    assert len(set(reference)) > 2


def test_a_province_overview_outlines_its_districts_and_a_district_shows_its_grids(admin_client, settings):
    """Above GRIDMAP_OVERVIEW_MAX_GRIDS grids the first page's map of every district outlines the
    districts (a province's 25,000 grids would be a page of tens of megabytes); choosing a
    district shows its grids as before."""
    community, west, east = two_grids()
    settings.GRIDMAP_OVERVIEW_MAX_GRIDS = 1
    html = admin_client.get("/maps/overview.html").content.decode()

    def shows(text: str) -> bool:  # folium writes GeoJSON with \\u escapes
        return text in html or json.dumps(text)[1:-1] in html

    assert shows("锦江区") and shows("请在「区」中选择一个区查看其网格")
    assert west.code not in html and east.code not in html and not shows(community.name)
    one = admin_client.get("/maps/overview.html?district=510104").content.decode()
    assert west.code in one and east.code in one


def test_district_outlines_are_simplified_in_metres_in_the_districts_crs():
    """A bump of 10 m on a district's edge is smoothed away on the province overview, one of
    40 m stays: the tolerance (OUTLINE_TOLERANCE_M, 20 m) is in the district's metric CRS."""
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from layers.grids.models import District
    from layers.maps.overview import _outline

    def with_bump(metres: float) -> District:
        north = 30.7 + metres / 111_000  # degrees of latitude for that many metres
        ring = ((104.0, 30.6), (104.2, 30.6), (104.2, 30.7), (104.1, north), (104.0, 30.7), (104.0, 30.6))
        return District(code="510104", name="锦江区", metric_srid=4544, geom=MultiPolygon(Polygon(ring), srid=4326))

    def vertices(geometry: dict) -> int:
        return sum(len(ring) for polygon in geometry["coordinates"] for ring in polygon) if (
            geometry["type"] == "MultiPolygon") else sum(len(ring) for ring in geometry["coordinates"])

    assert vertices(_outline(with_bump(10))) == 5 and vertices(_outline(with_bump(40))) == 6
