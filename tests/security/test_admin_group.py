"""The 管理员 group without superuser rights: the whole admin site for the layers, but no
way up to superuser and no full personal data."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from layers.accounts.roles import ADMIN
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_admin(world):
    user = User.objects.create_user("guanli_grp")
    Group.objects.get(name=ADMIN).user_set.add(user)  # the reverse side of the relation too
    user.refresh_from_db()
    return user


def test_joining_the_admin_group_opens_the_admin_site(world, group_admin):
    assert group_admin.is_staff and not group_admin.is_superuser
    c = client_for(group_admin)
    for url in ("/admin/grids/grid/", "/admin/grids/gridassignment/", "/admin/people/household/",
                "/admin/incidents/incident/", "/admin/facilities/facility/", "/admin/people/piiaccesslog/",
                f"/admin/grids/grid/{world.east.id}/change/", "/admin/grids/gridassignment/add/"):
        assert c.get(url).status_code == 200, url
    body = c.get("/admin/people/household/").content.decode()
    assert "西路1号" in body and "东路2号" in body  # every grid's households


def test_admin_group_member_cannot_make_anyone_a_superuser(world, group_admin):
    c = client_for(group_admin)
    assert c.get(f"/admin/auth/user/{group_admin.id}/change/").status_code == 200  # view only
    c.post(f"/admin/auth/user/{group_admin.id}/change/", {"username": "guanli_grp", "is_superuser": "on",
                                                          "is_staff": "on", "is_active": "on"})
    group_admin.refresh_from_db()
    assert not group_admin.is_superuser


def test_admin_group_member_gets_no_full_id_numbers(world, group_admin):
    c = client_for(group_admin)
    assert c.post(f"/households/{world.hw.id}/reveal/").status_code == 403
    body = c.get(f"/admin/people/household/{world.hw.id}/change/").content.decode()
    assert "510104198001011234" not in body and "13812345678" not in body
