"""The browser tests' server is the production one: `make serve` — gunicorn and the
background worker — on the test database, not Django's runserver or live server."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def _group_commands(pgid: int) -> list[str]:
    commands = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                commands.append((proc / "cmdline").read_text().replace("\0", " "))
        except (OSError, IndexError):
            continue
    return commands


def test_make_serve_runs_gunicorn_and_the_worker_on_the_test_database(production_server, django_db_setup):
    from django.db import connection

    with urllib.request.urlopen(production_server.url + "/health/", timeout=30) as r:  # noqa: S310 - our server
        assert r.headers["Server"].startswith("gunicorn")
        health = json.loads(r.read())
    assert health["status"] == "ok", health
    commands = _group_commands(production_server.process.pid)
    assert any(c.startswith("make") and " serve " in f"{c} " for c in commands), commands
    argv1 = [c.split()[1] if len(c.split()) > 1 else "" for c in commands]
    assert sum(a.endswith("bin/gunicorn") for a in argv1) == 3, commands  # master + 2 workers
    assert "manage.py" in argv1 and any("manage.py qcluster" in c for c in commands), commands
    assert "runserver" not in " ".join(commands)
    if not os.environ.get("DATABASE_URL"):  # the embedded cluster names the database it serves
        assert f"(database {connection.settings_dict['NAME']})" in production_server.tail(100_000)
