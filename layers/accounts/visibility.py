"""Who sees which rows: the one place where pages, maps, API, exports and admin scope
their querysets. A grid worker sees only the grids assigned to them and the households and
incidents inside them; a department user (处置部门) sees exactly the incidents sent to their
department(s) and no household; the accounts.view_all_* permissions lift that scope (planners,
patrols, the command centre, administrators). Objects out of scope are simply absent (views
answer 404).
"""

from __future__ import annotations

import operator
from functools import reduce

from django.conf import settings
from django.db.models import Q, QuerySet

from layers.accounts.backends import cached_for_generation
from layers.grids.models import District, Grid
from layers.grids.partitions import district_codes_holding
from layers.incidents.models import Department, Incident
from layers.people.models import Household


def _all(user, scope: str) -> bool:
    return user.is_superuser or user.has_perm(f"accounts.view_all_{scope}")


def assigned_grid_ids(user) -> QuerySet:
    return Grid.objects.filter(assignments__user=user).values("id")


# The path from each model of the hierarchy (or linked to a grid) to its district's code.
DISTRICT_PATHS = {
    "district": "code", "department": "district__code", "street": "district__code", "community": "street__district__code",
    "grid": "community__street__district__code",
}
GRID_LINKED_PATH = "grid__community__street__district__code"


def in_district(qs: QuerySet, district: str | None) -> QuerySet:
    """``qs`` kept to one district (its 6-digit code); unchanged when ``district`` is None.
    Works for districts, streets, communities, grids and rows linked to a grid (households,
    incidents, visits), and facilities (by where they stand); rows outside every grid belong
    to no district."""
    if not district:
        return qs
    if qs.model._meta.model_name in ("facility", "suggestedsite"):
        return qs.filter(geom__intersects=District.objects.filter(code=district).values("geom")[:1])
    path = DISTRICT_PATHS.get(qs.model._meta.model_name, GRID_LINKED_PATH)
    return qs.filter(**{path: district})


def visible_districts(user) -> QuerySet[District]:
    """The districts a user holds: all for planners, patrols and administrators (view_all_grids),
    the districts of their assigned grids for a grid worker, none for anyone else."""
    if not user.is_authenticated:
        return District.objects.none()
    if _all(user, "grids"):
        return District.objects.all()
    return District.objects.filter(streets__communities__grids__id__in=assigned_grid_ids(user)).distinct()


def holds_district(user, district: str | None) -> bool:
    """Does the user hold ``district`` (None, i.e. every district they hold: always)?"""
    return not district or visible_districts(user).filter(code=district).exists()


def visible_grids(user, district: str | None = None) -> QuerySet[Grid]:
    if not user.is_authenticated:
        return Grid.objects.none()
    if _all(user, "grids"):
        return in_district(Grid.objects.all(), district)
    return in_district(Grid.objects.filter(id__in=assigned_grid_ids(user)), district)


def visible_grid_count(user) -> int:
    """How many grids ``user`` holds (what decides whether an analysis of every district at once
    is read in a request, settings.GRIDMAP_OVERVIEW_MAX_GRIDS, or a summary by the worker)."""
    return visible_grids(user).count()


def grids_beyond_overview(user, districts_held: int | None = None) -> int:
    """How many grids ``user`` holds when an analysis read row by row (coverage) must go district
    by district: more than settings.GRIDMAP_OVERVIEW_MAX_GRIDS in more than one district (a
    single district's is what a district-by-district analysis reads anyway); else 0.
    ``districts_held``: how many districts the user holds, when the caller has counted them."""
    if districts_held is None:
        districts_held = visible_districts(user).count()
    if districts_held < 2:
        return 0
    grids = visible_grid_count(user)
    return grids if grids > settings.GRIDMAP_OVERVIEW_MAX_GRIDS else 0


def visible_households(user, district: str | None = None) -> QuerySet[Household]:
    if not user.is_authenticated or not user.has_perm("people.view_household"):
        return Household.objects.none()
    if _all(user, "households"):
        return in_district(Household.objects.all(), district)
    return in_district(Household.objects.filter(grid_id__in=assigned_grid_ids(user)), district)


def visible_incidents(user, district: str | None = None) -> QuerySet[Incident]:
    if not user.is_authenticated or not user.has_perm("incidents.view_incident"):
        return Incident.objects.none()
    if _all(user, "incidents"):
        return in_district(Incident.objects.all(), district)
    # The few ids as lists, read first, not as subqueries: "grid IN (subquery) OR department
    # IN (subquery)" can use no index, and PostgreSQL read every incident of every district
    # for each of a grid worker's lists (2.1 s at 2.5 million incidents, 5 ms with the ids).
    # Not a join through department.users either: a case is listed once however many people
    # its department has.
    grids, departments = _worker_scope(user)
    # (An empty list is left out, not written as "IN ()": Django cannot write the SQL of such
    # a filter, and the exports bind the scope's SQL into their own.)
    parts = []
    if grids:
        # Only the partitions of the districts holding these grids' cases are read (a list
        # ordered by time otherwise walked every other district's cases looking for them).
        codes = district_codes_holding(Incident, grids)
        parts.append(Q(grid_id__in=grids, district_code__in=codes) if codes else Q(grid_id__in=grids))
    if departments:
        parts.append(Q(department_id__in=departments))
    if not parts:
        return Incident.objects.none()
    return in_district(Incident.objects.filter(reduce(operator.or_, parts)), district)


def _worker_scope(user) -> tuple[list[int], list[int]]:
    """The ids of the grids and departments ``user`` is assigned to, from the shared cache
    between changes of assignments (layers.accounts.backends): two queries on every list, page
    and report of a grid worker otherwise."""
    return cached_for_generation("scope", user, lambda: (
        list(assigned_grid_ids(user).order_by("id").values_list("id", flat=True)),
        list(user_department_ids(user).order_by("id").values_list("id", flat=True))))


def user_department_ids(user) -> QuerySet:
    """The departments ``user`` belongs to (ids, as a subquery). A department switched off
    takes no new cases but its people still see the ones they were sent."""
    return Department.objects.filter(users=user).values("id")


def visible_departments(user, district: str | None = None) -> QuerySet[Department]:
    """Departments a case may be sent to, as ``user`` sees them: those of the districts they
    hold (the command centre: all), and their own."""
    if not user.is_authenticated:
        return Department.objects.none()
    qs = Department.objects.filter(Q(district__in=visible_districts(user)) | Q(users=user)).distinct()
    return in_district(qs, district)


def can_see_pii(user) -> bool:
    """May the user reveal full ID numbers and phones (of households visible to them)?"""
    return user.is_authenticated and (user.is_superuser or user.has_perm("people.view_household_pii"))
