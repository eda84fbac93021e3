"""The basemap setting: none (street background from the imported network), OSM,
Tianditu, or Amap with the data shifted to GCJ-02 for display only."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString

from layers.facilities.models import WalkEdge
from layers.maps.base import base_map, render

pytestmark = pytest.mark.django_db


def test_none_draws_streets_from_the_network_and_loads_no_tiles(admin_client):
    client = admin_client
    html = render(base_map(basemap="none"))
    assert "/maps/streets.geojson" in html and "tileLayer" not in html
    WalkEdge.objects.create(source=1, target=2, cost=100, reverse_cost=100, length_m=100, name="红星路",
                            geom=LineString((104.07, 30.65), (104.071, 30.65), srid=4326))
    response = client.get("/maps/streets.geojson")
    data = response.json()
    assert response["Content-Type"] == "application/geo+json"
    assert data["features"][0]["properties"]["name"] == "红星路"
    assert data["features"][0]["geometry"]["coordinates"] == [[104.07, 30.65], [104.071, 30.65]]
    # Unchanged network: the browser's copy is still good.
    again = client.get("/maps/streets.geojson", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_osm_and_tianditu_tiles(settings):
    assert "tile.openstreetmap.org" in render(base_map(basemap="osm"))
    settings.GRIDMAP_TIANDITU_KEY = "abc123"
    html = render(base_map(basemap="tianditu"))
    assert "tianditu.gov.cn/vec_w/wmts" in html and "tk=abc123" in html and "cva_w" in html


def test_amap_shifts_the_display_crs_not_the_data():
    html = render(base_map(basemap="amap"))
    assert "autonavi.com" in html
    assert "crs: L.CRS.GCJ02" in html and "/static/gridmap/gcj02-crs.js" in html
    # The CRS script is loaded before the map is created.
    assert html.index("gcj02-crs.js") < html.index("L.map(")


def test_unknown_basemap_is_refused():
    with pytest.raises(ValueError, match="GRIDMAP_BASEMAP='bing'"):
        base_map(basemap="bing")


def _editor_options(client, grid) -> dict:
    """The admin geometry editor's options (the JSON that static/gridmap/olwidget.js reads)."""
    import json
    import re

    html = client.get(f"/admin/grids/grid/{grid.pk}/change/").content.decode()
    return json.loads(re.search(r'<script id="id_geom_options" type="application/json">(.*?)</script>', html,
                                re.S).group(1)), html


@pytest.mark.parametrize(("basemap", "editor"), [("none", "none"), ("osm", "osm"), ("tianditu", "tianditu"),
                                                 ("amap", "none")])
def test_admin_editor_follows_the_basemap_setting(admin_client, settings, basemap, editor):
    """The editor draws the street background (none, and amap: its GCJ-02 tiles would put the
    edited shape ~500 m off), or OSM / Tianditu tiles when configured."""
    from tests.factories import two_grids

    settings.GRIDMAP_BASEMAP, settings.GRIDMAP_TIANDITU_KEY = basemap, "abc123"
    _community, west, _east = two_grids()
    options, html = _editor_options(admin_client, west)
    assert options["basemap"] == editor
    assert options["streets_url"] == "/maps/streets.geojson"
    if editor == "tianditu":
        assert [t["url"].split("/")[3] for t in options["tiles"]] == ["vec_w", "cva_w"]
        assert all("tk=abc123" in t["url"] and "{z}" in t["url"] for t in options["tiles"])
    else:
        assert options["tiles"] == []
    assert ("GCJ-02" in html) == (basemap == "amap")
