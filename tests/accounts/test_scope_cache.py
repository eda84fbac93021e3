"""A grid worker's grids and a department user's departments come from the shared cache between
changes of assignments (layers.accounts.visibility, keyed by layers.accounts.backends' generation),
and every change of assignment shows on the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.accounts import backends, visibility
from layers.grids.models import GridAssignment
from layers.incidents import lifecycle
from layers.incidents.models import IncidentStatus as S
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

SCOPE_TABLES = ("grids_gridassignment", "incidents_department_users")


def listed_ids(client) -> set[int]:
    return {f["id"] for f in client.get("/api/incidents/").json()["features"]}


def scope_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/incidents/").status_code == 200
    return sum(any(t in q["sql"] for t in SCOPE_TABLES) for q in captured.captured_queries)


def test_a_second_request_reads_no_assignment_rows(world):
    c = client_for(world.worker_w)
    assert scope_queries(c) == 2  # the worker's grids and departments, once
    assert scope_queries(c) == 0
    assert scope_queries(client_for(world.dept_user)) == 2  # every user has their own


def test_assigning_and_removing_a_grid_shows_on_the_next_request(world, django_capture_on_commit_callbacks):
    c = client_for(world.worker_w)
    assert listed_ids(c) == {world.iw.pk}
    with django_capture_on_commit_callbacks(execute=True):
        assignment = GridAssignment.objects.create(user=world.worker_w, grid=world.east)
    assert listed_ids(c) == {world.iw.pk, world.ie.pk}
    with django_capture_on_commit_callbacks(execute=True):
        GridAssignment.objects.filter(user=world.worker_w, grid=world.west).delete()  # a queryset delete too
    assert listed_ids(c) == {world.ie.pk}
    with django_capture_on_commit_callbacks(execute=True):
        assignment.delete()
    assert listed_ids(c) == set()
    assert c.get(f"/api/incidents/{world.ie.pk}/").status_code == 404


def test_joining_and_leaving_a_department_shows_on_the_next_request(world, django_capture_on_commit_callbacks):
    for incident, department in ((world.iw, world.dept), (world.ie, world.other_dept)):
        lifecycle.move(incident, S.ACCEPTED, by=world.command)
        lifecycle.move(incident, S.DISPATCHED, by=world.command, department=department)
    c = client_for(world.dept_user)
    assert listed_ids(c) == {world.iw.pk}
    with django_capture_on_commit_callbacks(execute=True):
        world.other_dept.users.add(world.dept_user)
    assert listed_ids(c) == {world.iw.pk, world.ie.pk}
    with django_capture_on_commit_callbacks(execute=True):
        world.dept.users.remove(world.dept_user)
    assert listed_ids(c) == {world.ie.pk}


def test_what_a_request_stores_before_the_change_commits_is_never_read(world, django_capture_on_commit_callbacks):
    """A request running while the change is not yet committed reads the old assignments and
    may store them under the generation the change started: the commit starts another one."""
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        GridAssignment.objects.create(user=world.worker_w, grid=world.east)
    during = backends.generation()
    backends.cached_for_generation("scope", world.worker_w, lambda: ([world.west.pk], []))  # the old rows
    for callback in after_commit:
        callback()
    assert backends.generation() != during
    grids, _ = visibility._worker_scope(world.worker_w)
    assert grids == sorted([world.west.pk, world.east.pk])
