"""辖区汇总 (区 → 街道 → 社区 → 网格) and the priority-group ledgers (台账): the leaders' pages.

Figures come from layers.summaries (one home); which grids a user's pages cover is
layers.accounts.visibility's answer. A bad ?period= is a 400 naming it; a unit out of scope a 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from layers.accounts.roles import SUMMARY_PAGES
from layers.accounts.visibility import can_see_pii
from layers.facilities.models import FacilityType
from layers.incidents.lifecycle import IncidentStatus
from layers.incidents.models import IncidentCategory
from layers.jobs.models import Job
from layers.jobs.services import submit
from layers.summaries import background, charts, figures, ledger, queries, services
from layers.summaries.periods import PeriodError, parse_period

summary_required = permission_required(SUMMARY_PAGES, raise_exception=True)
CHILD_COLUMNS = (("households", "户数"), ("residents", "人口"), ("priority", "重点人群户次"), ("reported", "上报事件"),
                 ("closed", "已结案"), ("close_rate", "结案率"), ("on_time_rate", "按期结案率"),
                 ("satisfaction_rate", "满意率"), ("overdue", "逾期未结"), ("visit_rate", "走访完成率"),
                 ("circle_rate", "生活圈完整率"))
"""The columns of the children's table (keys of layers.summaries.figures.HEADLINE)."""


def _bad(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "pages/summary_error.html", {"message": message}, status=400)


def _open(request: HttpRequest, level: str, code: str | None):
    """(period, unit, grid rows, child level) or an HttpResponse for a bad parameter."""
    try:
        period = parse_period(request.POST.get("period") if request.method == "POST" else request.GET.get("period"))
        unit, rows, child_level = services.open_unit(request.user, level, code)
    except (PeriodError, services.SummaryError) as e:
        return _bad(request, str(e))
    except services.NotInScope as e:
        raise Http404("没有该单位或不在您的管辖范围内") from e
    return period, unit, rows, child_level


@login_required
@summary_required
def summary_page(request: HttpRequest, level: str = "all", code: str | None = None) -> HttpResponse:
    """One level's figures against the previous month, its children (drillable), the breakdowns
    by group, category, status and facility type, and twelve months of trends."""
    opened = _open(request, level, code)
    if isinstance(opened, HttpResponse):
        return opened
    period, unit, rows, child_level = opened
    answer = background.summary_for(request.user, level, code, period, opened=(unit, rows, child_level))
    if answer.value is None:  # a large unit's first summary: the worker computes it
        return render(request, "pages/summary_pending.html", {"unit": unit, "period": period, "job": answer.job,
                                                              "grid_count": len(rows)})
    summary = answer.value
    counts = summary.total.current
    categories = [(c.name, counts.get(f"category:{c.code}", 0), summary.total.previous.get(f"category:{c.code}", 0))
                  for c in IncidentCategory.objects.order_by("group", "code")]
    statuses = [(label, counts.get(f"status:{value}", 0)) for value, label in IncidentStatus.choices]
    groups = [(g, counts.get(f"group:{g}", 0), summary.total.previous.get(f"group:{g}", 0))
              for g in figures.LEDGER_GROUPS]
    households = counts.get("households", 0)
    coverage = [(t.name, t.level_minutes, counts.get(f"cov:{t.code}", 0),
                 figures.percent(figures.rate(counts.get(f"cov:{t.code}", 0), households)))
                for t in FacilityType.objects.all()]
    def columns(row: services.Row) -> list[figures.Figure]:
        by_key = {f.key: f for f in row.figures}
        return [by_key[k] for k, _ in CHILD_COLUMNS]

    children = [(row, columns(row)) for row in summary.children]
    return render(request, "pages/summary.html", {
        "summary": summary, "unit": unit, "period": period, "previous": period.previous(),
        "headline": summary.total.figures, "children": children, "categories": categories,
        "statuses": statuses, "groups": groups, "coverage": coverage, "charts": charts.trend_charts(summary.trend),
        "child_columns": [label for _, label in CHILD_COLUMNS], "child_total": columns(summary.total),
        "child_level_name": figures.LEVEL_NAMES.get(summary.child_level or "", ""),
        "circle_minutes": queries.circle_minutes(), "as_of": answer.as_of, "job": answer.job,
    })


@login_required
@summary_required
def ledger_page(request: HttpRequest, level: str = "all", code: str | None = None) -> HttpResponse:
    """台账: per group the households in the register at the month's end, who joined and who left
    (masked on the page), and the Excel export of the level."""
    opened = _open(request, level, code)
    if isinstance(opened, HttpResponse):
        return opened
    period, unit, rows, _ = opened
    ids = [r["id"] for r in rows]
    changes = ledger.entries(ids, period, only_changes=True)
    job = None
    if (job_id := request.GET.get("job", "")).isdigit() and len(job_id) < 12:
        job = Job.objects.filter(pk=int(job_id), user=request.user, kind="summaries.export_ledger").first()
    return render(request, "pages/summary_ledger.html", {
        "unit": unit, "period": period, "job": job, "totals": ledger.group_totals(ids, period),
        "changes": [(e, e.note(period)) for e in changes], "may_export": request.user.has_perm("summaries.export_ledger"),
        "full": can_see_pii(request.user),
    })


@login_required
@summary_required
@permission_required("summaries.export_ledger", raise_exception=True)
@require_POST
def ledger_export(request: HttpRequest, level: str = "all", code: str | None = None) -> HttpResponse:
    """Queue the month's ledger of the level as .xlsx (POST; the worker writes it: a district
    takes seconds): full personal data for a user entitled to it (logged per household)
    unless ``masked``, masked for everyone else. Back to the ledger page, which follows the job."""
    opened = _open(request, level, code)
    if isinstance(opened, HttpResponse):
        return opened
    period, unit, _, _ = opened
    masked = request.POST.get("masked") == "1" or not can_see_pii(request.user)
    job = submit("summaries.export_ledger", key=f"{request.user.pk}:{unit.level}:{unit.code}:{period.key}:{int(masked)}",
                 label=f"{unit.name}{period.label}重点人群台账导出", user=request.user,
                 params={"level": unit.level, "code": unit.code, "period": period.key, "masked": masked})
    back = reverse("summary_ledger_all") if unit.level == "all" else reverse("summary_ledger", args=[unit.level, unit.code])
    return redirect(f"{back}?period={period.key}&job={job.pk}")
