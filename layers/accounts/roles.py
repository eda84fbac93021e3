"""The four roles and what each may do (DOMAIN.md §1). Groups are created after every
migrate; an administrator adds users to them (the demo does it for its users).

Rows are scoped by layers.accounts.visibility: a grid worker's permissions apply only inside the
grids assigned to them; the view_all_* permissions lift that scope.
"""

from __future__ import annotations

WORKER, PLANNER, PATROL, ADMIN = "网格员", "规划人员", "巡防", "管理员"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    WORKER: [
        "grids.view_grid", "grids.view_community", "facilities.view_facility",
        "people.view_household", "people.change_household", "people.view_household_pii",
        "incidents.view_incident", "incidents.add_incident", "incidents.change_incident",
        "people.add_visit", "people.view_visit",
    ],
    PLANNER: [
        "grids.view_grid", "grids.view_community", "facilities.view_facility", "facilities.add_facility",
        "facilities.change_facility", "facilities.view_facilitytype",
        "accounts.view_all_grids",
    ],
    PATROL: [
        "grids.view_grid", "grids.view_community", "facilities.view_facility",
        "incidents.view_incident", "incidents.view_incidentcategory",
        "accounts.view_all_grids", "accounts.view_all_incidents",
    ],
    ADMIN: [
        "accounts.view_all_grids", "accounts.view_all_households", "accounts.view_all_incidents",
        "people.view_piiaccesslog", "people.view_visit",
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
