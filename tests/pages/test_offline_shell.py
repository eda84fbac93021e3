"""The service worker at /sw.js: scope the whole site, a cache named after the static files,
the shell's pages and assets listed; the offline script and the queue count on every page."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client

from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def test_service_worker_is_served_at_the_root_with_its_scope(world):
    response = client_for(world.worker_w).get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    version = re.search(r"var VERSION = 'gridmap-([0-9a-f]{12})'", body).group(1)
    assert version == re.search(r"gridmap-([0-9a-f]{12})", client_for(world.worker_e).get("/sw.js").content.decode()).group(1)
    # The shell: the report page, 我的网格 and its map; the stylesheet and the offline script
    # under their hashed names; the maps' Leaflet under its plain name.
    for url in ("/incidents/new/", "/my/", "/my/map.html", staticfiles_storage.url("gridmap/gridmap.css"),
                staticfiles_storage.url("gridmap/offline.js"), "/static/vendor/leaflet/leaflet.js"):
        assert f'"{url}"' in body, url
    assert "/static/vendor/ol/" not in body  # the admin's editor is not part of the shell


def test_service_worker_needs_a_login():
    response = Client().get("/sw.js")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_pages_carry_the_queue_count_and_forms_their_client_id(world):
    c = client_for(world.worker_w)
    report = c.get("/incidents/new/").content.decode()
    assert 'id="offline-queue"' in report and "待上传" in report and 'data-sw="/sw.js"' in report
    assert re.search(r'<script src="/static/gridmap/offline\.[0-9a-f]+\.js" defer', report)
    assert 'data-offline="incident"' in report and 'name="client_id"' in report
    assert 'enctype="multipart/form-data"' in report and 'accept="image/*"' in report
    household = c.get(f"/households/{world.hw.pk}/").content.decode()
    assert 'data-offline="visit"' in household and 'name="client_id"' in household
    assert 'id="offline-queue"' not in Client().get("/accounts/login/").content.decode()
