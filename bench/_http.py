"""A lean HTTP client for load generators that share the machine with the server they measure.

The load generator of bench/serve.py runs on the same cores as the server. With requests, each
request cost the generator 1.6 ms of CPU (a tenth of what the server spends on it), taken from
the server: 18 % of a core at 110 requests/s. With this client it costs about 0.5 ms. It is the
standard library's http.client with a cookie jar of one site, and treats connections as a
browser does: it keeps one open for the next request unless the server closes it (gridmap's
gunicorn closes each one; the development server keeps them, and a new connection per request
would cost it a thread and a database connection each), and sends a request again on a new
connection when the kept one turns out closed. Nothing else: no redirects followed, no proxies,
no encodings.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlencode, urlsplit

ERRORS = (OSError, http.client.HTTPException)
"""What a request raises when the server is unreachable or breaks the connection."""

_CLOSED_MEANWHILE = (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine)


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
        self._kept: http.client.HTTPConnection | None = None  # open for the next request

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        """Send one request and read the whole answer (again on a new connection when the kept
        one was closed by the server since the last answer)."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        kept, self._kept = self._kept, None
        if kept is not None:
            try:
                return self._exchange(kept, method, path, body, sent)
            except _CLOSED_MEANWHILE:
                pass
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        return self._exchange(connection, method, path, body, sent)

    def _exchange(self, connection: http.client.HTTPConnection, method: str, path: str,
                  body: bytes | None, headers: dict[str, str]) -> Response:
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        except BaseException:
            connection.close()
            raise
        for header in answer.headers.get_all("Set-Cookie") or ():
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if answer.will_close:
            connection.close()
        else:
            self._kept = connection
        return Response(answer.status, data)

    def close(self) -> None:
        """Close the connection kept for the next request, if any."""
        if self._kept is not None:
            self._kept.close()
            self._kept = None

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def post_json(self, path: str, payload, headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json", **(headers or {})})
