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


def test_maps_ask_for_the_streets_in_view_only(client, django_user_model):
    """A province's walk network is tens of megabytes: every map asks for the streets crossing
    its view (?in_bbox=), and a bad box is a 400 naming the parameter."""
    client.force_login(django_user_model.objects.create_user("w_streets"))
    html = render(base_map(basemap="none"))
    assert "'in_bbox=' + map.getBounds().toBBoxString()" in html and "map.getZoom() < 13" in html
    assert "'zoom=' + Math.floor(map.getZoom())" in html
    for k, x in enumerate((104.07, 104.30)):
        WalkEdge.objects.create(source=10 + k, target=20 + k, cost=100, reverse_cost=100, length_m=100,
                                name=f"路{k}", geom=LineString((x, 30.65), (x + 0.001, 30.65), srid=4326))
    WalkEdge.objects.create(source=30, target=31, cost=100, reverse_cost=100, length_m=100, name="干道",
                            highway="primary", geom=LineString((104.07, 30.651), (104.071, 30.651), srid=4326))

    def names(query: str) -> list[str]:
        return sorted(f["properties"]["name"] for f in client.get("/maps/streets.geojson?" + query).json()["features"])

    box = "in_bbox=104.06,30.64,104.08,30.66"
    # Close in every street of the view; further out the major roads only; far out none.
    assert names(box + "&zoom=14") == names(box) == ["干道", "路0"]
    assert names(box + "&zoom=13") == ["干道"] and names(box + "&zoom=12") == []
    WalkEdge.objects.filter(name="干道").delete()
    near = client.get("/maps/streets.geojson?in_bbox=104.06,30.64,104.08,30.66")
    assert [f["properties"]["name"] for f in near.json()["features"]] == ["路0"]
    everything = client.get("/maps/streets.geojson")
    assert sorted(f["properties"]["name"] for f in everything.json()["features"]) == ["路0", "路1"]
    assert near["ETag"] != everything["ETag"]  # each box is its own copy in the browser
    for box in ("104.08,30.64,104.06,30.66", "1,2,3", "a,b,c,d", "0,0,200,10"):
        bad = client.get("/maps/streets.geojson", {"in_bbox": box})
        assert bad.status_code == 400 and "in_bbox" in bad.content.decode(), box
    for zoom in ("-1", "23", "13.5", "x"):
        bad = client.get("/maps/streets.geojson", {"zoom": zoom})
        assert bad.status_code == 400 and "zoom" in bad.content.decode(), zoom
    # A street edited: the browser's copy of the box is stale.
    WalkEdge.objects.filter(name="路0").update(name="路零")
    fresh = client.get("/maps/streets.geojson?in_bbox=104.06,30.64,104.08,30.66", HTTP_IF_NONE_MATCH=near["ETag"])
    assert fresh.status_code == 200 and fresh.json()["features"][0]["properties"]["name"] == "路零"


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
