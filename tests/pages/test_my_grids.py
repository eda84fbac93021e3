"""The grid worker's page (我的网格, /my/): their open cases with clocks, and their households masked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from layers.incidents import lifecycle
from layers.incidents.models import Incident
from tests.factories import category, point
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def test_open_cases_and_households_of_the_workers_grids(world, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    late = lifecycle.report(category=category("dispute"), description="很久以前", geom=point(104.067, 30.657),
                            at=timezone.now() - timedelta(days=10))
    Incident.objects.filter(pk=late.pk).update(reported_at=timezone.now() - timedelta(days=10))
    refused = lifecycle.report(category=category("dispute"), description="不予立案", geom=point(104.068, 30.657))
    lifecycle.move(refused, "cancelled", by=world.command, note="重复上报")
    soup = BeautifulSoup(client_for(world.worker_w).get("/my/").content.decode(), "html.parser")

    rows = soup.select("#incidents tr")[1:]
    cells = {int(r.a["href"].strip("/").split("/")[-1]): [td.get_text() for td in r.select("td")] for r in rows}
    assert set(cells) == {world.iw.pk, late.pk}  # not the east grid's case, not the refused one
    assert [r.a["href"] for r in rows] == [f"/incidents/{late.pk}/", f"/incidents/{world.iw.pk}/"]  # oldest first
    reported = timezone.localtime(world.iw.reported_at)
    assert cells[world.iw.pk][:3] == ["矛盾纠纷", "信息采集", reported.strftime("%m-%d %H:%M")]
    assert cells[world.iw.pk][3].startswith("立案 剩余")
    assert cells[late.pk][3].startswith("立案 已超时")
    overdue = {int(r.a["href"].strip("/").split("/")[-1]) for r in rows if r.select_one("td.overdue")}
    assert overdue == {late.pk}

    households = soup.select("#households tr")[1:]
    assert len(households) == 1  # 西路1号 only: 东路2号 is the other worker's
    link, head = households[0].a["href"], households[0].a.get_text()
    assert link == f"/households/{world.hw.pk}/" and head == "王**"
    assert [(s.get_text(), "v" in s["class"]) for s in households[0].select("span.tag")] == [("独居老人", True)]
    assert households[0].select("td")[-1].get_text() == "无记录"
    assert "王小明" not in str(soup)
