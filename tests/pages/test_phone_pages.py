"""The grid worker's phone pages: 今日任务, household search, 我的, and the visit form's rules.

Scoping: a worker never sees another worker's households or cases; everything shown masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from layers.incidents import lifecycle
from layers.people.models import Household, Visit
from tests.factories import category, make_household, point, step_kwargs
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _move(incident, *steps, at=None):
    for step in steps:
        lifecycle.move(incident, step, at=at, **step_kwargs(incident, step))
    return incident


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start:html.index("</ul>", start)]


def test_today_lists_overdue_soon_verify_and_evaluate_cases_of_own_grids_only(world):
    now = timezone.now()
    limit_h = category("dispute").time_limit_hours
    long_ago = now - dt.timedelta(hours=limit_h + 10)

    def case(description, x, code="dispute"):
        return lifecycle.report(category=category(code), description=description, geom=point(x, 30.651), at=long_ago)

    overdue = _move(case("已超时", 104.061), "accepted", "dispatched", at=now - dt.timedelta(hours=limit_h + 5))
    soon = _move(case("快到期", 104.062), "accepted", "dispatched", at=now - dt.timedelta(hours=limit_h - 2))
    verify = _move(case("待核查", 104.063, "city_appearance"), "accepted", "dispatched", "handling", "feedback")
    evaluate = _move(case("待回访", 104.064, "fire_risk"), "accepted", "dispatched", "handling", "feedback",
                     "closed")
    east = _move(case("东边超时", 104.075), "accepted", "dispatched", at=now - dt.timedelta(hours=limit_h + 5))
    east_verify = _move(case("东边核查", 104.076), "accepted", "dispatched", "handling", "feedback")

    own = lifecycle.report(by=world.worker_w, category=category("dispute"), description="本人上报",
                           geom=point(104.065, 30.651), at=long_ago)
    _move(own, "accepted", "dispatched", "handling", "feedback")

    html = client_for(world.worker_w).get("/my/today/").content.decode()
    # The worker's own report waits for someone else's 核查 (GB/T 30428): listed, and said so.
    to_verify = _section(html, "to-verify")
    mine = to_verify[to_verify.index(f"/incidents/{own.pk}/"):]
    assert "您是上报人" in mine[:mine.index("</li>")]
    assert "您是上报人" not in to_verify[to_verify.index(f"/incidents/{verify.pk}/"):].split("</li>")[0]
    assert f"/incidents/{overdue.pk}/" in _section(html, "overdue") and "已超时" in _section(html, "overdue")
    assert f"/incidents/{soon.pk}/" in _section(html, "due-soon") and f"/incidents/{soon.pk}/" not in _section(
        html, "overdue")
    assert f"/incidents/{verify.pk}/" in _section(html, "to-verify")
    assert f"/incidents/{evaluate.pk}/" in _section(html, "to-evaluate")
    for other in (east, east_verify, world.ie):
        assert f"/incidents/{other.pk}/" not in html


def test_today_lists_priority_households_due_nearest_first_and_masked(world, settings):
    settings.GRIDMAP_VISIT_DUE_DAYS, settings.GRIDMAP_VISIT_DUE_DAYS_BY_TAG = 30, {"独居老人": 7}
    today = timezone.localdate()
    make_household(point(104.069, 30.659), address="西路30号", head_name="赵钱孙", tags=["低保"],
                   last_visit=today - dt.timedelta(days=31))
    make_household(point(104.068, 30.658), address="西路31号", tags=["低保"], last_visit=today - dt.timedelta(days=29))
    make_household(point(104.067, 30.658), address="西路32号", tags=["独居老人"], last_visit=today - dt.timedelta(days=6))
    make_household(point(104.075, 30.652), address="东路40号", tags=["特困"])  # another worker's grid
    c = client_for(world.worker_w)

    html = c.get("/my/today/").content.decode()
    due = _section(html, "due-households")
    assert "西路1号" in due and "西路30号" in due  # 独居老人 never visited; 低保 31 days > 30
    assert "西路31号" not in due and "西路32号" not in due and "东路40号" not in due
    assert "赵钱孙" not in html and "赵**" in due and "王小明" not in html
    assert "未获取位置" in html
    # Never visited first without a position.
    assert due.index("西路1号") < due.index("西路30号")

    # Standing next to 西路30号: it comes first; without a walk network the straight line, said so.
    near = c.get("/my/today/?lat=30.6589&lon=104.0689").content.decode()
    due = _section(near, "due-households")
    assert due.index("西路30号") < due.index("西路1号")
    assert "直线" in due and "米" in due and "直线距离" in near


@pytest.mark.parametrize(("query", "reason"), [
    ("lat=abc&lon=104.06", "纬度"), ("lat=30.65", "经度"), ("lat=30.65&lon=200", "经度"),
    ("lat=nan&lon=104.06", "纬度"), ("lat=inf&lon=104.06", "纬度"),
])
def test_today_with_a_bad_position_says_so_in_chinese(world, query, reason):
    response = client_for(world.worker_w).get(f"/my/today/?{query}")
    html = response.content.decode()
    assert response.status_code == 400 and "位置无效" in html and reason in html
    assert "西路1号" in _section(html, "due-households")  # the page still works without the position


def test_search_by_name_address_phone_and_id_tail_masked_and_scoped(world):
    c = client_for(world.worker_w)
    for q in ("王小明", "西路", "5678", "13812345678", "1234"):
        html = c.get("/my/households/", {"q": q}).content.decode()
        results = _section(html, "results")
        assert "西路1号" in results, q
        assert "王小明" not in results and "13812345678" not in results and "510104198001011234" not in html
        assert "王**" in results and "138****5678" in results
    # The east worker's household is never found, not even by its exact name, phone or ID tail.
    for q in ("李大华", "东路", "13987654321", "2345"):
        assert "东路2号" not in c.get("/my/households/", {"q": q}).content.decode(), q


def test_search_priority_filter_and_natural_address_order(world):
    for address in ("西苑1单元1001", "西苑1单元101", "西苑1单元11", "西苑2单元102"):
        make_household(point(104.061, 30.651), address=address, tags=["高龄"] if "1单元" in address else [])
    c = client_for(world.worker_w)
    results = _section(c.get("/my/households/", {"q": "西苑"}).content.decode(), "results")
    order = [results.index(f"{a}\n") for a in ("西苑1单元11", "西苑1单元101", "西苑1单元1001", "西苑2单元102")]
    assert order == sorted(order)
    priority = _section(c.get("/my/households/", {"q": "西苑", "priority": "1"}).content.decode(), "results")
    assert "西苑1单元101" in priority and "西苑2单元102" not in priority
    everyone = _section(c.get("/my/households/", {"priority": "1"}).content.decode(), "results")
    assert "西路1号" in everyone and "东路2号" not in everyone


def test_visit_form_defaults_to_now_refuses_the_future_and_names_the_visitor(world):
    worker = world.worker_w
    worker.last_name, worker.first_name = "王", "网格"
    worker.save()
    c = client_for(worker)
    page = c.get(f"/households/{world.hw.pk}/").content.decode()
    now = timezone.localtime()
    assert f'value="{now:%Y-%m-%dT}' in page  # 走访时间 filled in with today's local date and time

    future = (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = c.post(f"/households/{world.hw.pk}/visits/", {"kind": "routine", "visited_at": future, "note": "明天"})
    html = refused.content.decode()
    # The message names the field by its Chinese label, never by its code.
    assert refused.status_code == 400 and "走访记录有误：走访时间：走访时间不能晚于现在" in html
    assert not Visit.objects.filter(note="明天").exists()

    when = (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    saved = c.post(f"/households/{world.hw.pk}/visits/", {"kind": "care", "visited_at": when, "note": "慰问"})
    assert saved.status_code == 302
    record = c.get(f"/households/{world.hw.pk}/").content.decode()
    assert "王网格" in record and "wangge_w" not in record.split("<main>")[1]
    # 最近走访 agrees on the record, the list of 我的网格 and the search.
    day = f"{(now - dt.timedelta(hours=1)):%Y-%m-%d}"
    assert Household.objects.get(pk=world.hw.pk).last_visit.isoformat() == day
    assert day in record and day in c.get("/my/").content.decode()
    assert day in _section(c.get("/my/households/", {"q": "西路1号"}).content.decode(), "results")


def test_imported_last_visit_shows_in_the_list_as_on_the_record(world):
    Household.objects.filter(pk=world.hw.pk).update(last_visit=dt.date(2026, 5, 4))
    c = client_for(world.worker_w)
    assert "2026-05-04" in c.get("/my/").content.decode()
    assert "2026-05-04" in c.get(f"/households/{world.hw.pk}/").content.decode()


def test_me_page_and_bottom_bar(world):
    world.worker_w.last_name, world.worker_w.first_name = "王", "小网"
    world.worker_w.save()
    html = client_for(world.worker_w).get("/my/me/").content.decode()
    assert "王小网" in html and world.west.code in html and world.east.code not in html
    assert "修改密码" in html and "退出" in html
    bar = html[html.index('class="tabbar"'):html.index("</nav>", html.index('class="tabbar"'))]
    assert [label for label in ("今日", "地图", "上报", "住户", "我的") if label in bar] == ["今日", "地图", "上报",
                                                                                       "住户", "我的"]
    # Planners do no field work: no bottom bar, and the worker pages stay closed.
    planner = client_for(world.planner)
    assert 'class="tabbar"' not in planner.get("/my/me/").content.decode()
    assert planner.get("/my/today/").status_code == 403 and planner.get("/my/households/").status_code == 403


def test_phone_pages_need_a_login(client):
    for path in ("/my/today/", "/my/households/", "/my/me/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
