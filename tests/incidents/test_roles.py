"""Roles on the lifecycle (GB/T 30428): the command centre accepts and dispatches, the
department the case was sent to handles it and reports back, the grid worker of the grid
verifies (核查) and calls back (回访). GRIDMAP_COMBINED_ROLES lets the grid worker of a
small community also accept, dispatch and handle in their own grids."""

from __future__ import annotations

import pytest

from layers.incidents import lifecycle
from layers.incidents.models import IncidentStatus as S

pytestmark = pytest.mark.django_db


def _dispatched(world):
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    lifecycle.move(world.iw, S.DISPATCHED, by=world.command, department=world.dept)
    return world.iw


def test_command_centre_accepts_and_dispatches_worker_cannot(world):
    with pytest.raises(lifecycle.SeparationOfDutiesError, match="指挥中心"):
        lifecycle.move(world.iw, S.ACCEPTED, by=world.worker_w)
    with pytest.raises(lifecycle.SeparationOfDutiesError, match="指挥中心"):
        lifecycle.move(world.iw, S.CANCELLED, by=world.dept_user)
    assert lifecycle.steps_for(world.iw, world.worker_w) == []
    assert lifecycle.steps_for(world.iw, world.command) == [S.ACCEPTED, S.CANCELLED]
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    with pytest.raises(lifecycle.SeparationOfDutiesError):
        lifecycle.move(world.iw, S.DISPATCHED, by=world.worker_w, department=world.dept)
    lifecycle.move(world.iw, S.DISPATCHED, by=world.command, department=world.dept)
    world.iw.refresh_from_db()
    assert world.iw.status == S.DISPATCHED and world.iw.department == world.dept
    assert world.iw.transitions.last().by == world.command


def test_only_the_cases_department_handles_it(world):
    incident = _dispatched(world)
    for outsider in (world.other_dept_user, world.worker_w, world.command):
        assert lifecycle.steps_for(incident, outsider) == []
        with pytest.raises(lifecycle.SeparationOfDutiesError, match="处置部门"):
            lifecycle.move(incident, S.HANDLING, by=outsider)
    assert lifecycle.steps_for(incident, world.dept_user) == [S.HANDLING]
    lifecycle.move(incident, S.HANDLING, by=world.dept_user, note="已接收")
    with pytest.raises(lifecycle.SeparationOfDutiesError):
        lifecycle.move(incident, S.FEEDBACK, by=world.other_dept_user)
    lifecycle.move(incident, S.FEEDBACK, by=world.dept_user, note="已清理")
    assert incident.status == S.FEEDBACK


def test_grid_worker_verifies_and_calls_back_department_cannot(world):
    incident = _dispatched(world)
    lifecycle.move(incident, S.HANDLING, by=world.dept_user)
    lifecycle.move(incident, S.FEEDBACK, by=world.dept_user)
    for outsider in (world.dept_user, world.command, world.worker_e):
        with pytest.raises(lifecycle.SeparationOfDutiesError, match="网格员"):
            lifecycle.move(incident, S.CLOSED, by=outsider)
    assert lifecycle.steps_for(incident, world.worker_w) == [S.CLOSED, S.HANDLING]
    # 核查 not passed: the grid worker sends it back to the same department
    lifecycle.move(incident, S.HANDLING, by=world.worker_w, note="未处理完")
    incident.refresh_from_db()
    assert incident.department == world.dept
    lifecycle.move(incident, S.FEEDBACK, by=world.dept_user)
    lifecycle.move(incident, S.CLOSED, by=world.worker_w)
    with pytest.raises(lifecycle.SeparationOfDutiesError):
        lifecycle.move(incident, S.EVALUATED, by=world.dept_user, satisfaction="满意")
    lifecycle.move(incident, S.EVALUATED, by=world.worker_w, satisfaction="满意")
    assert incident.status == S.EVALUATED
    assert [t.by for t in incident.transitions.all()][1:] == [
        world.command, world.command, world.dept_user, world.dept_user, world.worker_w, world.dept_user,
        world.worker_w, world.worker_w]


def test_reporter_still_cannot_verify_their_own_case(world):
    incident = lifecycle.report(by=world.worker_w, category=world.iw.category, description="本人上报",
                                geom=world.iw.geom)
    lifecycle.move(incident, S.ACCEPTED, by=world.command)
    lifecycle.move(incident, S.DISPATCHED, by=world.command, department=world.dept)
    lifecycle.move(incident, S.HANDLING, by=world.dept_user)
    lifecycle.move(incident, S.FEEDBACK, by=world.dept_user)
    with pytest.raises(lifecycle.SeparationOfDutiesError, match="上报人不能核查结案"):
        lifecycle.move(incident, S.CLOSED, by=world.worker_w)


def test_combined_roles_let_the_grid_worker_do_the_small_community_steps(world, settings):
    settings.GRIDMAP_COMBINED_ROLES = True
    lifecycle.move(world.iw, S.ACCEPTED, by=world.worker_w)
    lifecycle.move(world.iw, S.DISPATCHED, by=world.worker_w, department=world.dept)
    lifecycle.move(world.iw, S.HANDLING, by=world.worker_w)
    lifecycle.move(world.iw, S.FEEDBACK, by=world.worker_w)
    # ... in their own grids only
    with pytest.raises(lifecycle.SeparationOfDutiesError):
        lifecycle.move(world.ie, S.ACCEPTED, by=world.worker_w)
    assert world.iw.status == S.FEEDBACK


def test_administrators_take_every_step(world):
    from django.contrib.auth.models import Group, User

    from layers.accounts.roles import ADMIN

    admin_group_user = User.objects.create_user("guanli2")
    admin_group_user.groups.add(Group.objects.get(name=ADMIN))
    admin_group_user = User.objects.get(pk=admin_group_user.pk)  # fresh permission cache
    lifecycle.move(world.iw, S.ACCEPTED, by=admin_group_user)
    lifecycle.move(world.iw, S.DISPATCHED, by=world.admin, department=world.dept)
    lifecycle.move(world.iw, S.HANDLING, by=admin_group_user)
    lifecycle.move(world.iw, S.FEEDBACK, by=world.admin)
    lifecycle.move(world.iw, S.CLOSED, by=admin_group_user)
    lifecycle.move(world.iw, S.EVALUATED, by=world.admin, satisfaction="满意")
    assert world.iw.status == S.EVALUATED
