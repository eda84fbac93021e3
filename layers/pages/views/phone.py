"""The grid worker's phone pages: 今日任务 (today), household search and 我的 (me).

Everything comes through layers.accounts.visibility (a worker sees their assigned grids
only) and names, ID numbers and phones are shown masked (layers.people.masking).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from layers.accounts import visibility
from layers.facilities.walking.from_here import walking_metres_from
from layers.grids.crs import metric_srids_for_lonlat
from layers.incidents import lifecycle, limits
from layers.incidents.models import IncidentStatus
from layers.maps.worker import countdown_text
from layers.people.addresses import natural_sorted
from layers.people.models import Household, HouseholdTag
from layers.people.priority import VisitDue, visit_due

worker_required = permission_required("people.view_household", raise_exception=True)
VULNERABLE = sorted(HouseholdTag.vulnerable())
SORT_LIMIT = 5000  # search results sorted naturally by address up to this many


class PositionError(ValueError):
    """lat/lon query parameters that are not a position in China (message in Chinese)."""


def parse_position(params) -> tuple[float, float] | None:
    """(lon, lat) WGS84 degrees from the ``lat``/``lon`` query parameters; None when both are
    absent; PositionError naming the parameter when one is missing, not a number or outside China."""
    lat_text, lon_text = (params.get("lat") or "").strip(), (params.get("lon") or "").strip()
    if not lat_text and not lon_text:
        return None
    values = {}
    for name, label, text, low, high in (("lat", "纬度", lat_text, 3.0, 54.0), ("lon", "经度", lon_text, 73.0, 136.0)):
        if not text:
            raise PositionError(f"位置无效：缺少{label}（{name}）")
        try:
            value = float(text)
        except ValueError:
            raise PositionError(f"位置无效：{label}（{name}）「{text[:20]}」不是数字") from None
        if not (low <= value <= high):  # also refuses nan and inf
            raise PositionError(f"位置无效：{label}（{name}）须在 {low:g}–{high:g} 度之间（中国境内）")
        values[name] = value
    return values["lon"], values["lat"]


@dataclass(frozen=True)
class DueHousehold:
    household: Household
    due: VisitDue
    distance_m: float | None
    walked: bool


def due_households(user, here: tuple[float, float] | None, *, today=None) -> list[DueHousehold]:
    """The user's priority households due for a visit (layers.people.priority), nearest first
    by walking distance from ``here`` (lon, lat); without a position, the longest unvisited first."""
    today = today or timezone.localdate()
    households = list(visibility.visible_households(user).filter(tags__overlap=VULNERABLE).select_related("grid"))
    due = [(h, d) for h in households if (d := visit_due(h.pk, h.tags, h.last_visit, today)) is not None]
    if not due:
        return []
    if here is None:
        rows = [DueHousehold(h, d, None, False) for h, d in due]
        # Never visited first, then the longest past its interval.
        return sorted(rows, key=lambda r: (r.due.days_late is not None, -(r.due.days_late or 0)))
    lonlat = np.array([[h.geom.x, h.geom.y] for h, _ in due])
    srid = int(metric_srids_for_lonlat(np.array([here]))[0])
    found = walking_metres_from(here, lonlat, srid=srid)
    rows = [DueHousehold(h, d, float(m), bool(w))
            for (h, d), m, w in zip(due, found.distance_m, found.on_network, strict=True)]
    return sorted(rows, key=lambda r: r.distance_m)


@login_required
@worker_required
def today(request: HttpRequest) -> HttpResponse:
    """今日任务: overdue and nearly overdue cases, cases waiting for 核查 or 回访, and priority
    households due for a visit, nearest first from where the worker stands (?lat=&lon=)."""
    user, now = request.user, timezone.now()
    try:
        here, position_error = parse_position(request.GET), ""
    except PositionError as e:
        here, position_error = None, str(e)
    overdue, due_soon = [], []
    cases = (visibility.visible_incidents(user).select_related("category", "grid").order_by("reported_at"))
    # 超时 and 临期 on the running stage's clock (layers.incidents.limits), as on every list.
    for i in limits.with_stage_deadline(cases.filter(status__in=lifecycle.OPEN_STATUSES)):
        clock = limits.stage_clock(i, now=now)
        if clock is not None and clock.state == limits.OVERDUE:
            overdue.append((i, countdown_text(i, now=now)))
        elif clock is not None and clock.state == limits.WARNING:
            due_soon.append((i, countdown_text(i, now=now)))
    # 核查 by someone other than the reporter (lifecycle.may_verify): the worker's own reports are
    # listed with a note, so that they know someone else has to do it.
    to_verify = [(i, lifecycle.may_verify(i, user)) for i in cases.filter(status=IncidentStatus.FEEDBACK)]
    to_evaluate = list(cases.filter(status=IncidentStatus.CLOSED))
    households = due_households(user, here)
    context = {
        "overdue": overdue, "due_soon": due_soon, "warning_percent": round(limits.warning_fraction() * 100),
        "to_verify": to_verify, "to_evaluate": to_evaluate, "households": households,
        "here": here, "position_error": position_error, "any_straight": any(not r.walked for r in households),
        "default_days": settings.GRIDMAP_VISIT_DUE_DAYS, "by_tag_days": settings.GRIDMAP_VISIT_DUE_DAYS_BY_TAG,
    }
    return render(request, "pages/today.html", context, status=400 if position_error else 200)


def search_households(user, q: str, *, priority: bool = False):
    """The user's households matching ``q``: in the head's name or the address, the phone
    (3+ digits), or the end of the ID number (4+ characters)."""
    households = visibility.visible_households(user).select_related("grid")
    if priority:
        households = households.filter(tags__overlap=VULNERABLE)
    q = q.strip()
    if q:
        match = Q(head_name__icontains=q) | Q(address__icontains=q)
        compact = q.replace(" ", "").replace("-", "")
        if compact.isdigit() and len(compact) >= 3:
            match |= Q(phone__contains=compact)
        if len(compact) >= 4 and compact[:-1].isdigit() and (compact[-1].isdigit() or compact[-1] in "xX"):
            match |= Q(id_number__iendswith=compact)
        households = households.filter(match)
    return households


@login_required
@worker_required
def household_search(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "")[:50]
    priority = request.GET.get("priority") == "1"
    households = search_households(request.user, q, priority=priority).order_by("address", "id")
    # Natural order is worked out in Python: up to SORT_LIMIT matches (a worker's grids hold a few
    # hundred households); beyond, the database's text order and a note to narrow the search.
    total = households.count()
    found = natural_sorted(households[:SORT_LIMIT], key=lambda h: h.address) if total <= SORT_LIMIT else households
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "pages/household_search.html", {"q": q, "priority": priority, "page": page,
                                                           "natural": total <= SORT_LIMIT})


@login_required
def me(request: HttpRequest) -> HttpResponse:
    """我的: who is logged in, their grids, and the account links."""
    grids = visibility.visible_grids(request.user).select_related("community").order_by("code")
    return render(request, "pages/me.html", {"grids": grids[:50], "n_grids": grids.count()})
