"""A leader (领导) opens a street's 辖区汇总 in a real browser: the table of communities and its
合计 agree with direct database counts, the trend charts are drawn inline, a community opens
with a click, and nothing is fetched from outside."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from layers.grids.models import Grid
from layers.incidents.models import Incident
from layers.people.models import Household
from layers.summaries.ledger import HEADERS
from tests.summaries.conftest import OCT, town  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOT = Path(__file__).resolve().parents[2] / "test-output" / "street_summary.png"


def _reported(community_code: str) -> int:
    grids = Grid.objects.filter(community__code=community_code)
    return Incident.objects.filter(grid__in=grids, reported_at__gte=OCT.start, reported_at__lt=OCT.end).count()


def test_street_summary_matches_direct_counts(visit, town):  # noqa: F811
    v = visit(town.leader)
    page = v.open("/summary/street/510104001/?period=2026-10")
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT), full_page=True)
    assert v.errors == []
    assert "测试街道（街道） · 2026年10月汇总" in page.inner_text("#title")
    cell = "#children tr[data-code='{}'] td[data-key='{}']"
    for code in ("510104001001", "510104001002"):
        assert int(page.inner_text(cell.format(code, "reported"))) == _reported(code)
        households = Household.objects.filter(grid__community__code=code).count()
        assert int(page.inner_text(cell.format(code, "households"))) == households
    assert int(page.inner_text(cell.format("total", "reported"))) == _reported("510104001001") + _reported(
        "510104001002") == 7
    assert page.inner_text(cell.format("total", "close_rate")) == "50.0%"
    # 逾期未结: two cases past their 处置 limit and the fresh report past its 立案 limit.
    assert page.locator("#headline .fig[data-key='overdue'] .now").inner_text() == "3"
    assert page.locator("svg rect").count() == 4 * 12  # four charts of twelve months
    page.click("#children a:has-text('北社区')")
    page.wait_for_selector("#title:has-text('北社区')")
    assert int(page.inner_text(cell.format("total", "reported"))) == _reported("510104001002")
    assert v.outside_requests() == []


def test_ledger_export_through_the_queue(visit, town):  # noqa: F811
    """The export button queues the job; the server's worker writes the file; the page offers it."""
    v = visit(town.leader)
    page = v.open("/summary/street/510104001/ledger/?period=2026-10")
    assert "本月退出" in page.inner_text("#ledger-changes")
    page.click("#export button[type=submit]")
    page.wait_for_selector("#download", timeout=60000)
    v.screenshot("street_ledger")
    with page.expect_download() as info:
        page.click("#download")
    name = info.value.suggested_filename
    assert name.startswith("重点人群台账_510104001_2026-10") and name.endswith(".xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes()))["台账"].iter_rows(values_only=True))
    assert rows[1] == HEADERS and rows[-1][1] == f"{len(rows) - 3} 条" == "6 条"
    assert v.errors == [] and v.outside_requests() == []
