"""Working without signal: the service worker (/sw.js) and the answers the offline queue reads.

The service worker (templates/pages/sw.js) keeps the app shell — the base stylesheet and
scripts, the map assets under static/, the report page, 我的网格 with its map and the
household pages the worker opened — in a cache named after the static manifest, so a new
release (new hashed files) replaces the cache instead of mixing old pages with new assets.
Forms sent while offline wait in IndexedDB (static/gridmap/offline.js) and are sent again with
their client-made id; ``wants_json`` marks those requests, which get JSON instead of a page.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache

# Static files the shell needs: gridmap's own, and the vendor files the maps load (folium asks
# for their plain names, the pages for the hashed ones: both are kept). Fonts other than
# woff2 and the OpenLayers editor (admin only) stay out.
SHELL_PREFIXES = ("gridmap/", "vendor/leaflet/", "vendor/markercluster/", "vendor/awesome-markers/",
                  "vendor/fullscreen/", "vendor/jquery/", "vendor/bootstrap/", "vendor/fontawesome/")
SHELL_SUFFIXES = (".css", ".js", ".png", ".svg", ".woff2")
QUEUED_MAX_AGE_DAYS = 30
"""An offline report older than this keeps the time it arrived, not the phone's."""


def wants_json(request: HttpRequest) -> bool:
    """A request sent by the offline queue (static/gridmap/offline.js), which reads JSON."""
    return "application/json" in request.headers.get("Accept", "")


def queued_time(value: datetime | None, *, now: datetime, max_age_days: int = QUEUED_MAX_AGE_DAYS) -> datetime:
    """When an offline-queued report was made (its ``queued_at``), if plausible: not in the
    future and at most ``max_age_days`` old (a phone's wrong clock must not date a case
    years back); otherwise ``now``."""
    if value is None or value > now or value < now - timedelta(days=max_age_days):
        return now
    return value


def form_error_text(form) -> str:
    """A form's errors as one Chinese line: 「label：message」 for each field."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts += [f"{label}：{e}" if label else str(e) for e in errors]
    return "；".join(parts)


def _static_prefix() -> str:
    return "/" + settings.STATIC_URL.lstrip("/")


def _static_files() -> list[str]:
    """Names (unhashed) of the shell's static files, from the collected manifest."""
    hashed = getattr(staticfiles_storage, "hashed_files", {}) or {}
    return sorted(n for n in hashed if n.startswith(SHELL_PREFIXES) and n.endswith(SHELL_SUFFIXES))


@lru_cache(maxsize=1)
def _shell() -> tuple[str, list[str]]:
    """(cache version, static URLs to keep). The version changes with every collected file's
    hash and with the worker's own source."""
    names = _static_files()
    urls = [static(n) for n in names] + [_static_prefix() + n for n in names]  # hashed and plain names
    source = get_template("pages/sw.js").template.source
    digest = hashlib.sha256(json.dumps([sorted(set(urls)), source]).encode()).hexdigest()[:12]
    return digest, sorted(set(urls))


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """/sw.js at the site's root, so that its scope is the whole site."""
    version, static_urls = _shell()
    pages = [reverse("home"), reverse("my_grids"), reverse("my_map"), reverse("report_incident")]
    body = render_to_string("pages/sw.js", {
        "version": version,
        "static_json": json.dumps(static_urls),
        "pages_json": json.dumps(pages),
        "static_prefix": json.dumps(_static_prefix()),
        "never_json": json.dumps(["/accounts/", "/admin/", "/api/", "/sw.js", "/data/"]),
        "logout_json": json.dumps(reverse("logout")),
    })
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response
