"""Background tasks of walking access (run by the worker, queued by layers.jobs.services.submit)."""

from __future__ import annotations

from layers.jobs.tasks import job_task


@job_task("facilities.access_refresh")
def access_refresh(job, progress) -> dict:
    """Recompute the circles and walking times that facility, household or network
    changes have queued (layers.facilities.walking.refresh)."""
    from layers.facilities.walking.refresh import refresh_pending

    progress(5, "正在更新步行时间与服务圈")
    result = refresh_pending()
    return {"summary": result.summary()}


@job_task("facilities.suggest_sites")
def suggest_sites(job, progress, *, type_code: str, count: int) -> dict:
    """The maximal covering model for ``count`` new sites of ``type_code`` (stored as
    SuggestedSite rows, shown on the planner page and map)."""
    from layers.facilities.walking.sites import suggest

    progress(10, "正在读取步行时间与候选地点")
    result = suggest(type_code, count)
    total = max(result.households, 1)
    return {"covered_before": result.covered_before, "covered_after": result.covered_after,
            "households": result.households,
            "summary": f"已计算 {count} 处建议选址：覆盖户数 {result.covered_before} → {result.covered_after}"
                       f"（{result.covered_before / total:.1%} → {result.covered_after / total:.1%}）"}
