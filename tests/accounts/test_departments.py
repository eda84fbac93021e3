"""A department user (处置部门) sees exactly the cases sent to their department(s), through
the pages and the API, and no household; the command centre sees every incident (it holds
view_all_incidents, layers/accounts/roles.py) but no household either."""

from __future__ import annotations

import pytest

from layers.accounts import visibility
from layers.incidents import lifecycle
from layers.incidents.models import IncidentStatus as S
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _send(world, incident, dept):
    lifecycle.move(incident, S.ACCEPTED, by=world.command)
    lifecycle.move(incident, S.DISPATCHED, by=world.command, department=dept)


def test_department_user_sees_exactly_the_cases_sent_to_their_department(world):
    assert list(visibility.visible_incidents(world.dept_user)) == []
    _send(world, world.iw, world.dept)
    _send(world, world.ie, world.other_dept)
    assert list(visibility.visible_incidents(world.dept_user)) == [world.iw]
    assert list(visibility.visible_incidents(world.other_dept_user)) == [world.ie]
    # a second member does not list the case twice; a member of both departments sees both
    world.dept.users.add(world.other_dept_user)
    assert sorted(i.pk for i in visibility.visible_incidents(world.other_dept_user)) == sorted(
        [world.iw.pk, world.ie.pk])
    assert visibility.visible_incidents(world.dept_user).count() == 1
    assert not visibility.visible_households(world.dept_user).exists()


def test_department_user_api_and_pages(world):
    _send(world, world.iw, world.dept)
    c = client_for(world.dept_user)
    listed = c.get("/api/incidents/").json()["features"]
    assert [f["id"] for f in listed] == [world.iw.id]
    assert listed[0]["properties"]["department_name"] == world.dept.name
    assert c.get(f"/api/incidents/{world.ie.id}/").status_code == 404
    assert c.get(f"/incidents/{world.iw.id}/").status_code == 200
    assert c.get(f"/incidents/{world.ie.id}/").status_code == 404
    for url in ("/api/households/", f"/api/households/{world.hw.id}/", f"/households/{world.hw.id}/", "/my/"):
        assert c.get(url).status_code in (403, 404), url
    page = c.get(f"/incidents/{world.iw.id}/").content.decode()
    # the case page shows nothing of households: no name, ID number or phone of the residents
    for secret in ("王小明", "510104198001011234", "13812345678", "西路1号"):
        assert secret not in page


def test_command_centre_sees_every_incident_and_no_household(world):
    assert set(visibility.visible_incidents(world.command)) == {world.iw, world.ie}
    assert not visibility.visible_households(world.command).exists()
    c = client_for(world.command)
    assert {f["id"] for f in c.get("/api/incidents/").json()["features"]} == {world.iw.id, world.ie.id}
    assert c.get("/api/households/").status_code == 403


def test_departments_offered_for_dispatch_are_those_of_the_district(world):
    from layers.grids.models import District
    from tests.factories import box, department

    District.objects.create(code="510105", name="青羊区", geom=box(103.9, 30.6, 104.0, 30.7))
    department("青羊城管", district_code="510105")
    assert {d.name for d in visibility.visible_departments(world.command, "510104")} == {
        world.dept.name, world.other_dept.name}
    assert list(visibility.visible_departments(world.dept_user)) == [world.dept]
    assert not visibility.visible_departments(world.planner, "510104").exclude(district__code="510104").exists()
