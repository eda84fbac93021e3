"""Each role's page in a real browser: the map draws its layers from local assets only."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


COUNT_LAYERS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const n = {paths: 0, markers: 0};
  map.eachLayer(l => { if (l instanceof L.Path) n.paths++; else if (l instanceof L.Marker) n.markers++; });
  return n;
}"""


def _layers(frame) -> dict:
    """How many vector shapes and markers the Leaflet map holds (canvas-drawn or not)."""
    frame.wait_for_function("Object.values(window).some(v => v instanceof L.Map)")
    return frame.evaluate(COUNT_LAYERS)


def _map_frame(page, src_part: str):
    page.wait_for_selector(f"iframe[src*='{src_part}']")
    frame = next(f for f in page.frames if src_part in f.url)
    frame.wait_for_selector(".leaflet-container")
    return frame


def test_overview_draws_communities_and_grids_offline(visit, world):
    v = visit(world.admin)
    page = v.open("/")
    frame = _map_frame(page, "/maps/overview.html")
    # Two grids and one community outline are vector shapes; the legend and attribution show.
    assert _layers(frame)["paths"] >= 3
    assert "OpenStreetMap" in frame.locator(".leaflet-control-attribution").inner_text()
    assert "图例" in frame.locator(".gm-legend").inner_text()
    v.screenshot("overview")
    assert v.outside_requests() == []


def test_grid_worker_page_draws_grids_households_and_incidents(visit, world):
    v = visit(world.worker_w)
    page = v.open("/my/")
    assert "我的网格" in page.inner_text("h2")
    frame = _map_frame(page, "/my/map.html")
    v.screenshot("grid_worker")
    assert v.errors == []
    assert _layers(frame)["paths"] >= 1  # the grid
    assert frame.locator(".gm-priority").count() == 1  # 西路1号 (独居老人): a priority household, its own symbol
    assert frame.locator(".gm-incident").count() == 1  # one open incident in the west grid
    layers = frame.locator(".leaflet-control-layers").inner_text()
    assert "我的网格" in layers and "重点户" in layers and "未结事件" in layers
    assert "西路1号" in page.inner_text("#households") and "东路2号" not in page.inner_text("#households")
    v.screenshot("grid_worker")
    assert v.outside_requests() == []


def test_report_incident_by_clicking_the_map(visit, world):
    v = visit(world.worker_w)
    page = v.open("/incidents/new/")
    page.wait_for_selector("#pick .leaflet-interactive", state="attached")
    box = page.locator("#pick").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)  # the grid is centred
    try:
        # A function, not an expression string: Playwright evals strings, which the CSP forbids.
        page.wait_for_function("() => document.getElementById('grid-info').textContent.includes('西网格')",
                               timeout=10000)
    finally:
        v.screenshot("report_incident_click")
    assert v.errors == []
    assert page.input_value("#id_lon") != ""
    page.select_option("#id_category", label="街面秩序")
    page.fill("#id_description", "浏览器测试上报")
    page.click("button[type=submit]:has-text('上报')")
    page.wait_for_selector("#status")
    assert "西网格" in page.inner_text("#grid")
    v.screenshot("report_incident")
    assert v.outside_requests() == []


@pytest.fixture(scope="module")
def amap_server(serve):
    """A second production server with GRIDMAP_BASEMAP=amap (the setting is read at start)."""
    server = serve(GRIDMAP_BASEMAP="amap")
    yield server
    server.stop()


def test_amap_display_crs_matches_the_importers_gcj02(visit, world, amap_server):
    """The browser's GCJ-02 shift (static/gridmap/gcj02-crs.js) agrees with importers.chinese_crs."""
    from importers.chinese_crs import wgs84_to_gcj02

    v = visit(world.admin, server=amap_server)
    page = v.open("/maps/overview.html")
    shifted = page.evaluate("""() => [[104.07, 30.66], [104.12, 30.70], [116.40, 39.90]].map(([lng, lat]) => {
        const p = L.CRS.GCJ02.projection.project(L.latLng(lat, lng));
        const g = L.Projection.SphericalMercator.unproject(p);
        const back = L.CRS.GCJ02.projection.unproject(p);
        return [g.lng, g.lat, back.lng, back.lat]; })""")
    for (lng, lat), (glng, glat, blng, blat) in zip([(104.07, 30.66), (104.12, 30.70), (116.40, 39.90)], shifted,
                                                    strict=True):
        elng, elat = wgs84_to_gcj02(lng, lat)
        assert abs(glng - elng) < 1e-7 and abs(glat - elat) < 1e-7
        assert abs(blng - lng) < 1e-7 and abs(blat - lat) < 1e-7


def _facility_with_circles(world):
    from layers.facilities.models import Facility, FacilityType
    from layers.facilities.walking.refresh import refresh_pending
    from tests.factories import point

    Facility.objects.create(type=FacilityType.objects.get(code="kindergarten"), name="测试幼儿园",
                            geom=point(104.064, 30.654), source="manual")
    refresh_pending()


def test_planner_page_draws_circles_and_coverage(visit, world):
    _facility_with_circles(world)
    v = visit(world.planner)
    page = v.open("/planner/?type=kindergarten")
    assert "幼儿园" in page.inner_text("h2") and "测试社区" in page.inner_text("#coverage")
    frame = _map_frame(page, "/planner/map.html")
    layers = frame.locator(".leaflet-control-layers").inner_text()
    assert "5分钟服务圈" in layers and "网格覆盖率" in layers and "覆盖空白区" in layers
    assert _layers(frame)["paths"] >= 3
    v.screenshot("planner")
    assert v.errors == [] and v.outside_requests() == []


def test_patrol_page_draws_hot_spots(visit, world):
    v = visit(world.patrol)
    page = v.open("/patrol/?days=30")
    frame = _map_frame(page, "/patrol/map.html")
    layers = frame.locator(".leaflet-control-layers").inner_text()
    assert "冷热点（显著性）" in layers
    assert _layers(frame)["paths"] >= 2
    # What a patrol officer reads on the map is Chinese: no "Leaflet | Map data … contributors",
    # no feet on the scale bar (names of the source and its licence stay).
    shown = frame.locator("body").inner_text()
    words = set(re.findall(r"[A-Za-z]{2,}", shown)) - {"OpenStreetMap", "ODbL", "km"}
    assert words == set(), words
    assert "贡献者" in frame.locator(".leaflet-control-attribution").inner_text()
    v.screenshot("patrol")
    assert v.errors == [] and v.outside_requests() == []


def test_roles_cannot_open_each_others_pages(visit, world, client):
    client.force_login(world.worker_w)
    assert client.get("/planner/").status_code == 403 and client.get("/patrol/").status_code == 403
    client.force_login(world.planner)
    assert client.get("/patrol/map.html").status_code == 403 and client.get("/my/").status_code == 403
