"""The production server for the browser tests: `make serve` (gunicorn + the background
worker) against the test database, as an operator starts it.

``ProductionServer.start(extra_env)`` runs ``make serve HOST=127.0.0.1 PORT=<free port>`` in
its own process group with the test database's name (GRIDMAP_DB_NAME, or DATABASE_URL with
the test database's name), waits until /health/ answers 200 and ``stop()`` ends the whole
group (make, gunicorn and its workers, ``manage.py qcluster``). What it prints goes to
test-output/production-server[-variant].log, gunicorn's access log to
test-output/gunicorn-access[-variant].log.

Data the tests write must be committed to be seen (transactional tests); the server's
workers open a connection per request (CONN_MAX_AGE 0) and hold no lock between requests,
so pytest-django's flush (TRUNCATE) between tests does not wait on them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"
START_TIMEOUT_S = float(os.environ.get("GRIDMAP_TEST_SERVER_TIMEOUT", "180"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_env(name: str) -> dict[str, str]:
    """The environment that points `make serve` at the database ``name`` (the test database)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return {"GRIDMAP_DB_NAME": name}
    parts = urlsplit(url)
    return {"DATABASE_URL": urlunsplit(parts._replace(path="/" + name))}


class ServerFailed(RuntimeError):
    pass


class ProductionServer:
    def __init__(self, process: subprocess.Popen, url: str, log: Path, label: str) -> None:
        self.process, self.url, self.log, self.label = process, url, log, label

    @classmethod
    def start(cls, db_name: str, extra_env: dict[str, str] | None = None, *, label: str = "") -> ProductionServer:
        suffix = f"-{label}" if label else ""
        OUTPUT.mkdir(parents=True, exist_ok=True)
        cache = OUTPUT / f"server-cache{suffix}"
        shutil.rmtree(cache, ignore_errors=True)  # the data version restarts with every test database
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "MAKEFLAGS", "MFLAGS",
                                                                  "MAKELEVEL")}
        env.update(database_env(db_name))
        env.update({
            # Few workers: the suite shares the machine; each holds no connection between requests.
            "GRIDMAP_WEB_WORKERS": "2", "GRIDMAP_WEB_THREADS": "4",
            "GRIDMAP_ACCESS_LOG": str(OUTPUT / f"gunicorn-access{suffix}.log"),
            "GRIDMAP_CACHE_DIR": str(cache),
            **(extra_env or {}),
        })
        log = OUTPUT / f"production-server{suffix}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={port}"],
                                       cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        server = cls(process, f"http://127.0.0.1:{port}", log, label or "default")
        try:
            server._wait_healthy()
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        last = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(f"`make serve` exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.url + "/health/", timeout=10) as r:  # noqa: S310 - our server
                    if r.status == 200:
                        return
            except urllib.error.HTTPError as e:
                last = f"/health/ answered {e.code}: {e.read()[:300]!r}"
            except OSError as e:  # not listening yet, workers still importing
                last = str(e)
            time.sleep(0.3)
        raise ServerFailed(f"`make serve` did not answer /health/ within {START_TIMEOUT_S:.0f} s ({last}):\n"
                           f"{self.tail()}")

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _alive(self) -> bool:
        """Whether a process of the group still runs (zombies do not count: a container's
        init may never reap them)."""
        self.process.poll()  # reaps make itself once it exited
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == self.process.pid and fields[0] != "Z":  # state, ppid, pgrp
                return True
        return False

    def stop(self, timeout_s: float = 40.0) -> None:
        """SIGINT to the whole group, as Ctrl-C in the terminal of `make serve` (a SIGTERM to
        the group would kill django-q2's sentinel under its cluster process, which then
        waits for it forever), SIGKILL to whatever is left after ``timeout_s``; returns once
        every process is gone (pytest-django then drops the test database, which no
        connection may hold)."""
        try:
            os.killpg(self.process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout_s
        while self._alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._alive():
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while self._alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        self.process.wait()
