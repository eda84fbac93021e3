"""Two grid workers on neighbouring grids, a planner, a patrol and an administrator."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from layers.accounts.roles import COMMAND, DEPARTMENT, PATROL, PLANNER, WORKER
from layers.grids.models import GridAssignment
from layers.incidents import lifecycle
from tests.factories import category, department, make_household, point, two_grids


def _user(name: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(name, **extra)  # no password: tests log in with force_login
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def world(db):
    # Transactional tests (the browser's live server) flush what migrations seeded.
    from django.apps import apps

    from layers.accounts.roles import ensure_roles
    from layers.facilities.catalogue import seed_facility_types
    from layers.incidents.catalogue import seed_incident_categories

    seed_facility_types(apps)
    seed_incident_categories(apps)
    ensure_roles()
    community, west, east = two_grids()
    w = SimpleNamespace(community=community, west=west, east=east)
    w.worker_w = _user("wangge_w", WORKER)
    w.worker_e = _user("wangge_e", WORKER)
    GridAssignment.objects.create(user=w.worker_w, grid=west)
    GridAssignment.objects.create(user=w.worker_e, grid=east)
    w.planner = _user("planner1", PLANNER)
    w.patrol = _user("patrol1", PATROL)
    w.admin = _user("admin1", is_superuser=True, is_staff=True)
    # The command centre (立案, 派遣) and two departments, each with one user (处置).
    w.command = _user("zhihui1", COMMAND)
    w.dept_user = _user("chengguan1", DEPARTMENT)
    w.other_dept_user = _user("huanwei1", DEPARTMENT)
    w.dept = department("城管执法中队", "城管", users=[w.dept_user])
    w.other_dept = department("环卫所", "环卫", users=[w.other_dept_user])
    w.hw = make_household(point(104.065, 30.655), address="西路1号", id_number="510104198001011234",
                          phone="13812345678", head_name="王小明", tags=["独居老人"])
    w.he = make_household(point(104.075, 30.655), address="东路2号", id_number="510104199002022345",
                          phone="13987654321", head_name="李大华")
    w.iw = lifecycle.report(category=category("dispute"), description="西边纠纷", geom=point(104.066, 30.656),
                            at=timezone.now())
    w.ie = lifecycle.report(category=category("fire_risk"), description="东边消防", geom=point(104.076, 30.656),
                            at=timezone.now())
    return w


def client_for(user):
    """A Django test client logged in as ``user``."""
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c
