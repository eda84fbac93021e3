"""Background tasks of the patrol analysis (run by the worker, queued by layers.jobs.services.submit)."""

from __future__ import annotations

import datetime as dt

from layers.jobs.tasks import job_task


@job_task("patrols.period_check")
def period_check(job, progress, *, days: int, today: str, categories: list[str], district: str | None,
                 kind: str) -> dict:
    """The page's evaluation (last period's hot spots against this period's incidents, next to
    the count ranking), kept in the patrol cache where the page reads it."""
    from layers.patrols.cache import put
    from layers.patrols.evaluation import period_check as check

    progress(10, "正在检验上期热点对本期事件的预测")
    options = period_options(days=days, today=today, categories=categories, district=district, kind=kind)
    result = check(days, today=dt.date.fromisoformat(today), categories=tuple(categories), district=district,
                   kind=kind)  # fmt: skip
    put("period_check", result, **options)
    return {"summary": result.verdict_zh}


def period_options(*, days: int, today: str, categories, district: str | None, kind: str) -> dict:
    """The cache options of one period check (the same in the page and the job)."""
    return {"days": int(days), "today": str(today), "categories": tuple(sorted(categories)),
            "district": district or "", "kind": kind}


@job_task("patrols.refresh")
def refresh(job, progress, *, what: str, filter: dict, options: dict) -> dict:  # noqa: A002 - the params' name
    """Recompute one patrol analysis at the current data (a window ending now ends at the
    worker's now) and keep it as the answer the pages serve."""
    from django.utils import timezone

    from layers.patrols.cache import refresh_now

    progress(10, "正在更新巡防热点分析")
    answer = refresh_now(what, filter, options)
    return {"summary": f"巡防热点分析已更新（截至 {timezone.localtime(answer.as_of):%H:%M:%S}）"}
