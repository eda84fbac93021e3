"""The real background worker (`python manage.py qcluster`) on the test database, for the
transactional tests that queue jobs (tests/jobs, tests/importers/test_web_jobs.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from layers.jobs.models import Job
from tests.production_server import database_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", name="worker")
def qcluster_worker(django_db_setup, django_db_blocker):
    """The real worker (`python manage.py qcluster`) on the test database, for the module."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
    env.update(database_env(name))
    process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def wait_for_jobs(worker, timeout_s: float = 120.0) -> None:
    """Wait until the worker has no job queued or running."""
    deadline = time.monotonic() + timeout_s
    while Job.objects.filter(state__in=["queued", "running"]).exists():
        assert worker.poll() is None, worker.stderr.read().decode(errors="replace")[-2000:]
        assert time.monotonic() < deadline, "the worker did not finish the queued jobs"
        time.sleep(0.2)
