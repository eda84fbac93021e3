"""Background tasks of the patrol analysis (run by the worker, queued by layers.patrols.cache.recent)."""

from __future__ import annotations

from layers.jobs.tasks import job_task


@job_task("patrols.refresh")
def refresh(job, progress, *, what: str, filter: dict, options: dict) -> dict:  # noqa: A002 - the params' name
    """Recompute one patrol analysis at the current data (a window ending now ends at the
    worker's now) and keep it as the answer the pages serve."""
    from django.utils import timezone

    from layers.patrols.cache import refresh_now

    progress(10, "正在更新巡防热点分析")
    answer = refresh_now(what, filter, options)
    return {"summary": f"巡防热点分析已更新（截至 {timezone.localtime(answer.as_of):%H:%M:%S}）"}
