"""The pages of #13 on a phone (390×844) with hostile text in every name they show: 今日任务,
住户 search, 事件列表, a case page with its small map, 待办案件 and 消息 of a department whose
name is hostile too, and a grid's summary. Nothing runs as script; the text reads as typed."""

from __future__ import annotations

import pytest

from layers.incidents import lifecycle
from layers.incidents.models import Department, Incident
from layers.incidents.models import IncidentStatus as S
from tests.browser.conftest import phone_context
from tests.security.hostile import PAYLOADS, store_hostile
from tests.security.test_xss import XSS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_pages_show_hostile_text_as_text(browser, production_server, client, world):
    payload = "".join(PAYLOADS[k] for k in ("img_onerror", "template_literal", "script_breakout"))
    t = store_hostile(world, payload)
    Department.objects.filter(pk=world.dept.pk).update(name=payload[:60] + "城管")
    case = Incident.objects.get(description=t.description)
    lifecycle.move(case, S.ACCEPTED, by=world.command)
    lifecycle.move(case, S.DISPATCHED, by=world.command, department=Department.objects.get(pk=world.dept.pk))
    pages = {
        world.worker_w: ["/my/today/", "/my/households/?q=%E5%8F%B7", "/incidents/", f"/incidents/{case.pk}/"],
        world.dept_user: ["/dept/", "/notifications/", f"/incidents/{case.pk}/"],
        world.admin: [f"/summary/grid/{world.west.code}/", f"/summary/grid/{world.west.code}/ledger/"],
    }
    shown = []
    for user, paths in pages.items():
        context = phone_context(browser, production_server, client, user)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        for path in paths:
            page.goto(production_server.url + path, wait_until="networkidle")
            for frame in page.frames:  # the case page's small map is a frame of its own
                assert frame.evaluate(XSS) is None, (path, frame.url)
            shown.append(page.inner_text("main"))
        assert errors == [], errors
        context.close()
    text = "\n".join(shown)
    assert t.description in text and t.address in text and "window.__xss=1" in text
