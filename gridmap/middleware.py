"""Request checks that hold for every page and API endpoint.

NUL bytes: PostgreSQL text cannot hold them and psycopg2 refuses any query parameter that
contains one with a ValueError, so a ``%00`` in any query parameter (``?grid=%00``,
``?tag=…``, an admin search) used to answer 500 wherever the value reached a query. They are
refused here, once, with a 400 naming the parameter, before any view runs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_parameter(request: HttpRequest) -> str | None:
    """The name of the first query (or form) parameter holding a NUL byte, if any."""
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        sources.append(request.POST)
    for data in sources:
        for name, values in data.lists():
            if NUL in name or any(NUL in v for v in values):
                return name.replace(NUL, "\\x00")
    return None


class RejectNulBytesMiddleware:
    """400 for a NUL byte in any query or form parameter, naming the parameter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = _nul_parameter(request)
        if name is None:
            return self.get_response(request)
        message = f"参数 {name} 含有非法字符 NUL (parameter {name!r} contains a NUL byte \\x00)"
        if request.path.startswith("/api/"):
            return JsonResponse({name: [message]}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
