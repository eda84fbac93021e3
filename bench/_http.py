"""A lean HTTP client for load generators that share the machine with the server they measure.

The load generator of bench/serve.py runs on the same cores as the server. With requests, each
request cost the generator 1.6 ms of CPU (a tenth of what the server spends on it), taken from
the server: 18 % of a core at 110 requests/s. With this client it costs 0.4–0.6 ms. This client is the standard library's http.client with a cookie jar of one site: a fresh connection per
request (gridmap's gunicorn closes each one anyway), the cookies the server sets sent back, and
nothing else (no redirects followed, no proxies, no encodings).
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlencode, urlsplit

ERRORS = (OSError, http.client.HTTPException)
"""What a request raises when the server is unreachable or breaks the connection."""


class Response:
    __slots__ = ("body", "status")

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def json(self):
        return json.loads(self.body)


class Site:
    """One user's session with the server at ``base`` (``http://host:port``)."""

    def __init__(self, base: str, timeout_s: float = 120) -> None:
        parts = urlsplit(base)
        self.host, self.port, self.timeout_s = parts.hostname, parts.port or 80, timeout_s
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        """Send one request on a new connection and read the whole answer."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
            for header in answer.headers.get_all("Set-Cookie") or ():
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
        finally:
            connection.close()
        return Response(answer.status, data)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def post_json(self, path: str, payload, headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json", **(headers or {})})
