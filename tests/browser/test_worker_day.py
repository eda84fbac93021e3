"""A grid worker's whole day on phones (390×844, touch) against the production server (issue
#13's walk-through): 今日任务 → a household → a visit; a report with a photo made without
signal, sent once when the connection returns; the command centre's 立案 and 派遣 to a
department, whose user takes the case up and reports back with a photo; 核查 (with a photo)
by the grid's second worker (the reporter may not close their own case) and 回访 by the
reporter. Every page is photographed (test-output/day_*.png) and the time from tap to
answer of each step is written to test-output/day_timings.txt."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group, User

from layers.accounts.roles import WORKER
from layers.grids.models import GridAssignment
from layers.incidents.models import Incident, IncidentPhoto
from layers.incidents.models import IncidentStatus as S
from layers.people.models import Visit
from tests.browser.conftest import phone_context
from tests.incidents.test_photos import gps_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
WEST_HOUSE = {"latitude": 30.6551, "longitude": 104.0651}  # next to 西路1号 (tests.fixtures_world)
NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"


class Day:
    """Phones of several people on one server, the timings and the screenshots of the day."""

    def __init__(self, browser, server, client) -> None:
        self.browser, self.server, self.client = browser, server, client
        self.timings: dict[str, float] = {}
        self.contexts = []
        self.errors: list[str] = []
        self.outside: list[str] = []

    def phone(self, user):
        context = phone_context(self.browser, self.server, self.client, user, geolocation=WEST_HOUSE)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.outside.append(r.url)
                if urlparse(r.url).hostname not in ("127.0.0.1", "localhost", None) else None)
        return page

    def open(self, page, path: str, step: str) -> None:
        started = time.perf_counter()
        page.goto(self.server.url + path, wait_until="load")
        self.timings[step] = time.perf_counter() - started

    def tap(self, page, selector: str, step: str) -> None:
        """Tap ``selector`` and wait for the page it leads to."""
        started = time.perf_counter()
        with page.expect_navigation(wait_until="load"):
            page.locator(selector).first.tap()
        self.timings[step] = time.perf_counter() - started

    def shot(self, page, name: str) -> None:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name}: the page scrolls sideways at 390 px"
        page.screenshot(path=str(OUTPUT / f"day_{name}.png"))

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        (OUTPUT / "day_timings.txt").write_text(
            "".join(f"{step}\t{seconds * 1000:.0f} ms\n" for step, seconds in self.timings.items()), encoding="utf-8")


@pytest.fixture
def day(browser, production_server, client):
    d = Day(browser, production_server, client)
    yield d
    d.close()


def _photo(name: str) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": gps_jpeg(1200, 900, 1)}


def test_a_grid_workers_day_from_today_to_the_residents_answer(day, world):
    partner = User.objects.create_user("wangge_w2", first_name="小芳", last_name="陈")
    partner.groups.add(Group.objects.get(name=WORKER))
    GridAssignment.objects.create(user=partner, grid=world.west)

    # 1. 今日任务 → the household (独居老人, never visited) → a visit.
    page = day.phone(world.worker_w)
    day.open(page, "/my/today/", "今日任务")
    assert "西路1号" in page.inner_text("#due-households")
    day.shot(page, "1_today")
    day.tap(page, "#due-households a.row:has-text('西路1号')", "打开住户")
    page.fill("#id_note", "独居老人，身体尚好")
    day.shot(page, "2_household")
    day.tap(page, "#visit-form button[type=submit]", "保存走访")
    assert "走访记录已保存" in page.inner_text(".messages")
    assert Visit.objects.filter(household=world.hw, note="独居老人，身体尚好").count() == 1

    # 2. A report with a photo made without signal, sent once when the signal returns.
    page.goto(day.server.url + "/incidents/new/", wait_until="networkidle")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=30000)
    page.context.set_offline(True)
    page.select_option("#id_category", label="街面秩序")
    page.fill("#id_description", "楼道堆放杂物堵塞通道")
    page.fill("#id_lon", "104.0652")
    page.fill("#id_lat", "30.6553")
    page.set_input_files("#report-form input[name=photos]", files=[_photo("楼道.jpg")])
    started = time.perf_counter()
    page.locator("#report-form button[type=submit]:has-text('上报')").tap()
    page.wait_for_function("() => document.getElementById('offline-queue').dataset.count === '1'")
    day.timings["离线上报（存入手机）"] = time.perf_counter() - started
    day.shot(page, "3_report_offline")
    assert not Incident.objects.filter(description="楼道堆放杂物堵塞通道").exists()
    started = time.perf_counter()
    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('offline-queue').dataset.count === '0'", timeout=30000)
    day.timings["恢复网络后上传"] = time.perf_counter() - started
    (case,) = Incident.objects.filter(description="楼道堆放杂物堵塞通道")
    assert case.reporter == world.worker_w and case.grid == world.west and case.status == S.REPORTED
    assert case.photos.filter(stage=IncidentPhoto.Stage.REPORT).count() == 1

    # 3. The command centre: 立案, then 派遣 to the department.
    page = day.phone(world.command)
    day.open(page, f"/incidents/{case.pk}/", "指挥中心打开案件")
    day.tap(page, "form.steps button[value=accepted]", "立案")
    page.select_option("form.dept-step select[name=department]", str(world.dept.pk))
    page.fill("form.dept-step textarea[name=note]", "请今日清理")
    day.shot(page, "4_dispatch")
    day.tap(page, "form.dept-step button", "派遣")
    assert page.inner_text("#status") == "派遣"

    # 4. The department: its list, the case, 接收处置, 处置反馈 with a photo.
    page = day.phone(world.dept_user)
    day.open(page, "/dept/", "部门待办")
    assert page.inner_text("#bell-count") == "1"
    day.shot(page, "5_department")
    day.tap(page, f"#dept-cases a.case-link[href='/incidents/{case.pk}/']", "部门打开案件")
    day.tap(page, "form.dept-step button", "接收处置")
    page.fill("form.dept-step textarea[name=note]", "杂物已清走")
    page.set_input_files("form.dept-step input[name=photos]", files=[_photo("清理后.jpg")])
    day.shot(page, "6_feedback")
    day.tap(page, "form.dept-step button", "处置反馈（带照片）")
    assert page.inner_text("#status") == "处理反馈"

    # 5. 核查 by the grid's other worker (it is on their 今日任务), with a photo.
    page = day.phone(partner)
    day.open(page, "/my/today/", "今日任务（核查人）")
    day.tap(page, f"#to-verify a.row[href='/incidents/{case.pk}/']", "打开待核查")
    page.set_input_files("form.steps input[name=photos]", files=[_photo("核查.jpg")])
    day.shot(page, "7_verify")
    day.tap(page, "form.steps button[value=closed]", "核查结案（带照片）")
    assert page.inner_text("#status") == "核查结案"

    # 6. 回访 by the reporter: the resident is satisfied.
    page = day.phone(world.worker_w)
    day.open(page, "/my/today/", "今日任务（回访）")
    day.tap(page, f"#to-evaluate a.row[href='/incidents/{case.pk}/']", "打开待回访")
    page.select_option("select[name=satisfaction]", "满意")
    day.shot(page, "8_evaluate")
    day.tap(page, "form.steps button[value=evaluated]", "回访")
    assert page.inner_text("#status") == "回访评价"
    day.shot(page, "9_done")

    case.refresh_from_db()
    assert case.status == S.EVALUATED and case.satisfaction == "满意" and case.department == world.dept
    steps = list(case.transitions.order_by("id").values_list("to_status", "by__username"))
    assert steps == [(S.REPORTED, "wangge_w"), (S.ACCEPTED, "zhihui1"), (S.DISPATCHED, "zhihui1"),
                     (S.HANDLING, "chengguan1"), (S.FEEDBACK, "chengguan1"), (S.CLOSED, "wangge_w2"),
                     (S.EVALUATED, "wangge_w")]
    assert sorted(case.photos.values_list("stage", flat=True)) == sorted(
        [IncidentPhoto.Stage.REPORT, IncidentPhoto.Stage.FEEDBACK, IncidentPhoto.Stage.VERIFY])
    assert Incident.objects.filter(description="楼道堆放杂物堵塞通道").count() == 1
    assert day.errors == [] and day.outside == []
