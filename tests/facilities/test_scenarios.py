"""Planning scenarios: changes on paper, evaluated in the background, compared side by side;
the real facilities and walking times stay as they are."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages

from layers.accounts.roles import PLANNER
from layers.facilities.models import Facility, HouseholdAccess, Scenario
from layers.jobs.models import Job
from layers.jobs.tasks import run_job
from tests.facilities.planner_fixtures import planner_district
from tests.facilities.walk_fixtures import lonlat
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def test_scenarios_change_coverage_without_touching_real_data():
    planner_district()
    user = User.objects.create_user("planner_s")
    user.groups.add(Group.objects.get(name=PLANNER))
    client = client_for(user)
    real = list(Facility.objects.values_list("id", "geom"))
    access = sorted(HouseholdAccess.objects.values_list("household_id", "facility_type_id", "minutes"))
    for name in ("东侧新建", "关闭西园"):
        assert client.post("/planner/scenarios/", {"action": "create", "name": name}).status_code == 302
    east, close = Scenario.objects.get(name="东侧新建"), Scenario.objects.get(name="关闭西园")
    lon, lat = lonlat(1200, 10)
    client.post("/planner/scenarios/", {"action": "add", "scenario": east.pk, "type": "kindergarten",
                                        "lon": f"{lon:.7f}", "lat": f"{lat:.7f}", "name": "东幼儿园"})
    west = Facility.objects.get(name="西幼儿园")
    client.post("/planner/scenarios/", {"action": "close", "scenario": close.pk, "facility": west.pk})
    # Bad input: a Chinese message naming the field, nothing recorded.
    response = client.post("/planner/scenarios/", {"action": "add", "scenario": east.pk, "type": "kindergarten",
                                                   "lon": "东经", "lat": "30"})
    assert any("经度、纬度" in str(m) for m in get_messages(response.wsgi_request))
    response = client.post("/planner/scenarios/", {"action": "create", "name": "东侧新建"})
    assert any("已有名为「东侧新建」的情景" in str(m) for m in get_messages(response.wsgi_request))
    assert east.changes.count() == 1 and close.changes.count() == 1
    for scenario in (east, close):
        client.post("/planner/scenarios/", {"action": "compute", "scenario": scenario.pk})
    for job in Job.objects.filter(kind="facilities.scenario"):
        run_job(job.pk)
        job.refresh_from_db()
        assert job.state == Job.State.DONE, job.message
    # Real data untouched.
    assert list(Facility.objects.values_list("id", "geom")) == real
    assert sorted(HouseholdAccess.objects.values_list("household_id", "facility_type_id", "minutes")) == access
    page = client.get(f"/planner/scenarios/?type=kindergarten&a={east.pk}&b={close.pk}").content.decode()
    assert "东侧新建" in page and "关闭西园" in page and "东幼儿园" in page
    east.refresh_from_db()
    close.refresh_from_db()
    # Today: the west kindergarten covers 5 of the west's 8. East scenario: plus the east's 4.
    # Closing the west one: nobody covered.
    from layers.facilities.walking.scenarios import comparison

    titles, rows = comparison([east, close], "kindergarten")
    assert titles == ["现状", "东侧新建", "关闭西园"]
    by_code = {r["code"]: r["cells"] for r in rows}
    assert by_code["510104001001"] == [(5, 8, 0), (5, 8, 0), (0, 8, 0)]
    assert by_code["510104001002"] == [(0, 4, 0), (4, 4, 0), (0, 4, 0)]
    assert by_code["*"] == [(5, 12, 0), (9, 12, 0), (0, 12, 0)]
    assert east.results["changed"] == ["kindergarten"]
    assert 'data-covered="9"' in page and 'data-covered="0"' in page
