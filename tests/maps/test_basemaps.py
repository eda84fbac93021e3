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
