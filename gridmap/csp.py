"""The Content-Security-Policy middleware: django-csp's, plus the tile hosts of the basemap.

The policy itself is CONTENT_SECURITY_POLICY in settings. Map tiles are the only images
from outside: their hosts (layers.maps.base.TILE_HOSTS) are added to img-src for the
basemap in use (settings.GRIDMAP_BASEMAP, read per request so that a changed setting and
the maps agree), and for no other.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class BasemapCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase,
                         report_only: bool = False) -> PolicyParts:
        from layers.maps.base import TILE_HOSTS

        parts = super().get_policy_parts(request, response, report_only=report_only)
        hosts = TILE_HOSTS.get(settings.GRIDMAP_BASEMAP, ())
        if hosts and not report_only:
            parts.update = {**(parts.update or {}), "img-src": [*((parts.update or {}).get("img-src") or []), *hosts]}
        return parts
