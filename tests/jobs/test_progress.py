"""A job's progress is visible to the page while the job works inside one transaction (an
import writes all or nothing)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from layers.jobs.models import Job
from layers.jobs.tasks import Progress

pytestmark = pytest.mark.django_db(transaction=True)


def progress_seen_from_outside(job: Job) -> tuple[int, str]:
    """What another session (the page polling /jobs/<id>/) reads now."""
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        with other.cursor() as cur:
            cur.execute("SELECT progress, message FROM jobs_job WHERE id = %s", [job.pk])
            return cur.fetchone()
    finally:
        other.close()


def test_progress_inside_a_transaction_is_committed_at_once():
    job = Job.objects.create(kind="test.progress", state=Job.State.RUNNING)
    progress = Progress(job)
    try:
        with transaction.atomic():
            progress(40, "已读取 50000 行")
            assert progress_seen_from_outside(job) == (40, "已读取 50000 行")
            transaction.set_rollback(True)  # the import is refused: its rows go, the progress stays
    finally:
        progress.close()
    job.refresh_from_db()
    assert (job.progress, job.message) == (40, "已读取 50000 行")
    progress(150, "完成")  # outside a transaction: the ORM, clamped to 100
    job.refresh_from_db()
    assert job.progress == 100
