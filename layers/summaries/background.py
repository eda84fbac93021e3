"""Large summaries are computed by the background worker, never in a page request.

The summary of a unit of a few thousand grids reads its households, visits, ledger and cases in
seconds; a whole province's (25,200 grids, 10 million households) took 42–150 s, far longer than
a request may run (gunicorn restarts a worker after 120 s). Above
``settings.GRIDMAP_SUMMARY_BACKGROUND_GRIDS`` grids the page and the API ask the worker
(``summaries.compute``, one job per question however many people ask) and show the latest
result with the time it was computed; a result older than
``settings.GRIDMAP_SUMMARY_MAX_AGE_SECONDS`` is shown while the worker computes the next one.
Results are kept per user scope: everyone who sees every grid shares them; anyone else has
their own. The same rule holds for a level's table of every unit (``/api/summary/`` without a
code).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from layers.accounts.visibility import visible_grid_count
from layers.jobs.models import Job
from layers.jobs.services import submit
from layers.jobs.tasks import JobFailed
from layers.summaries import services
from layers.summaries.figures import LEVEL_NAMES
from layers.summaries.periods import Period, PeriodError, parse_period

KIND = "summaries.compute"
KEEP_S = 7 * 24 * 3600  # the last result stays shown (with its time) until the next one replaces it


@dataclass(frozen=True)
class Answer:
    """Figures for a page: ``value`` (a Summary, or a table's list of Rows; None while the first
    ones are computed), the moment they were computed (``as_of``, None when computed for this
    request) and the job computing the next ones (None when none is needed)."""

    value: services.Summary | list[services.Row] | None
    as_of: dt.datetime | None
    job: Job | None


def _question(user, what: str, level: str, code: str | None, period: Period) -> str:
    scope = "all" if services.sees_all(user) else f"user{user.pk}"
    return f"{scope}:{what}:{level}:{code or ''}:{period.key}"


def _key(question: str) -> str:
    return "gridmap:summary:" + hashlib.sha256(question.encode()).hexdigest()[:40]


def _latest(user, what: str, level: str, code: str | None, period: Period, label: str) -> Answer:
    """The worker's latest figures for the question, and a job when there are none or they are old."""
    question = _question(user, what, level, code, period)
    kept = cache.get(_key(question))
    job = None
    if kept is None or (timezone.now() - kept[0]).total_seconds() > settings.GRIDMAP_SUMMARY_MAX_AGE_SECONDS:
        job = submit(KIND, key=question, label=label, user=user,
                     params={"what": what, "level": level, "code": code or "", "period": period.key})
    return Answer(kept[1] if kept else None, kept[0] if kept else None, job)


def summary_for(user, level: str, code: str | None, period: Period, *, trend: bool = True,
                opened: tuple | None = None) -> Answer:
    """The summary of the unit ``level``/``code`` for ``period`` as ``user`` sees it: computed here
    when the unit has few grids, else the worker's latest (see the module's doc). NotInScope
    and SummaryError as services.summarize; the worker's summary always has its trend.
    ``opened``: what services.open_unit answered already (the page opens the unit first)."""
    unit, rows, _child = opened or services.open_unit(user, level, code)
    if len(rows) <= settings.GRIDMAP_SUMMARY_BACKGROUND_GRIDS:
        return Answer(services.summarize(user, level, code, period, trend=trend), None, None)
    return _latest(user, "summary", level, code, period, f"{unit.name}{period.label}汇总")


def table_for(user, level: str, period: Period) -> Answer:
    """Every unit of ``level`` the user may see with its figures (services.table), by the same
    rule as :func:`summary_for`: above the limit the worker's latest."""
    services.check_level(level, None, code_required=False)
    services.check_table_scope(user, level)
    if visible_grid_count(user) <= settings.GRIDMAP_SUMMARY_BACKGROUND_GRIDS:
        return Answer(services.table(user, level, period), None, None)
    return _latest(user, "table", level, None, period, f"各{LEVEL_NAMES[level]}{period.label}汇总表")


def store(job, progress, *, level: str, code: str, period: str, what: str = "summary") -> dict:
    """The worker's side (layers.summaries.tasks): compute the summary (or the table) for the
    job's user and keep it for the pages, as of when its reading began."""
    user = job.user
    if user is None or not user.is_active:
        raise JobFailed("提交汇总的用户已不存在或已停用")
    try:
        month = parse_period(period)
        progress(5, "正在读取户、走访、台账和事件")
        started = timezone.now()
        if what == "table":
            value = services.table(user, level, month)
        else:
            value = services.summarize(user, level, code or None, month)
    except (PeriodError, services.SummaryError) as e:
        raise JobFailed(str(e)) from e
    except services.NotInScope as e:
        raise JobFailed("没有该单位或不在您的管辖范围内") from e
    cache.set(_key(_question(user, what, level, code or None, month)), (started, value), KEEP_S)
    if what == "table":
        return {"units": len(value), "summary": f"已计算{month.label}各{LEVEL_NAMES[level]}汇总表（{len(value)} 个）"}
    return {"grids": value.grid_count,
            "summary": f"已计算{value.total.unit.name}{month.label}汇总（{value.grid_count} 个网格）"}
