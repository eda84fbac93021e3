"""The planner map: facilities with their circles, coverage per grid, gaps and suggested sites,
rendered offline; straight-line fallback circles labelled as such."""

from __future__ import annotations

import json
import re

import pytest

from layers.facilities.models import FacilityType
from layers.facilities.walking.refresh import refresh_pending
from layers.facilities.walking.sites import suggest
from layers.maps.base import render
from layers.maps.planner import SHARE_CLASSES, circle_style, planner_map, share_colour
from tests.facilities.walk_fixtures import add_facility, add_household, build_network, lonlat
from tests.factories import box, make_community, make_grid

pytestmark = pytest.mark.django_db

NODES = {f"n{x}": (x, 0) for x in range(-1500, 1501, 500)}
EDGES = [(f"n{x}", f"n{x + 500}") for x in range(-1500, 1500, 500)]
FALLBACK = "直线距离缓冲（未加载路网）"


def has(html: str, text: str) -> bool:
    """``text`` in the page, as written or JSON-escaped (folium escapes some strings)."""
    return text in html or json.dumps(text)[1:-1] in html


def legend(html: str) -> str:
    """The legend's HTML as the browser gets it (the map passes it as a JSON string)."""
    return "".join(json.loads(m) for m in re.findall(r'div\.innerHTML = (".*?");\n', html))


def district(*, network: bool = True) -> None:
    west, south = lonlat(-1600, -400)
    east, north = lonlat(1600, 400)
    middle = lonlat(0, 0)[0]
    community = make_community(code="510104001001", geom=box(west, south, east, north))
    make_grid(community, box(west, south, middle, north), name="西网格")
    make_grid(community, box(middle, south, east, north), name="东网格")
    if network:
        build_network(NODES, EDGES)
    add_facility(-1200, 10, name="锦江幼儿园")
    for k in range(4):
        add_household(-1250 + 30 * k, 15)  # west grid, covered
    for k in range(3):
        add_household(1100 + 30 * k, 15)  # east grid, not covered
    refresh_pending()


def test_map_shows_circles_coverage_gaps_and_sites():
    district()
    suggest("kindergarten", 1)
    html = render(planner_map("kindergarten"))
    for name in ("5分钟服务圈", "10分钟服务圈", "15分钟服务圈", "网格覆盖率（5分钟）", "覆盖空白区", "建议选址", "锦江幼儿园"):
        assert has(html, name)
    assert has(html, "幼儿园 · 步行5分钟覆盖")  # the legend's title
    # The site is named by its streets (none named here: its coordinates), never by a node id.
    assert has(html, "建议选址 1：路网节点附近 (") and has(html, "新覆盖 3 户")
    assert not re.search(r"路网节点 \d", html)
    assert not has(html, FALLBACK) and has(html, "路网步行距离")
    # The west grid is fully covered, the east one not at all: their colours.
    assert html.count(f'"colour": "{share_colour(1.0)}"') == 1 and html.count(f'"colour": "{share_colour(0.0)}"') == 1
    assert html.count('"method": "network"') == 3  # one facility × 3 circles
    assert '"households": 3' in html  # the east gap area
    # Offline: every script and stylesheet is served by the app.
    assets = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets)


def test_straight_line_circles_are_labelled_when_no_network_is_loaded():
    district(network=False)
    html = render(planner_map("kindergarten", minutes=[5, 15]))
    assert has(html, FALLBACK) and has(html, FALLBACK + "（灰色边线）")  # in the tooltip rows and the legend
    assert '"color": "#555555"' in html  # drawn with a grey outline
    assert not has(html, "10分钟服务圈") and html.count('"method": "buffer"') == 2


def test_circle_levels_differ_in_hue_and_dashes_and_the_legend_says_which():
    district()
    html = render(planner_map("kindergarten"))
    styles = [circle_style(rank) for rank in range(3)]
    assert len({s[0] for s in styles}) == 3 and len({s[1] for s in styles}) == 3 and len({s[2] for s in styles}) == 3
    for rank, minute in enumerate((5, 10, 15)):
        colour, dash, _, name = circle_style(rank)
        assert f'"color": "{colour}"' in html and (not dash or f'"dashArray": "{dash}"' in html)
        # The legend's swatch for this level: its colour and dash pattern, next to its minutes.
        swatch = f'stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/></svg>{minute}分钟步行服务圈（{name}）'
        assert swatch in legend(html)


def test_share_classes_and_unknown_type():
    assert share_colour(None) == "#d9d9d9"
    assert [share_colour(s) for s in (0.0, 0.3, 0.5, 0.7, 1.0)] == [c for _, c, _ in SHARE_CLASSES]
    with pytest.raises(FacilityType.DoesNotExist):
        planner_map("nope")


@pytest.mark.browser
def test_map_draws_in_chromium_without_network(tmp_path, settings):
    playwright = pytest.importorskip("playwright.sync_api")
    district()
    html = render(planner_map("kindergarten", with_streets=False))  # the streets come from the app's URL
    page_file = tmp_path / "planner.html"  # the app's static files straight from disk, no server
    page_file.write_text(re.sub(r'(src|href)="/static/', rf'\1="file://{settings.BASE_DIR}/static/', html),
                         encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"file://{page_file}")
        page.wait_for_timeout(500)
        layers = page.evaluate("() => { const k = Object.keys(window).find(k => k.startsWith('map_'));"
                               " return Object.keys(window[k]._layers).length; }")
        browser.close()
    assert errors == []
    assert layers > 10  # grids, circles, facility, gap area and site markers all drawn


def test_completeness_layer_per_grid_from_the_snapshot():
    from layers.facilities.walking.completeness import compute_snapshots

    district()
    assert not has(render(planner_map("kindergarten")), "生活圈完整率（15分钟")  # before any snapshot
    compute_snapshots()
    html = render(planner_map("kindergarten"))
    assert has(html, "生活圈完整率（15分钟，全部设施类型）")
    # Only kindergartens exist: no household has every type, both grids 0 % complete.
    pairs = re.findall(r'"complete": (\d+), "households": (\d+), "name": "[^"]*", "share": "([^"]*)"', html)
    assert sorted(pairs) == [("0", "3", "0%"), ("0", "4", "0%")]


def test_gap_areas_are_kept_until_what_coverage_reads_is_written(django_assert_max_num_queries):
    """The map's gap areas come from the cache while nothing coverage reads is written (a visit
    is not such a write), and a new uncovered household shows in them at once."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from layers.maps.planner import _cached_gap_areas
    from layers.people.models import Household, Visit

    district()
    kind = FacilityType.objects.get(code="kindergarten")
    assert [a.households for a in _cached_gap_areas(kind)] == [3]
    Visit.objects.create(household=Household.objects.order_by("id").last(), user=User.objects.create_user("w1"),
                         visited_at=timezone.now())
    with django_assert_max_num_queries(1):  # the coverage data version only
        assert [a.households for a in _cached_gap_areas(kind)] == [3]
    add_household(1190, 15)  # next to the east gap
    refresh_pending()
    assert [a.households for a in _cached_gap_areas(kind)] == [4]
