"""Headless Chromium (Debian's package) driven by Playwright against the production server.

The server is the one an operator runs: `make serve` (gunicorn and the background worker;
the ``production_server`` and ``serve`` fixtures of tests/conftest.py) against the test
database, started once per session; the tests commit their data
(``django_db(transaction=True)``) so that its processes see it. A test needing other
settings on the server asks ``serve(NAME=value, ...)`` for a second one.

The browser is started with the flags that keep it from calling home, and every request a
page makes is recorded so tests can assert that nothing left 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.production_server import ProductionServer

# Playwright's sync API keeps an event loop running in the test thread; Django then takes
# every ORM call of the test itself (fixtures, asserts) for async code. The calls are
# synchronous in fact, so let them through (test processes only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


CHROMIUM = os.environ.get("GRIDMAP_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


# One Playwright and one Chromium for the whole run, shared by every test folder that imports
# this fixture (tests/security does): Playwright's sync API cannot be started a second time
# while the first is running, and each folder importing a session fixture gets its own.
_SHARED: dict = {"users": 0}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make setup` installs Debian's chromium package")
    if _SHARED["users"] == 0:
        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = _SHARED["playwright"].chromium.launch(executable_path=CHROMIUM, args=ARGS,
                                                                   headless=True)
    _SHARED["users"] += 1
    yield _SHARED["browser"]
    _SHARED["users"] -= 1
    if _SHARED["users"] == 0:
        _SHARED["browser"].close()
        _SHARED["playwright"].stop()


# A phone as the field roles hold one (issue #13): 390×844, touch, Chinese, Shanghai time.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def phone_context(browser, server: ProductionServer, client, user, *, geolocation: dict | None = None):
    """A new browser context like a phone, logged in as ``user`` (through the test client's
    session), with the site allowed the position ``geolocation`` when given."""
    client.force_login(user)
    where = {"geolocation": geolocation, "permissions": ["geolocation"]} if geolocation else {}
    context = browser.new_context(**PHONE, **where)
    host = urlparse(server.url).hostname
    context.add_cookies([{"name": k, "value": m.value, "domain": host, "path": "/"} for k, m in client.cookies.items()])
    return context


class Visit:
    """A logged-in browser page that records every request URL."""

    def __init__(self, browser, server, client_cookies: dict[str, str]) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                           timezone_id="Asia/Shanghai")
        host = urlparse(server.url).hostname
        self.context.add_cookies([{"name": k, "value": v, "domain": host, "path": "/"}
                                  for k, v in client_cookies.items()])
        self.requests: list[str] = []
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.base = server.url

    def open(self, path: str):
        self.page.goto(self.base + path, wait_until="networkidle")
        return self.page

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests
                if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname != "127.0.0.1"
                and urlparse(u).hostname != "localhost"]

    def screenshot(self, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, production_server, client):
    """visit(user) → a Visit logged in as ``user`` (through Django's test client session:
    sessions live in the database, the server shares the checkout's secret key);
    visit(user, server=serve(...)) opens another production server."""
    opened = []

    def make(user, server: ProductionServer | None = None) -> Visit:
        client.force_login(user)
        v = Visit(browser, server or production_server, {k: m.value for k, m in client.cookies.items()})
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()


from tests.fixtures_world import world  # noqa: E402, F401
