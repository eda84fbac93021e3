"""Suite-wide set-up: the static files as production serves them.

settings.STORAGES uses WhiteNoise's CompressedManifestStaticFilesStorage, whose {% static %}
needs the manifest written by collectstatic. Rather than a plain storage under pytest (which
would hide a missing or unprocessable file), the session collects once (under a second:
unchanged files are skipped) before any test renders a page.
"""

from __future__ import annotations

import pytest

from tests.fixtures_world import world  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _access_refresh_inline(settings):
    """Tests see walking times recomputed right after each commit, as the commands do;
    tests/jobs runs the background worker for the queued mode that production uses."""
    settings.GRIDMAP_ACCESS_REFRESH = "inline"
