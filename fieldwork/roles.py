"""The four roles and what each may do (DOMAIN.md §1). Groups are created after every
migrate; an administrator adds users to them (the demo does it for its users).

Rows are scoped by layers.visibility: a grid worker's permissions apply only inside the
grids assigned to them; the view_all_* permissions lift that scope.
"""

from __future__ import annotations

WORKER, PLANNER, PATROL, ADMIN = "网格员", "规划人员", "巡防", "管理员"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    WORKER: [
        "layers.view_grid", "layers.view_community", "layers.view_facility",
        "layers.view_household", "layers.change_household", "layers.view_household_pii",
        "layers.view_incident", "layers.add_incident", "layers.change_incident",
        "fieldwork.add_visit", "fieldwork.view_visit",
    ],
    PLANNER: [
        "layers.view_grid", "layers.view_community", "layers.view_facility", "layers.add_facility",
        "layers.change_facility", "layers.view_facilitytype",
        "fieldwork.view_all_grids",
    ],
    PATROL: [
        "layers.view_grid", "layers.view_community", "layers.view_facility",
        "layers.view_incident", "layers.view_incidentcategory",
        "fieldwork.view_all_grids", "fieldwork.view_all_incidents",
    ],
    ADMIN: [
        "fieldwork.view_all_grids", "fieldwork.view_all_households", "fieldwork.view_all_incidents",
        "fieldwork.view_piiaccesslog", "fieldwork.view_visit",
    ],
}


def ensure_roles(sender=None, **kwargs) -> None:
    """Create the role groups and give them their permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for name in names:
            app_label, codename = name.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.add(*perms)


def role_of(user) -> str | None:
    """The user's role name; superusers count as administrators."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    for role in (ADMIN, PLANNER, PATROL, WORKER):
        if role in names:
            return role
    return None
