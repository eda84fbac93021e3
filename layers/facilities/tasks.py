"""Background tasks of walking access (run by the worker, queued by layers.jobs.services.submit)."""

from __future__ import annotations

from layers.jobs.tasks import job_task


@job_task("facilities.access_refresh")
def access_refresh(job, progress) -> dict:
    """Recompute the circles and walking times that facility, household or network
    changes have queued (layers.facilities.walking.refresh)."""
    from layers.facilities.walking.completeness import compute_snapshots
    from layers.facilities.walking.refresh import refresh_pending

    progress(5, "正在更新步行时间与服务圈")
    result = refresh_pending()
    # Completeness reads every walking time: kept current here, in the worker, not in a page.
    progress(80, "正在计算生活圈完整度")
    compute_snapshots()
    return {"summary": result.summary()}


@job_task("facilities.completeness")
def completeness(job, progress) -> dict:
    """Life-circle completeness per community and grid from the stored walking times."""
    from layers.facilities.walking.completeness import compute_snapshots
    from layers.facilities.walking.refresh import refresh_pending

    progress(5, "正在更新步行时间")
    refresh_pending()
    progress(40, "正在计算生活圈完整度")
    snapshots = compute_snapshots()
    return {"summary": f"已计算 {len(snapshots[0].rows)} 个社区的生活圈完整度"}


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


@job_task("facilities.planner_export")
def planner_export(job, progress, *, type_code: str, district: str | None, kind: str) -> dict:
    """The planner's tables as Excel (``kind`` "xlsx") or the A4 report as PDF ("pdf"),
    attached to the job as its result file."""
    import tempfile
    from pathlib import Path

    from django.core.files import File

    from layers.facilities.models import FacilityType
    from layers.facilities.walking.completeness import compute_snapshots, is_current
    from layers.facilities.walking.planner_tables import collect
    from layers.jobs.models import Job
    from layers.jobs.tasks import JobFailed

    ftype = FacilityType.objects.filter(code=type_code).first()
    if ftype is None or kind not in ("xlsx", "pdf"):
        msg = f"无法导出：设施类型 {type_code[:40]} 或格式 {kind[:10]} 无效"
        raise JobFailed(msg)
    from layers.facilities.models import CompletenessSnapshot

    if not is_current(CompletenessSnapshot.objects.filter(level="community").first()):
        progress(10, "正在计算生活圈完整度")
        compute_snapshots()
    progress(40, "正在整理表格")
    tables = collect(ftype, district)
    name = f"设施覆盖_{ftype.name.replace('/', '_')}_{tables.district_label}_{timezone_stamp()}.{kind}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"report.{kind}"
        if kind == "xlsx":
            from layers.facilities.export_xlsx import write_xlsx

            write_xlsx(tables, path)
        else:
            from layers.facilities.report_pdf import ReportError, write_pdf

            progress(55, "正在绘制地图与表格")
            try:
                write_pdf(tables, path)
            except ReportError as e:
                raise JobFailed(str(e)) from e
        with path.open("rb") as f:
            job.result_file.save(f"{job.pk}/{name}", File(f), save=False)
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)
    what = "Excel 表格" if kind == "xlsx" else "PDF 报告"
    return {"summary": f"已生成{what}，可下载", "file": job.result_file.name}


def timezone_stamp() -> str:
    from django.utils import timezone

    return timezone.localtime().strftime("%Y%m%d_%H%M")


@job_task("facilities.scenario")
def scenario(job, progress, *, scenario_id: int) -> dict:
    """Coverage and completeness of a planning scenario (and of today), stored on the scenario."""
    from layers.facilities.models import Scenario
    from layers.facilities.walking.refresh import refresh_pending
    from layers.facilities.walking.scenarios import evaluate
    from layers.jobs.tasks import JobFailed

    found = Scenario.objects.filter(pk=scenario_id).first()
    if found is None:
        msg = "情景不存在（可能已被删除）"
        raise JobFailed(msg)
    progress(5, "正在更新现状步行时间")
    refresh_pending()
    progress(30, "正在计算情景的步行时间")
    evaluate(found)
    return {"summary": f"情景「{found.name}」已计算"}
