"""Permission sets are read from the shared cache between role changes (layers.accounts.backends),
and every kind of role change takes effect on the next request once it is committed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.accounts.roles import WORKER
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

VIEW = "incidents.view_incident"


def fresh(user: User) -> User:
    """The user as the next request loads it (no per-object permission memo)."""
    return User.objects.get(pk=user.pk)


def permission_queries(user: User, perm: str = VIEW) -> tuple[bool, int]:
    with CaptureQueriesContext(connection) as captured:
        allowed = user.has_perm(perm)
    return allowed, sum("auth_permission" in q["sql"] for q in captured.captured_queries)


def test_a_second_request_reads_no_permission_rows(world):
    assert permission_queries(fresh(world.worker_w)) == (True, 2)  # own and group permissions
    assert permission_queries(fresh(world.worker_w)) == (True, 0)


def test_removing_a_permission_from_a_role_takes_effect(world, django_capture_on_commit_callbacks):
    assert fresh(world.worker_w).has_perm(VIEW)
    c = client_for(world.worker_w)
    assert c.get("/api/incidents/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        Group.objects.get(name=WORKER).permissions.remove(Permission.objects.get(codename="view_incident"))
    assert not fresh(world.worker_w).has_perm(VIEW)
    assert c.get("/api/incidents/").status_code == 403


def test_leaving_a_role_takes_effect(world, django_capture_on_commit_callbacks):
    assert fresh(world.worker_w).has_perm(VIEW)
    with django_capture_on_commit_callbacks(execute=True):
        world.worker_w.groups.clear()
    assert not fresh(world.worker_w).has_perm(VIEW)
    with django_capture_on_commit_callbacks(execute=True):
        world.worker_w.groups.add(Group.objects.get(name=WORKER))
    assert fresh(world.worker_w).has_perm(VIEW)


def test_own_permissions_and_deleted_roles_take_effect(world, django_capture_on_commit_callbacks):
    perm = Permission.objects.get(codename="view_householdaccess")
    assert not fresh(world.worker_w).has_perm("facilities.view_householdaccess")
    with django_capture_on_commit_callbacks(execute=True):
        world.worker_w.user_permissions.add(perm)
    assert fresh(world.worker_w).has_perm("facilities.view_householdaccess")
    with django_capture_on_commit_callbacks(execute=True):
        Group.objects.get(name=WORKER).delete()
    assert not fresh(world.worker_w).has_perm(VIEW)


def test_a_superuser_demoted_loses_everything_at_once(world):
    user = world.worker_w
    user.groups.clear()
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    assert fresh(user).has_perm("people.view_household_pii")
    # No signal: the flag is read from the user's row of each request, never from the cache.
    User.objects.filter(pk=user.pk).update(is_superuser=False)
    assert not fresh(user).has_perm("people.view_household_pii")


def test_no_new_generation_before_the_change_commits(world, django_capture_on_commit_callbacks):
    """Until the change commits, other requests still read the old rows: a generation started
    earlier would let one of them store the old set under the new generation."""
    from layers.accounts import backends

    before = backends.generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        world.worker_w.groups.clear()
    assert backends.generation() == before
    for callback in callbacks:
        callback()
    assert backends.generation() != before


def test_without_a_working_cache_permissions_are_read_each_time(world, settings):
    """A cache that keeps nothing (a full disk, a dummy backend) must not pin a generation."""
    from layers.accounts import backends

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert backends.generation() is None
    assert permission_queries(fresh(world.worker_w)) == (True, 2)
    assert permission_queries(fresh(world.worker_w)) == (True, 2)
