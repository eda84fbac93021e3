"""Job functions and the one entry point the worker runs (:func:`run_job`).

A domain app declares ``fn(job, progress, **params) -> result dict`` in its ``tasks.py``
with :func:`job_task`; :func:`layers.jobs.services.submit` queues it. The queue is
django-q2's ORM broker: PostgreSQL itself, no extra server; the worker is
``python manage.py qcluster``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection
from django.utils import timezone
from psycopg2 import sql

from layers.jobs.models import Job

logger = logging.getLogger(__name__)
JobFunction = Callable[..., dict | None]
REGISTRY: dict[str, JobFunction] = {}


class JobFailed(Exception):
    """A job function's own refusal (a file refused, a user gone): the job fails with this
    message, which is the user's information; no traceback is logged."""


class Progress:
    """Handed to a job function: ``progress(45, "正在计算…")`` records how far it is.

    Called inside a transaction (an import writes all or nothing in one), the update would
    stay invisible to the page until the end; it then goes through a second connection of
    its own, in autocommit, so the page sees the rows read while the import still runs."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._side = None

    def __call__(self, percent: float, message: str = "") -> None:
        percent, message = max(0, min(int(percent), 100)), message[:500]
        if not connection.in_atomic_block:
            Job.objects.filter(pk=self.job.pk).update(progress=percent, message=message)
            return
        if self._side is None:
            self._side = connection.get_new_connection(connection.get_connection_params())
            self._side.autocommit = True
        statement = sql.SQL("UPDATE {table} SET progress = %s, message = %s WHERE id = %s").format(
            table=sql.Identifier(Job._meta.db_table))
        with self._side.cursor() as cur:
            cur.execute(statement, [percent, message, self.job.pk])

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


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
    progress = Progress(job)
    try:
        if fn is None:
            msg = f"未知的任务类型 {job.kind}"
            raise LookupError(msg)
        result = fn(job, progress, **job.params) or {}
    except JobFailed as e:
        logger.info("job %s (%s) refused: %s", job.pk, job.kind, e)
        Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, finished_at=timezone.now(),
                                             message=f"失败：{e}"[:500])
        return
    except Exception as e:  # the failure is the user's information: kept on the row, and logged
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, finished_at=timezone.now(),
                                             message=f"失败：{e}"[:500])
        return
    finally:
        progress.close()
    Job.objects.filter(pk=job.pk).update(state=Job.State.DONE, progress=100, result=result,
                                         finished_at=timezone.now())


@job_task("jobs.batch_districts")
def batch_districts(job, progress, *, steps: list[str], codes: list[str] | None = None,
                    workers: int | None = None) -> dict:
    """Walking times, coverage and hot spots per district on Dask (layers.jobs.districts); the
    progress reads "n / N 个区" and names each failed district. Failed districts do not fail
    the job: they are listed in its message and result."""
    from layers.grids.models import District
    from layers.jobs.districts import check_steps, district_codes, progress_text, run_per_district

    try:
        steps, codes = check_steps(steps), district_codes(codes)
    except ValueError as e:
        raise JobFailed(str(e)) from e
    names = dict(District.objects.values_list("code", "name"))
    seen = []
    progress(0, f"0 / {len(codes)} 个区")

    def report(outcome) -> None:
        seen.append(outcome)
        done, text = progress_text(seen, len(codes), steps, names)
        progress(100 * done / max(len(codes), 1), text)

    outcomes = run_per_district(steps, codes, workers=workers, on_progress=report)
    _, text = progress_text(outcomes, len(codes), steps, names)
    return {"summary": text, "failed": sorted({o.code for o in outcomes if not o.ok}),
            "districts": [o.as_dict() for o in outcomes]}
