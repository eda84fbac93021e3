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
