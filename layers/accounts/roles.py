"""The roles and what each may do (DOMAIN.md §1). Groups are created after every
migrate; an administrator adds users to them (the demo does it for its users).

Rows are scoped by layers.accounts.visibility: a grid worker's permissions apply only inside the
grids assigned to them; the view_all_* permissions lift that scope.

Each role opens exactly its pages (tests/security/test_role_matrix.py holds the table):

- 网格员: 我的网格, households, visits, 上报事件, incidents of their grids;
- 规划人员: 设施覆盖 (PLANNER_PAGES), /api/circles/, /api/coverage/;
- 巡防: 巡防热点 (PATROL_PAGES), /api/hotspots/, incidents read-only;
- 指挥中心 (command centre): 受理/立案/不予立案 and 派遣 of every incident (accounts.command_incidents);
  it sees every incident (view_all_incidents: one command centre per installation; several
  districts would each get their own group and scope) but no household;
- 处置部门 (department users): /dept/, the cases sent to their department(s) (visibility),
  接收处置 and 处理反馈 (accounts.handle_incidents, checked against incident.department);
- 领导: 辖区汇总 and 台账 of every level (SUMMARY_PAGES, /api/summary/), all rows in view, never
  full ID numbers or phones (grid workers see the summaries and ledgers of their own grids);
- 管理员: everything, 数据导入导出 (DATA_PAGES) too — every model permission of the domain apps (the admin site), the
  view_all_* scopes, both analysis pages, the login records of django-axes — except the full
  ID numbers and phones (people.view_household_pii), which stay with the grid workers who
  need them. A user put into the 管理员 group gets is_staff, so the admin site opens.
"""

from __future__ import annotations

WORKER, PLANNER, PATROL, ADMIN = "网格员", "规划人员", "巡防", "管理员"
COMMAND, DEPARTMENT = "指挥中心", "处置部门"
# 领导 (区/街道/社区 leaders): the summaries and ledgers of every level (layers/summaries), all
# rows in view, never full ID numbers or phones.
LEADER = "领导"
SUMMARY_PAGES = ("summaries.view_summary",)

# The permissions a page or API view of each analysis asks for (all of them).
PLANNER_PAGES = ("accounts.use_planner", "accounts.view_all_grids")
PATROL_PAGES = ("accounts.use_patrol", "accounts.view_all_incidents")
# 数据导入导出 (/data/): administrators only (the 管理员 group gets it with every accounts permission).
DATA_PAGES = ("accounts.use_data_transfer",)

ROLE_PERMISSIONS: dict[str, list[str]] = {
    WORKER: [
        "grids.view_grid", "grids.view_community", "facilities.view_facility",
        "people.view_household", "people.change_household", "people.view_household_pii",
        "incidents.view_incident", "incidents.add_incident", "incidents.change_incident",
        "people.add_visit", "people.view_visit",
        "incidents.urge_incident",  # 催办 (layers.incidents.urges); 督办 is the command centre's
        # Summaries and ledgers of their own grids (layers.accounts.visibility scopes them).
        "summaries.view_summary", "summaries.export_ledger",
    ],
    PLANNER: [
        "grids.view_grid", "grids.view_community", "facilities.view_facility", "facilities.add_facility",
        "facilities.change_facility", "facilities.view_facilitytype",
        *PLANNER_PAGES,
    ],
    PATROL: [
        "grids.view_grid", "grids.view_community", "facilities.view_facility",
        "incidents.view_incident", "incidents.view_incidentcategory",
        "accounts.view_all_grids", *PATROL_PAGES,
    ],
    COMMAND: [
        "grids.view_grid", "grids.view_community", "incidents.view_incident", "incidents.change_incident",
        "incidents.view_incidentcategory", "incidents.view_department",
        "accounts.view_all_grids", "accounts.view_all_incidents", "accounts.command_incidents",
        "incidents.supervise_incident", "incidents.merge_incident",  # 督办; merging duplicates
    ],
    DEPARTMENT: [
        "incidents.view_incident", "incidents.change_incident", "incidents.view_incidentcategory",
        "accounts.handle_incidents",
    ],
    LEADER: [
        "grids.view_grid", "grids.view_community", "facilities.view_facility",
        "people.view_household", "people.view_visit", "incidents.view_incident", "incidents.view_incidentcategory",
        "accounts.view_all_grids", "accounts.view_all_households", "accounts.view_all_incidents",
        *SUMMARY_PAGES, "summaries.export_ledger",
    ],
    ADMIN: [
        # Django's users and groups stay with superusers: change_user would let a group
        # member make themselves a superuser. view_user fills the grid-assignment form.
        "auth.view_user", "auth.view_group",
        # django-axes: read the login records, unlock by deleting an attempt.
        "axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accesslog",
        "axes.view_accessfailurelog",
    ],
}
# The administrator also gets every permission of these apps (add/change/delete/view of
# every model, the scopes and page permissions), less ADMIN_EXCLUDED.
ADMIN_APPS = ("grids", "people", "incidents", "facilities", "patrols", "accounts", "summaries")
ADMIN_EXCLUDED = {"people.view_household_pii"}


def _permissions(names: list[str]):
    from django.contrib.auth.models import Permission

    perms = []
    for name in names:
        app_label, codename = name.split(".")
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is not None:
            perms.append(perm)
    return perms


def ensure_roles(sender=None, **kwargs) -> None:
    """Create the role groups and give them their permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*_permissions(names))
    admin = Group.objects.get(name=ADMIN)
    every = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).select_related("content_type")
    admin.permissions.add(*[p for p in every if f"{p.content_type.app_label}.{p.codename}" not in ADMIN_EXCLUDED])
    admin.user_set.filter(is_staff=False).update(is_staff=True)


def staff_for_admin_group(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """m2m_changed of User.groups: joining the 管理员 group makes a user staff (the admin
    site asks for is_staff; what they may do there comes from the group's permissions)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    if action != "post_add" or not pk_set:
        return
    users = get_user_model().objects.filter(is_staff=False)
    if not reverse:  # user.groups.add(group): instance is the user
        if Group.objects.filter(pk__in=pk_set, name=ADMIN).exists():
            users.filter(pk=instance.pk).update(is_staff=True)
            instance.is_staff = True  # a later instance.save() keeps it
    elif instance.name == ADMIN:  # group.user_set.add(user): instance is the group
        users.filter(pk__in=pk_set).update(is_staff=True)
