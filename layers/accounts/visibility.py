"""Who sees which rows: the one place where pages, maps, API, exports and admin scope
their querysets. A grid worker sees only the grids assigned to them and the households and
incidents inside them; the accounts.view_all_* permissions lift that scope (planners,
patrols, administrators). Objects out of scope are simply absent (views answer 404).
"""

from __future__ import annotations

from django.db.models import QuerySet

from layers.grids.models import Grid
from layers.incidents.models import Incident
from layers.people.models import Household


def _all(user, scope: str) -> bool:
    return user.is_superuser or user.has_perm(f"accounts.view_all_{scope}")


def assigned_grid_ids(user) -> QuerySet:
    return Grid.objects.filter(assignments__user=user).values("id")


def visible_grids(user) -> QuerySet[Grid]:
    if not user.is_authenticated:
        return Grid.objects.none()
    if _all(user, "grids"):
        return Grid.objects.all()
    return Grid.objects.filter(id__in=assigned_grid_ids(user))


def visible_households(user) -> QuerySet[Household]:
    if not user.is_authenticated or not user.has_perm("people.view_household"):
        return Household.objects.none()
    if _all(user, "households"):
        return Household.objects.all()
    return Household.objects.filter(grid_id__in=assigned_grid_ids(user))


def visible_incidents(user) -> QuerySet[Incident]:
    if not user.is_authenticated or not user.has_perm("incidents.view_incident"):
        return Incident.objects.none()
    if _all(user, "incidents"):
        return Incident.objects.all()
    return Incident.objects.filter(grid_id__in=assigned_grid_ids(user))


def can_see_pii(user) -> bool:
    """May the user reveal full ID numbers and phones (of households visible to them)?"""
    return user.is_authenticated and (user.is_superuser or user.has_perm("people.view_household_pii"))
