"""Background work of the summaries (layers.jobs): the Excel ledger of a level (a district's
takes seconds to write, so a page only queues it and the worker writes it), and the summaries
of units too large to compute in a request (layers.summaries.background)."""

from __future__ import annotations

from django.core.files.base import ContentFile

from layers.accounts.roles import SUMMARY_PAGES
from layers.accounts.visibility import can_see_pii
from layers.jobs.models import Job
from layers.jobs.tasks import JobFailed, job_task
from layers.summaries import background, ledger, services
from layers.summaries.periods import PeriodError, parse_period


@job_task("summaries.export_ledger")
def export_ledger(job, progress, *, level: str, code: str, period: str, masked: bool = False) -> dict:
    """The month's ledger of one level for the job's user, as the page would show them: their
    grids only; full personal data only if they may see it and did not ask for the masked file
    (then logged once per household)."""
    user = job.user
    if user is None or not user.is_active:
        raise JobFailed("提交导出的用户已不存在或已停用，未导出")
    if not user.has_perms([*SUMMARY_PAGES, "summaries.export_ledger"]):
        raise JobFailed("无权导出重点人群台账")
    try:
        month = parse_period(period)
        unit, rows, _ = services.open_unit(user, level, code or None)
    except (PeriodError, services.SummaryError) as e:
        raise JobFailed(str(e)) from e
    except services.NotInScope as e:
        raise JobFailed("没有该单位或不在您的管辖范围内") from e
    full = can_see_pii(user) and not masked
    progress(10, "正在读取台账")
    ids = [r["id"] for r in rows]
    items = ledger.entries(ids, month, masked=not full)
    progress(40, f"正在写入 {len(items)} 条")
    body = ledger.workbook(items, ledger.group_totals(ids, month), month, title=unit.name)
    job.result_file.save(f"{job.pk}/重点人群台账_{unit.code or '全部'}_{month.key}.xlsx", ContentFile(body), save=False)
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)  # the state is run_job's
    if full:
        ledger.log_unmasked(user, items, via=f"台账导出 {unit.level}:{unit.code or '全部'} {month.key}")
    note = "（含完整个人信息，已记录）" if full else "（个人信息已脱敏）"
    return {"rows": len(items), "masked": not full, "summary": f"已导出{unit.name}{month.label}台账 {len(items)} 条{note}"}


@job_task(background.KIND)
def compute_summary(job, progress, *, level: str, code: str, period: str, what: str = "summary") -> dict:
    """A large unit's summary (or a level's table) for the job's user, kept for its pages
    (layers.summaries.background)."""
    return background.store(job, progress, level=level, code=code, period=period, what=what)
