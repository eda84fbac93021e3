"""事件列表: scoped by visibility, filtered (status, category, grid, overdue, dates), paginated;
bad parameters are a Chinese message with 400, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from layers.incidents import lifecycle
from layers.incidents.models import IncidentStatus as S
from tests.factories import category, point
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/incidents/(\d+)/"', response.content.decode())]


def test_a_worker_sees_only_their_grids(world):
    response = client_for(world.worker_w).get("/incidents/")
    assert response.status_code == 200 and _ids(response) == [world.iw.pk]
    assert "东边消防" not in response.content.decode()
    # asking for the other grid is refused, not answered with its cases
    other = client_for(world.worker_e).get(f"/incidents/?grid={world.west.code}")
    assert other.status_code == 400 and "网格（grid）" in other.content.decode() and _ids(other) == []
    assert sorted(_ids(client_for(world.admin).get("/incidents/"))) == sorted([world.iw.pk, world.ie.pk])
    assert _ids(client_for(world.patrol).get("/incidents/")) != []
    assert client_for(world.planner).get("/incidents/").status_code == 403
    assert Client().get("/incidents/").status_code == 302


def test_filters(world):
    admin = client_for(world.admin)
    now = timezone.now()
    old = lifecycle.report(category=category("dispute"), description="上周的纠纷", geom=point(104.064, 30.652),
                           at=now - timedelta(days=8))
    lifecycle.move(old, S.ACCEPTED, at=now - timedelta(days=8) + timedelta(minutes=5))
    assert _ids(admin.get(f"/incidents/?grid={world.east.code}")) == [world.ie.pk]
    assert _ids(admin.get("/incidents/?category=fire_risk")) == [world.ie.pk]
    assert _ids(admin.get("/incidents/?status=accepted")) == [old.pk]
    assert sorted(_ids(admin.get("/incidents/?status=open"))) == sorted([world.iw.pk, world.ie.pk, old.pk])
    week_ago = timezone.localdate() - timedelta(days=7)
    assert _ids(admin.get(f"/incidents/?until={week_ago.isoformat()}")) == [old.pk]
    assert old.pk not in _ids(admin.get(f"/incidents/?since={week_ago.isoformat()}"))
    overdue = admin.get("/incidents/?overdue=1")  # the 派遣 stage of ``old`` ran out 8 days ago
    assert _ids(overdue) == [old.pk] and "超时" in overdue.content.decode()
    assert _ids(admin.get("/incidents/?overdue=soon")) == []


def test_each_card_shows_category_address_grid_status_and_time_left(world):
    html = client_for(world.worker_w).get("/incidents/").content.decode()
    card = html[html.index('class="case'):]
    assert "矛盾纠纷" in card and world.west.name in card and "信息采集" in card and "立案 剩余" in card


def test_pages(world):
    for n in range(25):
        lifecycle.report(category=category("street_order"), description=f"占道{n}", geom=point(104.061, 30.651))
    c = client_for(world.worker_w)
    first, second = c.get("/incidents/?status=reported"), c.get("/incidents/?status=reported&page=2")
    assert len(_ids(first)) == 20 and len(_ids(second)) == 6
    assert "status=reported&amp;page=2" in first.content.decode()
    assert set(_ids(first)).isdisjoint(_ids(second))
    assert c.get("/incidents/?page=abc").status_code == 200 and c.get("/incidents/?page=99999999999").status_code == 200


@pytest.mark.parametrize("query,field", [
    ("status=<script>alert(1)</script>", "状态（status）"),
    ("status=reported%00", "参数 status"),  # refused by the NUL-byte middleware
    ("category=no-such", "类别（category）"),
    ("grid=99999999999999999999", "网格（grid）"),
    ("overdue=yes", "时限（overdue）"),
    ("since=2024-02-30", "开始日期（since）"),
    ("until=yesterday", "结束日期（until）"),
    ("since=0001-01-01", "开始日期（since）"),
    ("since=2026-11-02&until=2026-11-01", "不能晚于"),
    ("since=" + "9" * 5000, "开始日期（since）"),
])
def test_bad_parameters_are_named_in_chinese(world, query, field):
    response = client_for(world.worker_w).get(f"/incidents/?{query}")
    body = response.content.decode()
    assert response.status_code == 400 and field in body
    assert "<script>alert(1)" not in body and "Traceback" not in body
