"""Queueing background work: :func:`submit` is the one way a page, a command or a signal
asks for it."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from layers.jobs.models import Job


def submit(kind: str, *, key: str = "", label: str = "", user=None, params: dict | None = None) -> Job:
    """Queue the task ``kind`` for ``key`` with ``params`` (JSON) and return its Job.

    If a job of the same kind and key is still waiting, that job is returned instead: the
    work it will do covers this trigger too. The task is handed to the queue when the
    caller's transaction commits, so the worker never runs ahead of the data it reads."""
    # Repeated triggers (every visit to a page whose analysis is being refreshed) are the
    # common case: one read of the partial unique index, no INSERT refused by it.
    if (waiting := Job.objects.filter(kind=kind, key=key, state=Job.State.QUEUED).first()) is not None:
        return waiting
    for attempt in range(3):
        try:
            with transaction.atomic():
                job = Job.objects.create(kind=kind, key=key, label=label or kind, user=user, params=params or {})
        except IntegrityError:
            waiting = Job.objects.filter(kind=kind, key=key, state=Job.State.QUEUED).first()
            if waiting is not None:
                return waiting
            if attempt == 2:
                raise
            continue  # the waiting job was taken by the worker meanwhile: queue a new one
        transaction.on_commit(lambda job=job: _defer(job))
        return job
    raise AssertionError  # unreachable: the loop returns or raises


def _defer(job: Job) -> None:
    task_id = async_task("layers.jobs.tasks.run_job", job.pk, task_name=f"{job.kind}#{job.pk}", group=job.kind)
    Job.objects.filter(pk=job.pk).update(queue_task=str(task_id or ""))


def stuck_jobs(*, older_than_s: float = 600.0) -> int:
    """Jobs waiting longer than ``older_than_s`` seconds (a queue nobody works on)."""
    return Job.objects.filter(state=Job.State.QUEUED,
                              created_at__lt=timezone.now() - dt.timedelta(seconds=older_than_s)).count()
