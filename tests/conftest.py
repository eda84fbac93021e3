"""Suite-wide set-up: static files collected as in production, and the production server.

settings.STORAGES uses WhiteNoise's CompressedManifestStaticFilesStorage, whose {% static %}
needs the manifest written by collectstatic. Rather than a plain storage under pytest (which
would hide a missing or unprocessable file), the session collects once (under a second:
unchanged files are skipped) before any test renders a page.

The browser tests (tests/browser, tests/security) run against the production server:
`make serve` — gunicorn and the background worker — on the test database
(tests/production_server.py). Its fixtures live here so that every folder shares one.
"""

from __future__ import annotations

import pytest

from tests.fixtures_world import world  # noqa: F401
from tests.production_server import ProductionServer

SERVER_FIXTURES = {"production_server", "serve"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests on the production server run last (after pytest-django's ordering): from the
    first of them to the end of the session its background worker works the test database's
    queue, which tests/jobs drives with a worker of its own."""
    items.sort(key=lambda item: bool(SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))))


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def serve(django_db_setup):
    """serve(**env) → a ProductionServer with these extra environment variables (started on
    first use, kept until stopped or the session ends); serve() is the plain one. All stop
    at the end, before pytest-django drops the test database."""
    from django.db import connection

    servers: dict[tuple, ProductionServer] = {}

    def start(**env: str) -> ProductionServer:
        key = tuple(sorted(env.items()))
        if key not in servers or not servers[key].running:
            label = "-".join(f"{k.removeprefix('GRIDMAP_').lower()}-{v}" for k, v in key)
            servers[key] = ProductionServer.start(connection.settings_dict["NAME"], env, label=label)
        return servers[key]

    yield start
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def production_server(serve) -> ProductionServer:
    """`make serve` on 127.0.0.1 and a free port, against the test database."""
    return serve()


@pytest.fixture(autouse=True)
def _access_refresh_inline(settings):
    """Tests see walking times recomputed right after each commit, as the commands do;
    tests/jobs runs the background worker for the queued mode that production uses."""
    settings.GRIDMAP_ACCESS_REFRESH = "inline"
    # The tests keep to a memory cache, apart from the installation's file cache under var/
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "gridmap-tests"}}
