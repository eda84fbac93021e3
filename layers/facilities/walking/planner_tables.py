"""The planner's tables, shared by the 设施覆盖 page and its exports (Excel, PDF): coverage per
community with the suggested sites' before/after, the numbered site list, and why a 重点人群
cell is empty."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from layers.facilities.models import FacilityType, SuggestedSite
from layers.facilities.walking.reports import CoverageRow, coverage_rows
from layers.people.models import HouseholdTag


@dataclass(frozen=True)
class BeforeAfter:
    """One community's coverage before and after the suggested sites (households; the
    priority group's households when the type has one)."""

    code: str
    name: str
    households: int
    covered_before: int
    covered_after: int
    focus_households: int
    focus_before: int
    focus_after: int
    total: bool = False

    @property
    def share_before(self) -> float | None:
        return self.covered_before / self.households if self.households else None

    @property
    def share_after(self) -> float | None:
        return self.covered_after / self.households if self.households else None

    @property
    def focus_share_before(self) -> float | None:
        return self.focus_before / self.focus_households if self.focus_households else None

    @property
    def focus_share_after(self) -> float | None:
        return self.focus_after / self.focus_households if self.focus_households else None


def focus_tags(ftype: FacilityType) -> list[str]:
    """The priority-group tags of a type (settings.GRIDMAP_COVERAGE_FOCUS_TAGS), may be none."""
    return list(settings.GRIDMAP_COVERAGE_FOCUS_TAGS.get(ftype.code, []))


def focus_note(ftype: FacilityType) -> str:
    """Why the 重点人群 column may read "—", in words for the page and the report."""
    tags = focus_tags(ftype)
    if not tags:
        return (f"「{ftype.name}」未设定对应的重点人群（目前只为养老、托幼类设施设定），"
                "因此重点人群列显示“—”；可在设置 GRIDMAP_COVERAGE_FOCUS_TAGS 中为其指定住户标签。")
    labels = "、".join(str(HouseholdTag(t).label) if t in HouseholdTag.values else t for t in tags)
    return f"重点人群指带有「{labels}」标签的住户；某社区显示“—”表示该社区没有这类住户。"


def community_rows(ftype: FacilityType, district: str | None) -> list[CoverageRow]:
    """Coverage per community of one district (all when None), the total last."""
    return [r for r in coverage_rows(level="community", type_code=ftype.code, district=district) if r.code]


def sites(ftype: FacilityType, district: str | None) -> list[SuggestedSite]:
    from layers.accounts.visibility import in_district

    return list(in_district(SuggestedSite.objects.filter(facility_type=ftype), district).order_by("rank"))


def before_after(rows: list[CoverageRow], chosen: list[SuggestedSite]) -> list[BeforeAfter]:
    """Each community's (and the total's) coverage before and after ``chosen``: the sites'
    per-community gains (counted once across sites) added to today's coverage."""
    gains: dict[str, list[int]] = {}
    for site in chosen:
        for code, (households, focus) in (site.community_gains or {}).items():
            entry = gains.setdefault(code, [0, 0])
            entry[0] += int(households)
            entry[1] += int(focus)
    table = []
    # The total adds the gains of the communities listed (and of households outside every
    # grid when the table is not kept to one district), so that it is the sum of its rows.
    listed = {r.code for r in rows if not r.total} | ({""} if any(r.district is None and r.total == "all"
                                                               for r in rows) else set())
    all_gain = [sum(g[0] for c, g in gains.items() if c in listed), sum(g[1] for c, g in gains.items() if c in listed)]
    for r in rows:
        if r.total == "district":
            continue
        gain = all_gain if r.total == "all" else gains.get(r.code or "", [0, 0])
        table.append(BeforeAfter(r.code or "", r.name, r.households, r.covered_households,
                                 r.covered_households + gain[0], r.focus_households, r.focus_covered,
                                 r.focus_covered + gain[1], total=bool(r.total)))
    return table


@dataclass(frozen=True)
class PlannerTables:
    """Everything the exports print for one type and district (None: all)."""

    ftype: FacilityType
    district: str | None
    district_label: str
    rows: list[CoverageRow]
    sites: list[SuggestedSite]
    before_after: list[BeforeAfter]
    completeness: list
    levels: list[int]
    completeness_at: object
    focus_note: str
    has_focus: bool


def collect(ftype: FacilityType, district: str | None) -> PlannerTables:
    """The planner's tables (reads the completeness snapshot; the caller keeps it current)."""
    from layers.facilities.walking.completeness import completeness_lines
    from layers.grids.models import District

    rows = community_rows(ftype, district)
    chosen = sites(ftype, district)
    lines, levels, snapshot = completeness_lines("community", district=district)
    label = District.objects.filter(code=district).values_list("name", flat=True).first() if district else None
    return PlannerTables(ftype, district, label or "全部辖区", rows, chosen, before_after(rows, chosen), lines, levels,
                         snapshot.computed_at if snapshot else None, focus_note(ftype), bool(focus_tags(ftype)))
