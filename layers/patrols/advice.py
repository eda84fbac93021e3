"""What the patrol page says next to its map: the hot spots of the filter, the route (or why
there is none) and, in plain Chinese, how the route's stops were chosen.

Both the page (side panel) and its map frame call :func:`patrol_advice`, so the refusal of a
route (no network, stops off the network) and the note on a busy cell that is 不显著 read the
same in both places.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from layers.patrols import hotspots
from layers.patrols.counts import IncidentFilter, IncidentQueryError
from layers.patrols.route import PatrolPlan, PatrolPlanError, plan_patrol
from layers.patrols.start import StartPoint


@dataclass
class PatrolAdvice:
    """The hot spot result, the plan (None when refused), the refusal and the notes."""

    result: hotspots.HotspotResult | None
    plan: PatrolPlan | None
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        """Everything to show, refusal first."""
        route = []
        if self.plan is not None and not self.plan.fallback:
            route = [f"巡逻路线{self.plan.rank_label}。"]
        warnings = list(self.plan.warnings) if self.plan is not None else []
        error = self.error if "无法生成巡逻路线" in self.error else f"无法生成巡逻路线：{self.error}"
        notes = [n for n in self.notes if n not in warnings]
        return ([error] if self.error else []) + warnings + notes + route


def patrol_advice(flt: IncidentFilter, *, cell: str = "grid", rank: str = "gi", start: StartPoint | None = None,
                  return_to_start: bool = False, dwell_minutes: float | None = None) -> PatrolAdvice:
    """Hot spots of ``flt`` per ``cell`` and the patrol plan ranked by ``rank`` (gi|count),
    from ``start`` (none: the route's best end), back to it when ``return_to_start``."""
    rank = rank if rank in hotspots.RANKINGS else "gi"
    start = start or StartPoint()
    try:
        result = hotspots.hotspots(flt, kind=cell)
    except IncidentQueryError as e:
        return PatrolAdvice(None, None, str(e))
    notes = hotspots.ranking_notes(result)
    try:
        plan = plan_patrol(result, rank=rank, start_lon_lat=start.lon_lat, start_name=start.name or "起点",
                           return_to_start=return_to_start, dwell_minutes=dwell_minutes)
    except (PatrolPlanError, IncidentQueryError) as e:
        return PatrolAdvice(result, None, str(e), notes)
    return PatrolAdvice(result, plan, "", notes)
