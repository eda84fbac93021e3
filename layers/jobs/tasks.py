"""Job functions and the one entry point the worker runs (:func:`run_job`).

A domain app declares ``fn(job, progress, **params) -> result dict`` in its ``tasks.py``
with :func:`job_task`; :func:`layers.jobs.services.submit` queues it. The queue is
django-q2's ORM broker: PostgreSQL itself, no extra server; the worker is
``python manage.py qcluster``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils import timezone

from layers.jobs.models import Job

logger = logging.getLogger(__name__)
JobFunction = Callable[..., dict | None]
REGISTRY: dict[str, JobFunction] = {}


class Progress:
    """Handed to a job function: ``progress(45, "正在计算…")`` records how far it is."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def __call__(self, percent: float, message: str = "") -> None:
        Job.objects.filter(pk=self.job.pk).update(progress=max(0, min(int(percent), 100)), message=message[:500])


def job_task(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn`` as the job kind ``name``."""

    def register(fn: JobFunction) -> JobFunction:
        REGISTRY[name] = fn
        return fn

    return register


def run_job(job_id: int) -> None:
    """Run one queued job (in the worker): mark it running, call its function, keep its
    result or its error's message on the row (a failed job is reported, not retried)."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state != Job.State.QUEUED:
        return
    fn = REGISTRY.get(job.kind)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, started_at=timezone.now())
    try:
        if fn is None:
            msg = f"未知的任务类型 {job.kind}"
            raise LookupError(msg)
        result = fn(job, Progress(job), **job.params) or {}
    except Exception as e:  # the failure is the user's information: kept on the row, and logged
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, finished_at=timezone.now(),
                                             message=f"失败：{e}"[:500])
        return
    Job.objects.filter(pk=job.pk).update(state=Job.State.DONE, progress=100, result=result,
                                         finished_at=timezone.now())
