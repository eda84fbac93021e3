"""gunicorn serves the app: workers sized to the cores, /health/, hashed and plain static names."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.production_server import database_env, free_port

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "gridmap" / "gunicorn.conf.py"


def test_workers_follow_the_cores_unless_overridden(monkeypatch):
    monkeypatch.delenv("GRIDMAP_WEB_WORKERS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    conf = runpy.run_path(str(CONF))
    assert conf["workers"] == 2 and conf["threads"] >= 2 and conf["worker_class"] == "gthread"
    assert conf["graceful_timeout"] > 0 and conf["accesslog"] == "-"
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    assert runpy.run_path(str(CONF))["workers"] == 2  # a slow request never holds the only process
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(6)))
    assert runpy.run_path(str(CONF))["workers"] == 6
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(64)))
    assert runpy.run_path(str(CONF))["workers"] == 9
    monkeypatch.setenv("GRIDMAP_WEB_WORKERS", "3")
    assert runpy.run_path(str(CONF))["workers"] == 3


def test_a_worker_takes_only_the_connections_it_has_threads_for(monkeypatch):
    """Waiting requests queue in the kernel and go to the first worker with a free thread; a
    kept-alive connection would tie its client to one worker's queue."""
    monkeypatch.delenv("GRIDMAP_WEB_KEEPALIVE", raising=False)
    monkeypatch.setenv("GRIDMAP_WEB_THREADS", "3")
    conf = runpy.run_path(str(CONF))
    assert conf["keepalive"] == 0 and conf["worker_connections"] == 4
    assert conf["max_requests"] >= 10000  # a restart costs seconds of CPU: not every half minute
    monkeypatch.setenv("GRIDMAP_WEB_KEEPALIVE", "5")
    conf = runpy.run_path(str(CONF))
    # Kept-alive connections must not fill the few slots and shut everyone else out.
    assert conf["keepalive"] == 5 and conf["worker_connections"] == 1000


@pytest.mark.parametrize(("name", "given"), [("GRIDMAP_WEB_KEEPALIVE", "5s"), ("GRIDMAP_WEB_THREADS", "0"),
                                             ("GRIDMAP_WEB_WORKERS", "-2"), ("GRIDMAP_WEB_TIMEOUT", "2.5")])
def test_a_wrong_setting_stops_gunicorn_with_its_name(monkeypatch, name, given):
    monkeypatch.setenv(name, given)
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(CONF))
    assert str(stopped.value) == f"gridmap: {name} must be a whole number of at least {0 if name.endswith('KEEPALIVE') else 1}, not {given!r}"


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - our own local server
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.mark.django_db
def test_gunicorn_serves_health_and_static_files():
    port = free_port()
    # The test database, on the embedded cluster or on the DATABASE_URL server alike.
    env = {**os.environ, "GRIDMAP_BIND": f"127.0.0.1:{port}", "GRIDMAP_WEB_WORKERS": "1",
           "GRIDMAP_ACCESS_LOG": os.devnull, **database_env(settings.DATABASES["default"]["NAME"])}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", str(CONF)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                status, _headers, body = _get(f"{base}/health/")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, body
        assert _headers["Connection"] == "close"  # the next request may go to another worker
        _status, _headers, login = _get(f"{base}/accounts/login/")
        css = re.search(rb'href="(/static/gridmap/gridmap\.[0-9a-f]{12}\.css)"', login)
        assert css, "the login page links the hashed stylesheet"
        status, headers, _ = _get(base + css.group(1).decode())
        assert status == 200 and "immutable" in headers["Cache-Control"]
        # The plain names folium's map HTML refers to.
        for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
                     "/static/gridmap/gcj02-crs.js"):
            status, headers, _ = _get(base + path)
            assert status == 200, path
            assert "max-age=" in headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=60)
