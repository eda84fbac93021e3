"""A grid worker without signal, on a phone (390×844, touch), against the production server:
a report with a photo and a visit made offline wait on the phone ("待上传 1 条"), go up once
when the connection returns, and the pages still open offline from the service worker's cache.
Screenshots: test-output/phone_offline_*.png."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image

from layers.incidents.models import Incident
from layers.people.models import Visit
from tests.browser.conftest import phone_context
from tests.incidents.test_photos import gps_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def phone(browser, production_server, client):
    """phone(user) → a page in a fresh phone context logged in as ``user``."""
    contexts = []

    def make(user):
        context = phone_context(browser, production_server, client, user)
        contexts.append(context)
        page = context.new_page()
        page.base = production_server.url
        return page

    yield make
    for context in contexts:
        context.close()


def _shot(page, name: str, *, full_page: bool = False) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=full_page)


TIMINGS: dict[str, float] = {}


def _save_timings() -> None:
    """Seconds from tap to answer on the production server, for the notes."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "phone_offline_timings.json").write_text(json.dumps(TIMINGS, indent=1))


def _controlled(page) -> None:
    """The service worker installed (shell cached) and controlling the page."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=30000)


CACHED = """async () => {
  const out = {pages: [], static: 0};
  for (const name of await caches.keys()) {
    for (const r of await (await caches.open(name)).keys()) {
      const path = new URL(r.url).pathname;
      if (path.startsWith('/static/')) { out.static++; } else { out.pages.push(path); }
    }
  }
  return out;
}"""
CACHED_PAGES_GONE = """async () => {
  for (const name of await caches.keys()) {
    for (const r of await (await caches.open(name)).keys()) {
      if (!new URL(r.url).pathname.startsWith('/static/')) { return false; }
    }
  }
  return true;
}"""


def _count(page) -> str:
    return page.get_attribute("#offline-queue", "data-count")


def test_report_with_photo_made_offline_is_sent_once_when_back_online(phone, world):
    page = phone(world.worker_w)
    page.goto(page.base + "/incidents/new/", wait_until="networkidle")
    _controlled(page)
    page.context.set_offline(True)
    assert page.evaluate("() => navigator.onLine") is False
    page.select_option("#id_category", label="街面秩序")
    page.fill("#id_description", "离线上报：井盖缺失")
    page.fill("#id_lon", "104.065")
    page.fill("#id_lat", "30.656")
    page.set_input_files("#id_photos", files=[{"name": "井盖.jpg", "mimeType": "image/jpeg",
                                               "buffer": gps_jpeg(1200, 900, 1)}])
    started = time.monotonic()
    page.tap("button[type=submit]:has-text('上报')")
    page.wait_for_function("() => document.getElementById('offline-queue').dataset.count === '1'")
    TIMINGS["report_tap_to_queued_s"] = round(time.monotonic() - started, 3)
    badge = page.locator("#offline-queue")
    assert badge.is_visible() and "待上传 1 条" in badge.inner_text().replace("\n", " ")
    assert "已保存在本机" in page.inner_text(".offline-note") and "离线" in badge.inner_text()
    _shot(page, "phone_offline_queue", full_page=True)  # the header's count and the note under the form
    assert not Incident.objects.filter(description="离线上报：井盖缺失").exists()

    started = time.monotonic()
    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('offline-queue').dataset.count === '0'", timeout=30000)
    TIMINGS["report_online_to_uploaded_s"] = round(time.monotonic() - started, 3)
    assert not badge.is_visible()
    incident = Incident.objects.get(description="离线上报：井盖缺失")
    assert incident.reporter == world.worker_w and incident.grid == world.west and incident.client_id is not None
    photo = incident.photos.get()
    stored = Image.open(io.BytesIO((Path(settings.MEDIA_ROOT) / photo.file.name).read_bytes()))
    assert stored.size == (1200, 900) and len(stored.getexif()) == 0
    # The page opened again online sends nothing twice.
    page.reload(wait_until="networkidle")
    assert _count(page) == "0" and Incident.objects.filter(description="离线上报：井盖缺失").count() == 1

    # Offline again: the report page comes from the cache.
    page.context.set_offline(True)
    started = time.monotonic()
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#id_description")
    TIMINGS["report_page_offline_load_s"] = round(time.monotonic() - started, 3)
    _save_timings()
    assert "上报事件" in page.inner_text("h2")
    page.wait_for_selector("#pick .leaflet-interactive", state="attached")  # Leaflet and the grids, offline
    _shot(page, "phone_offline_reload")


def test_visit_made_offline_is_sent_once_and_the_pages_open_offline(phone, world):
    page = phone(world.worker_w)
    page.goto(page.base + "/my/", wait_until="networkidle")
    _controlled(page)
    page.goto(page.base + f"/households/{world.hw.pk}/", wait_until="networkidle")
    page.context.set_offline(True)
    when = timezone.localtime() - timedelta(minutes=10)
    page.select_option("#id_kind", label="帮扶慰问")
    page.fill("#id_visited_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_note", "离线走访：老人身体好")
    started = time.monotonic()
    page.tap("button[type=submit]:has-text('保存')")
    page.wait_for_function("() => document.getElementById('offline-queue').dataset.count === '1'")
    TIMINGS["visit_tap_to_queued_s"] = round(time.monotonic() - started, 3)
    _shot(page, "phone_offline_visit_queue")
    assert not Visit.objects.exists()

    started = time.monotonic()
    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('offline-queue').dataset.count === '0'", timeout=30000)
    TIMINGS["visit_online_to_uploaded_s"] = round(time.monotonic() - started, 3)
    _save_timings()
    visit = Visit.objects.get()
    assert (visit.household, visit.user, visit.note, visit.kind) == (world.hw, world.worker_w, "离线走访：老人身体好", "care")
    assert abs(visit.visited_at - when.replace(second=0, microsecond=0)) < timedelta(minutes=1)

    # Offline: the household page and 我的网格 with its map open from the cache.
    page.context.set_offline(True)
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#id_note")
    assert "西路1号" in page.inner_text("h2")
    page.goto(page.base + "/my/", wait_until="domcontentloaded")
    page.wait_for_selector("iframe[src*='/my/map.html']")
    frame = next(f for f in page.frames if "/my/map.html" in f.url)
    frame.wait_for_selector(".leaflet-container", timeout=15000)
    _shot(page, "phone_offline_my_grids")
    assert Visit.objects.count() == 1

    # Logging out drops the kept pages (households, cases); the static files stay.
    page.context.set_offline(False)
    page.goto(page.base + "/my/", wait_until="networkidle")
    kept = page.evaluate(CACHED)["pages"]
    assert "/my/" in kept and f"/households/{world.hw.pk}/" in kept and "/incidents/new/" in kept
    # On a phone 退出 is on 我的 (the bottom bar's last tab).
    page.goto(page.base + "/my/me/", wait_until="networkidle")
    page.tap("main button:has-text('退出')")
    page.wait_for_url("**/accounts/login/**")
    page.wait_for_function(CACHED_PAGES_GONE, timeout=15000)
    assert page.evaluate(CACHED)["static"] > 20
