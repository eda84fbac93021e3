"""Permissions and grid workers' scopes read from the database once per change, not on every request.

Django's ModelBackend reads a user's own and group permissions with two joined queries on the
first permission check of every request (2 ms of each API call and page under load, issue
#11). Roles change rarely, so the sets are kept in the shared cache (the file cache every
gunicorn worker and the background worker read) under a *generation*: any change to who holds
which permission — a user's groups or own permissions, a group's permissions, a group or
permission deleted — starts a new generation once the change is committed, and no process
reads the old sets again. The same generation keys the grids and departments a user is
assigned to (``layers.accounts.visibility``): assigning a grid, removing it, deleting a grid or
a department, or changing a department's people starts a new one too. Whether a user is active or a superuser is read from the user row
of each request, never from the cache. Sets also expire after PERMISSIONS_SECONDS, a bound
on staleness should a change bypass the ORM (raw SQL in psql).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "gridmap:permissions:generation"
PERMISSIONS_SECONDS = 600


def generation() -> str | None:
    """The current generation (a new one after the cache is emptied: migrate, restore); None
    when the cache cannot keep one (then nothing is cached: a change could not be announced)."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        value = cache.get(GENERATION_KEY)
    return value


def _bump() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def permissions_changed(**kwargs) -> None:
    """Signal receiver: a new generation after the transaction making the change commits (before
    it, another request could read the old rows and store them under the new generation)."""
    if kwargs.get("action", "post_").startswith("post_"):
        transaction.on_commit(_bump, using=kwargs.get("using"))


def scope_changed(**kwargs) -> None:
    """Signal receiver for assignments: a new generation at once, so that the transaction making
    the change reads it back (an administrator's next screen), and again after the commit (what
    another request stored in between under the first one is then never read)."""
    if kwargs.get("action", "post_").startswith("post_"):
        _bump()
        transaction.on_commit(_bump, using=kwargs.get("using"))


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_model = get_user_model()
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(permissions_changed, sender=through, dispatch_uid=f"permissions_changed.{through.__name__}")
    for model in (Group, Permission):
        for signal in (post_save, post_delete):
            signal.connect(permissions_changed, sender=model, dispatch_uid=f"permissions_changed.{model.__name__}")
    # Scopes: a grid's assignments go with it (cascade: each sends post_delete), a department's people with it.
    from layers.grids.models import GridAssignment
    from layers.incidents.models import Department

    m2m_changed.connect(scope_changed, sender=Department.users.through, dispatch_uid="scope_changed.people")
    for model in (GridAssignment, Department):
        for signal in (post_save, post_delete):
            signal.connect(scope_changed, sender=model, dispatch_uid=f"scope_changed.{model.__name__}")


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend whose permission sets come from the shared cache (see the module's doc)."""

    def _get_permissions(self, user_obj, obj, from_name):
        attr = f"_{from_name}_perm_cache"
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous or hasattr(user_obj, attr):
            return super()._get_permissions(user_obj, obj, from_name)
        current = generation()
        if current is None:
            return super()._get_permissions(user_obj, obj, from_name)
        key = f"gridmap:permissions:{current}:{from_name}:{user_obj.pk}:{int(user_obj.is_superuser)}"
        perms = cache.get(key)
        if perms is None:
            perms = super()._get_permissions(user_obj, obj, from_name)
            cache.set(key, perms, PERMISSIONS_SECONDS)
        setattr(user_obj, attr, perms)
        return perms


def cached_for_generation(name: str, user_obj, compute):
    """``compute()`` for ``user_obj``, kept in the shared cache under the current generation;
    computed each time when the cache cannot keep a generation."""
    current = generation()
    key = f"gridmap:{name}:{current}:{user_obj.pk}"
    value = cache.get(key) if current is not None else None
    if value is None:
        value = compute()
        if current is not None:
            cache.set(key, value, PERMISSIONS_SECONDS)
    return value
