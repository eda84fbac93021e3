"""The department's day on a phone (390×844, touch) against the production server: the
command centre sends a case to a department from the case page, the department user sees it
on /dept/ with the bell's count, takes it up and reports back with a note."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from layers.incidents import lifecycle
from layers.incidents.models import Incident
from layers.incidents.models import IncidentStatus as S
from tests.browser.conftest import phone_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"


def _phone(browser, production_server, client, user):
    context = phone_context(browser, production_server, client, user)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def _tap_and_wait(page, selector: str) -> float:
    """Tap ``selector`` and wait for the page it leads to; the time from tap to answer (s)."""
    started = time.perf_counter()
    with page.expect_navigation(wait_until="load"):
        page.tap(selector)
    return time.perf_counter() - started


def test_dispatch_and_handle_on_a_phone(browser, production_server, client, world):
    lifecycle.move(world.iw, S.ACCEPTED, by=world.command)
    timings: dict[str, float] = {}
    base = production_server.url

    context, page, errors = _phone(browser, production_server, client, world.command)
    page.goto(f"{base}/incidents/{world.iw.id}/", wait_until="load")
    page.select_option("form.dept-step select[name=department]", str(world.dept.id))
    page.fill("form.dept-step textarea[name=note]", "请今日处理")
    timings["派遣"] = _tap_and_wait(page, "form.dept-step button")
    assert page.inner_text("#status") == "派遣"
    assert world.dept.name in page.inner_text("#department")
    assert errors == []
    context.close()

    context, page, errors = _phone(browser, production_server, client, world.dept_user)
    started = time.perf_counter()
    page.goto(f"{base}/dept/", wait_until="load")
    timings["待办案件"] = time.perf_counter() - started
    assert page.inner_text("#bell-count") == "1"
    cases = page.locator("#dept-cases a.case-link")
    assert cases.count() == 1 and "待接收" in cases.first.inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    box = cases.first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a thumb hits it
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "phone_department.png"))

    timings["打开案件"] = _tap_and_wait(page, "#dept-cases a.case-link")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    timings["接收处置"] = _tap_and_wait(page, "form.dept-step button")
    assert page.inner_text("#status") == "处理中"
    page.fill("form.dept-step textarea[name=note]", "垃圾已清运完毕")
    button = page.locator("form.dept-step button")
    assert button.inner_text() == "处置反馈" and button.bounding_box()["height"] >= 44
    page.screenshot(path=str(OUTPUT / "phone_department_case.png"))
    timings["处置反馈"] = _tap_and_wait(page, "form.dept-step button")
    assert page.inner_text("#status") == "处理反馈"
    assert errors == []
    context.close()

    incident = Incident.objects.get(pk=world.iw.pk)
    assert incident.status == S.FEEDBACK and incident.department == world.dept
    assert list(incident.transitions.order_by("id").values_list("by__username", "note"))[-3:] == [
        (world.command.username, f"派遣至{world.dept.name}：请今日处理"),
        (world.dept_user.username, ""), (world.dept_user.username, "垃圾已清运完毕")]
    assert world.worker_w.notifications.filter(kind="feedback", incident=incident).exists()
    (OUTPUT / "phone_department_timings.txt").write_text(
        "".join(f"{step}\t{seconds * 1000:.0f} ms\n" for step, seconds in timings.items()), encoding="utf-8")
    assert max(timings.values()) < 5.0, timings
