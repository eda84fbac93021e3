"""The district (区) as the first filter of the pages: which districts the user holds, which one
the query string asks for (?district=510104), and the select that says it.

The select is shown only to a user holding more than one district, so that an installation of
one district looks as before. "全部" (every district held) is offered where the analysis can
take several districts at once; where it cannot (hot spots over districts in different
Gauss–Krüger zones; coverage over more grids than settings.GRIDMAP_OVERVIEW_MAX_GRIDS, a
province), a district is required: the first one held is shown, with a note saying how to
choose another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest

from layers.accounts.visibility import grids_beyond_overview, visible_districts
from layers.grids.crs import district_metric_srid


@dataclass
class DistrictChoice:
    districts: list = field(default_factory=list)
    code: str | None = None
    allow_all: bool = True
    note: str = ""

    @property
    def show(self) -> bool:
        return len(self.districts) > 1

    @property
    def query(self) -> str:
        """``district=CODE`` for links and frames (empty for every district)."""
        return f"district={self.code}" if self.code else ""

    @property
    def label(self) -> str:
        chosen = next((d for d in self.districts if d.code == self.code), None)
        return chosen.name if chosen else "全部"


def one_zone(districts) -> bool:
    """Do the districts share one metric CRS (so that one analysis can take them all)?"""
    return len({district_metric_srid(d) for d in districts}) <= 1


def district_choice(request: HttpRequest, *, require_one_zone: bool = False, say: bool = True,
                    one_when_large: bool = False) -> DistrictChoice:
    """The districts ``request.user`` holds and the one ?district= chooses (None: all). A code
    the user does not hold is said in a message (unless ``say`` is False: map frames) and ignored. With ``require_one_zone`` (an
    analysis in one metric CRS), "全部" is offered only when the districts share a zone;
    otherwise the first district held is taken and ``note`` says why. With ``one_when_large``
    (an analysis read row by row, e.g. coverage), likewise when the user holds more grids than
    settings.GRIDMAP_OVERVIEW_MAX_GRIDS (a province's coverage in one request took minutes)."""
    districts = list(visible_districts(request.user).defer("geom").order_by("code"))  # on every page: no outline
    code = request.GET.get("district") or None
    if code and code not in {d.code for d in districts}:
        if say:
                messages.error(request, f"区划代码 {code[:12]} 不存在或不在您的管辖范围内，已显示全部辖区")
        code = None
    choice = DistrictChoice(districts, code)
    if require_one_zone and not one_zone(districts):
        choice.allow_all = False
        if code is None:
            choice.code = districts[0].code
            choice.note = (f"各区位于不同的投影带，热点分析须逐区进行：当前显示 {districts[0].name}（{districts[0].code}），"
                           "可在「区」中选择其他区。")
    grids = grids_beyond_overview(request.user, len(districts)) if one_when_large and choice.allow_all else 0
    if grids:
        choice.allow_all = False
        if code is None:
            choice.code = districts[0].code
            choice.note = (f"辖区共 {grids} 个网格，须逐区查看：当前显示 "
                           f"{districts[0].name}（{districts[0].code}），可在「区」中选择其他区。")
    return choice
