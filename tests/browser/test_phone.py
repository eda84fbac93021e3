"""The grid worker's day on a phone (390×844, touch) against the production server: 今日任务 →
a household → a visit recorded; the map full width with the legend and layers folded; search;
reporting at the current position. Screenshots go to test-output/phone_*.png and the time
from tap to answer of each step is printed."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from layers.people.models import Household, Visit
from tests.browser.conftest import PHONE, phone_context
from tests.factories import make_household, point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
WEST_HOUSE = {"latitude": 30.6551, "longitude": 104.0651}  # next to 西路1号 (tests.fixtures_world)
TIMES: dict[str, float] = {}


class Phone:
    """A logged-in phone: touch, 390×844, Shanghai time, the position granted to the site."""

    def __init__(self, context, server) -> None:
        self.context = context
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.outside.append(r.url)
                     if urlparse(r.url).hostname not in ("127.0.0.1", "localhost", None) else None)
        self.base = server.url

    def open(self, path: str):
        self.page.goto(self.base + path, wait_until="networkidle")
        return self.page

    def timed(self, step: str, action) -> None:
        """Run ``action`` (a tap and the wait for its answer) and keep its duration (s)."""
        t0 = time.perf_counter()
        action()
        TIMES[step] = time.perf_counter() - t0

    def shot(self, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def phone(browser, production_server, client):
    opened = []

    def make(user, geolocation: dict | None = WEST_HOUSE) -> Phone:
        p = Phone(phone_context(browser, production_server, client, user, geolocation=geolocation), production_server)
        opened.append(p)
        return p

    yield make
    for p in opened:
        p.context.close()


@pytest.fixture(scope="module", autouse=True)
def report_times():
    yield
    if TIMES:
        print("\nphone, tap → answer on the production server: "
              + "; ".join(f"{k} {v * 1000:.0f} ms" for k, v in TIMES.items()))


def _small_targets(page, selector: str) -> list[str]:
    """Visible elements under ``selector`` smaller than 44 px in either direction."""
    return page.evaluate("""(sel) => Array.from(document.querySelectorAll(sel))
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim() || e.className, e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 44 || r.height < 44).map(([t, r]) => t + ' ' + r.width + 'x' + r.height)""",
                         selector)


def test_worker_day_today_household_visit(phone, world):
    make_household(point(104.0652, 30.6552), address="西路3号", head_name="孙小红", tags=["低保"])
    p = phone(world.worker_w)
    page = p.open("/my/today/")
    assert page.locator(".tabbar").is_visible()
    assert _small_targets(page, ".tabbar a, #today .btn, #due-households a.row") == []
    due = page.inner_text("#due-households")
    assert "西路1号" in due and "孙**" in due and "孙小红" not in page.content()
    p.shot("phone_today_unsorted")
    # 定位到我: the browser's position sorts by distance (the server answers with the list).
    p.timed("今日任务 定位排序", lambda: (page.locator("#locate-me").tap(),
                                     page.wait_for_url("**/my/today/?*lat=*"), page.wait_for_load_state("networkidle")))
    assert "米" in page.inner_text("#due-households")
    p.shot("phone_today")
    p.timed("打开住户", lambda: (page.locator("#due-households a.row", has_text="西路1号").first.tap(),
                             page.wait_for_url("**/households/*/"), page.wait_for_selector("#visit-form")))
    assert "王**" in page.inner_text("main") and "王小明" not in page.inner_text("main")
    when = page.input_value("#id_visited_at")
    assert when.startswith(f"{timezone.localtime():%Y-%m-%d}")  # 走访时间 defaults to now
    page.fill("#id_note", "手机走访测试")
    p.shot("phone_household")
    p.timed("保存走访", lambda: (page.locator("#visit-form button[type=submit]").tap(),
                             page.wait_for_selector(".messages li")))
    assert "走访记录已保存" in page.inner_text(".messages")
    assert Visit.objects.filter(household=world.hw, note="手机走访测试").count() == 1
    assert Household.objects.get(pk=world.hw.pk).last_visit == timezone.localdate()
    assert f"{timezone.localdate():%Y-%m-%d}" in page.inner_text("dl.kv")
    assert p.errors == [] and p.outside == []


def test_worker_map_full_width_legend_and_layers_folded_locate(phone, world):
    p = phone(world.worker_w)
    page = p.open("/my/")
    page.wait_for_selector("iframe[src*='/my/map.html']")
    frame = next(f for f in page.frames if "/my/map.html" in f.url)
    frame.wait_for_selector(".gm-legend")
    assert [u for u in p.requests if "/maps/streets.geojson?in_bbox=" in u]  # the streets in view only
    box = page.locator("iframe[src*='/my/map.html']").bounding_box()
    assert box["x"] == 0 and box["width"] >= PHONE["viewport"]["width"] - 1 and box["height"] >= 400
    legend = frame.locator(".gm-legend")
    assert "gm-folded" in legend.get_attribute("class") and not frame.locator(".gm-legend-body").is_visible()
    assert frame.locator(".leaflet-control-layers-expanded").count() == 0
    assert frame.locator(".gm-priority").count() >= 1  # 西路1号 (独居老人) at first sight, not in a bubble
    assert _small_targets(frame, ".leaflet-bar a, .gm-locate, .leaflet-control-layers-toggle, .gm-legend-toggle") == []
    p.shot("phone_my_map")
    # An open case is a diamond; a tap opens its card with the link to handle it.
    frame.locator(".gm-incident").first.tap()
    card = frame.locator(".leaflet-popup-content")
    card.wait_for()
    assert "西边纠纷" in card.inner_text() and card.locator("a", has_text="处理").count() == 1
    page.wait_for_timeout(400)  # Leaflet's fades (a closed tooltip leaves after 200 ms)
    assert frame.locator(".leaflet-tooltip").count() == 0, "a tooltip over the case's card"
    p.shot("phone_my_map_case")
    frame.locator(".leaflet-popup-close-button").tap()
    frame.locator(".gm-locate").tap()
    frame.wait_for_selector(".gm-here")
    frame.locator(".gm-legend-toggle").tap()
    assert frame.locator(".gm-legend-body").is_visible() and "重点户" in legend.inner_text()
    p.shot("phone_my_map_legend")
    assert p.errors == [] and p.outside == []


def test_search_on_the_phone_masked(phone, world):
    for address in ("西苑1单元1001", "西苑1单元101"):
        make_household(point(104.061, 30.651), address=address, head_name="周大福", phone="13700001111")
    p = phone(world.worker_w)
    page = p.open("/my/households/")
    page.locator("input[name=q]").fill("西苑")
    p.timed("搜索住户", lambda: (page.locator("form.search button").tap(), page.wait_for_url("**q=*"),
                             page.wait_for_selector("#results")))
    results = page.inner_text("#results")
    assert results.index("西苑1单元101") < results.index("西苑1单元1001")
    assert "周**" in results and "137****1111" in results and "13700001111" not in page.content()
    assert _small_targets(page, "#results a.row, input[name=q], form.search button") == []
    p.shot("phone_search")
    assert p.errors == [] and p.outside == []


def test_report_takes_the_current_position_and_the_pin_drags(phone, world):
    from django.contrib.gis.geos import LineString

    from layers.facilities.models import WalkEdge

    # A street by the worker's grids and one 30 km away: the phone fetches the streets around
    # its grids only (a province's network is tens of megabytes).
    for k, (x, name) in enumerate(((104.064, "西路"), (104.364, "远路"))):
        WalkEdge.objects.create(source=900 + k, target=950 + k, cost=100, reverse_cost=100, length_m=100, name=name,
                                geom=LineString((x, 30.6545), (x + 0.002, 30.6545), srid=4326))
    p = phone(world.worker_w)
    page = p.open("/incidents/new/")
    page.wait_for_function("() => document.getElementById('id_lat').value !== ''")
    page.wait_for_function("() => document.querySelectorAll('#pick path[stroke=\"#c8c4bc\"]').length > 0")
    assert page.locator('#pick path[stroke="#c8c4bc"]').count() == 1  # 西路 drawn, 远路 not fetched
    streets = [u for u in p.requests if "/maps/streets.geojson" in u]
    assert streets and all("?in_bbox=" in u for u in streets), streets
    assert abs(float(page.input_value("#id_lat")) - WEST_HOUSE["latitude"]) < 1e-5
    page.wait_for_function("() => document.getElementById('grid-info').textContent.includes('西网格')")
    pin = page.locator(".gm-pin").bounding_box()
    x, y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] / 2
    before = page.input_value("#id_lon")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 40, y + 10, steps=8)
    page.mouse.up()
    page.wait_for_function(f"() => document.getElementById('id_lon').value !== '{before}'")
    assert float(page.input_value("#id_lon")) < float(before)  # dragged west
    p.shot("phone_report")
    page.select_option("#id_category", label="街面秩序")
    page.fill("#id_description", "手机定位上报")
    p.timed("上报事件", lambda: (page.locator("button[type=submit]:has-text('上报')").tap(),
                             page.wait_for_selector("#status")))
    assert "西网格" in page.inner_text("#grid")
    assert p.errors == [] and p.outside == []
