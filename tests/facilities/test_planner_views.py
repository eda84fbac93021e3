"""The 设施覆盖 page's requests: exports are queued (never made in the request), bad input is
a Chinese message, and completeness is left to the worker when the queue is in use."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from layers.facilities.models import CompletenessSnapshot
from layers.jobs.models import Job
from tests.facilities.planner_fixtures import planner_district
from tests.fixtures_world import (
    client_for,
    world,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_export_is_queued_as_a_job_and_bad_formats_are_refused(world):  # noqa: F811
    client = client_for(world.planner)
    response = client.post("/planner/export/", {"type": "kindergarten", "format": "xlsx", "district": "510104"})
    job = Job.objects.get(kind="facilities.planner_export")
    assert response.status_code == 302 and response["Location"].endswith(f"district=510104&job={job.pk}")
    assert job.params == {"type_code": "kindergarten", "district": "510104", "kind": "xlsx"}
    assert job.user == world.planner and job.state == Job.State.QUEUED
    response = client.post("/planner/export/", {"type": "kindergarten", "format": "docx"})
    assert response.status_code == 302
    assert "导出格式应为 Excel 表格或 PDF 报告" in [str(m) for m in get_messages(response.wsgi_request)]
    assert Job.objects.filter(kind="facilities.planner_export").count() == 1


def test_the_page_leaves_completeness_to_the_worker(settings):
    from django.contrib.auth.models import Group, User

    from layers.accounts.roles import PLANNER

    settings.GRIDMAP_ACCESS_REFRESH = "inline"
    planner_district()
    settings.GRIDMAP_ACCESS_REFRESH = "queue"  # as in production: the page never computes it
    user = User.objects.create_user("planner_q")
    user.groups.add(Group.objects.get(name=PLANNER))
    client = client_for(user)
    page = client.get("/planner/?type=kindergarten").content.decode()
    assert not CompletenessSnapshot.objects.exists()
    assert Job.objects.filter(kind="facilities.completeness", state=Job.State.QUEUED).count() == 1
    assert "生活圈完整度正在后台重新计算" in page and "生活圈完整度尚未计算" in page
    assert "「幼儿园」" not in page and "有学龄前儿童" in page  # the kindergarten's priority group named
    page = client.get("/planner/?type=library").content.decode()
    assert "「图书阅览室」未设定对应的重点人群" in page  # why its 重点人群 column reads —
    assert Job.objects.filter(kind="facilities.completeness", state=Job.State.QUEUED).count() == 1  # not twice
