"""事件列表 and 事件详情 on a phone (390×844, touch): cards, no sideways scrolling, the case's
clock, history, urges, duplicate reports and its small map; nothing loaded from outside."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from layers.incidents import duplicates, lifecycle
from layers.incidents.models import IncidentStatus as S
from tests.browser.conftest import OUTPUT, phone_context
from tests.factories import category, point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def phone(browser, production_server, client):
    contexts = []

    def open_as(user):
        context = phone_context(browser, production_server, client, user)
        contexts.append(context)
        page = context.new_page()
        page.requests, page.errors = [], []
        page.on("request", lambda r: page.requests.append(r.url))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        return page

    yield open_as, production_server.url
    for c in contexts:
        c.close()


def _outside(urls):
    return [u for u in urls if urlparse(u).scheme in ("http", "https") and urlparse(u).hostname not in
            ("127.0.0.1", "localhost")]


def test_worker_opens_the_list_and_a_case_on_a_phone(phone, world):
    world.worker_w.first_name = "王网格"
    world.worker_w.save()
    now = timezone.now()
    late = lifecycle.report(by=world.worker_w, category=category("street_order"), description="早市占道经营，堵塞人行道",
                            address="西路8号菜市场门口", geom=point(104.0645, 30.6535), at=now - timedelta(hours=3))
    lifecycle.move(late, S.ACCEPTED, by=world.admin, at=now - timedelta(hours=2, minutes=50), note="受理")
    duplicates.link(late, by=world.worker_e, category=category("street_order"), description="又摆出来了",
                    address="西路8号", point=point(104.0646, 30.6536))
    open_as, base = phone
    page = open_as(world.worker_w)
    page.goto(base + "/incidents/", wait_until="networkidle")
    cards = page.locator("#case-list .case")
    assert cards.count() == 2
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    card = page.locator(f"#case-list a[href='/incidents/{late.pk}/']")
    assert "超时" in card.inner_text() and "派遣 已超时" in card.inner_text() and "西网格" in card.inner_text()
    box = card.bounding_box()
    assert box["width"] > 330 and box["height"] >= 44  # a full-width card, a thumb-sized target
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "phone_incident_list.png"))

    card.tap()
    page.wait_for_selector("#status")
    frame = page.frame_locator("iframe[title='事件位置地图']")
    frame.locator(".leaflet-container").wait_for()
    assert "派遣 已超时" in page.inner_text("#clock")
    assert "王网格" in page.inner_text("#history") and "受理" in page.inner_text("#history")
    assert "又摆出来了" in page.inner_text("#reports")
    page.fill("#urges input[name=note]", "居民多次反映")
    page.locator("#urges button[value='催办']").tap()
    page.wait_for_selector("#urges .timeline li")
    assert "居民多次反映" in page.inner_text("#urges") and "王网格" in page.inner_text("#urges")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # The map opens a few hundred metres around the case: wait until its zoom animation has ended.
    page.frame_locator("iframe[title='事件位置地图']").locator(".leaflet-container").wait_for()
    frame = next(f for f in page.frames if "/map.html" in f.url)
    frame.wait_for_function("""() => { const m = Object.values(window).find(v => v instanceof L.Map);
        return m && m.getZoom() >= 16 && !document.querySelector('.leaflet-zoom-anim'); }""")
    page.screenshot(path=str(OUTPUT / "phone_incident.png"), full_page=True)
    assert page.errors == [] and _outside(page.requests) == []


def test_desktop_list_tiles_the_cards(visit, world):
    for n in range(3):
        lifecycle.report(category=category("street_order"), description=f"占道经营{n}", address=f"西路{n}号",
                         geom=point(104.061 + n * 0.001, 30.651))
    v = visit(world.admin)
    page = v.open("/incidents/?grid=" + world.west.code)
    tops = page.eval_on_selector_all("#case-list .case", "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert len(tops) == 4 and len(set(tops)) < len(tops)  # several cards side by side on a wide screen
    v.screenshot("desktop_incident_list")
    assert v.errors == [] and v.outside_requests() == []
