"""Suite-wide set-up: static files served as in production.

settings.STORAGES uses WhiteNoise's CompressedManifestStaticFilesStorage, whose {% static %}
needs the manifest written by collectstatic. Rather than a plain storage under pytest (which
would hide a missing or unprocessable file), the session collects once (under a second:
unchanged files are skipped) before any test renders a page.

The live server of the browser tests would answer /static/ through Django's
StaticFilesHandler, which finds only the plain names in static/ (not the hashed ones that
pages link); it hands every request to the app instead, where WhiteNoise serves both, as
under gunicorn.
"""

from __future__ import annotations

import pytest

from tests.fixtures_world import world  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    patch = pytest.MonkeyPatch()
    patch.setattr(StaticFilesHandler, "_should_handle", lambda self, path: False)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _access_refresh_inline(settings):
    """Tests see walking times recomputed right after each commit, as the commands do;
    tests/jobs runs the background worker for the queued mode that production uses."""
    settings.GRIDMAP_ACCESS_REFRESH = "inline"
    # The tests keep to a memory cache, apart from the installation's file cache under var/
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "gridmap-tests"}}
