"""The summary and ledger pages, the ledger's Excel export (headers, totals, masking, logging, no
formulas), /api/summary/ and `manage.py summary`, and hostile parameters (400 naming them)."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from layers.jobs.tasks import run_job
from layers.people.models import PiiAccessLog
from layers.summaries.ledger import HEADERS, SUMMARY_HEADERS
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

STREET = "/summary/street/510104001/"


def test_street_page_shows_figures_children_and_trends(town):
    r = client_for(town.leader).get(STREET + "?period=2026-10")
    assert r.status_code == 200
    html = r.content.decode()
    assert "2026年10月汇总" in html and "北社区" in html and "测试社区" in html
    assert 'data-key="reported"' in html and "结案率" in html and "50.0%" in html  # 3 closed of 6 cases
    assert "<svg" in html and "<script" not in html.split("<main>")[1]  # charts are drawn by the server
    assert "/summary/community/510104001002/?period=2026-10" in html  # drillable


def test_grid_worker_opens_own_grid_not_the_street(town):
    c = client_for(town.worker_w)
    assert c.get(STREET).status_code == 404
    assert c.get(f"/summary/grid/{town.east.code}/").status_code == 404
    r = c.get(f"/summary/grid/{town.west.code}/?period=2026-10")
    assert r.status_code == 200 and "西网格" in r.content.decode()
    assert client_for(town.planner).get(STREET).status_code == 403


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-10", "2026-10-01", "' OR 1=1 --", "１９９９-１０",
                                    "1999-12", "9999-01", "2026-00", "x" * 5000])
def test_hostile_periods_are_a_400_naming_the_parameter(town, period):
    c = client_for(town.leader)
    for url in (STREET, STREET + "ledger/"):
        r = c.get(url, {"period": period})
        assert r.status_code == 400
        assert "参数 period" in r.content.decode()
    r = c.post(STREET + "ledger.xlsx", {"period": period})
    assert r.status_code == 400 and "参数 period" in r.content.decode()
    r = c.get("/api/summary/", {"level": "street", "period": period})
    assert r.status_code == 400 and "period" in r.json()


@pytest.mark.parametrize("path", ["/summary/county/510104/", "/summary/street/5101040019/", "/summary/street/x/",
                                  "/summary/grid/51010400100100１/"])
def test_hostile_levels_and_codes_are_a_400(town, path):
    r = client_for(town.leader).get(path)
    assert r.status_code == 400 and "参数" in r.content.decode()


def test_ledger_page_lists_who_joined_and_left_masked(town):
    r = client_for(town.leader).get(STREET + "ledger/?period=2026-10")
    html = r.content.decode()
    assert r.status_code == 200
    assert "本月退出" in html and "本月纳入" in html
    assert "赵六" not in html and "赵*" in html  # masked name of the north household (left 残疾)
    assert "510104197001011111" not in html


def _export(client, url: str, **data) -> bytes:
    """POST the export, run the queued job as the worker would, download its file."""
    r = client.post(url, {"period": "2026-10", **data})
    assert r.status_code == 302, r.content.decode()[:300]
    job_id = int(r["Location"].split("job=")[1])
    run_job(job_id)
    page = client.get(r["Location"])
    assert f"/jobs/{job_id}/download/" in page.content.decode()
    download = client.get(f"/jobs/{job_id}/download/")
    assert download.status_code == 200
    return b"".join(download.streaming_content)


def _sheet(body: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(body))
    return wb["台账"], wb["汇总"]


def test_leader_export_is_masked_and_not_logged(town):
    c = client_for(town.leader)
    assert c.get(STREET + "ledger.xlsx?period=2026-10").status_code == 405  # only a POST queues work
    ledger, totals = _sheet(_export(c, STREET + "ledger.xlsx", masked="0"))
    rows = list(ledger.iter_rows(values_only=True))
    assert rows[1] == HEADERS
    body = rows[2:-1]
    assert rows[-1][0] == "合计" and rows[-1][1] == f"{len(body)} 条"
    # In October: west 独居老人, 特困, 高龄(孙七); east 流动人口; north 低保 and 残疾 (left 10-12).
    assert sorted((r[9], r[12] or "") for r in body) == sorted([
        ("独居老人", ""), ("特困", ""), ("高龄", ""), ("流动人口", "本月纳入"), ("低保", ""), ("残疾", "本月退出")])
    assert all("*" in (r[5] or "*") for r in body) and "510104197001011111" not in str(rows)
    assert PiiAccessLog.objects.count() == 0
    summary = list(totals.iter_rows(values_only=True))
    assert summary[0] == SUMMARY_HEADERS
    assert dict((r[0], r[1:]) for r in summary[1:-1])["残疾"] == (0, 0, 1)
    assert summary[-1] == ("合计", 5, 1, 1)
    # A head name typed as a formula stays text.
    addresses = [r[7] for r in body]
    assert "'=HYPERLINK(\"http://x\")" in addresses
    assert all(c.data_type != "f" for row in ledger.iter_rows() for c in row)


def test_entitled_export_is_full_and_logged_once_per_household(town):
    c = client_for(town.admin)  # a superuser may see PII
    ledger, _ = _sheet(_export(c, STREET + "ledger.xlsx"))
    assert "510104197001011111" in [row[5] for row in ledger.iter_rows(values_only=True)]
    logged = PiiAccessLog.objects.filter(user=town.admin)
    assert logged.count() == 4 and logged.first().via.startswith("台账导出 street:510104001 2026-10")
    masked = _export(c, STREET + "ledger.xlsx", masked="1")
    assert "510104197001011111" not in str(list(_sheet(masked)[0].iter_rows(values_only=True)))
    assert PiiAccessLog.objects.count() == 4


def test_worker_export_covers_own_grid_in_full(town):
    c = client_for(town.worker_w)
    rows = list(_sheet(_export(c, f"/summary/grid/{town.west.code}/ledger.xlsx"))[0].iter_rows(values_only=True))[2:-1]
    assert {row[3] for row in rows} == {"西网格"} and "王小明" in {row[4] for row in rows}
    assert PiiAccessLog.objects.filter(user=town.worker_w).count() == 2
    assert c.post(STREET + "ledger.xlsx", {"period": "2026-10"}).status_code == 404


def test_api_gives_the_same_figures_as_the_page(town):
    c = client_for(town.leader)
    r = c.get("/api/summary/", {"level": "street", "code": "510104001", "period": "2026-10"})
    assert r.status_code == 200
    data = r.json()
    assert data["unit"]["figures"]["reported"]["value"] == 7 and data["unit"]["figures"]["reported"]["previous"] == 1
    assert data["unit"]["figures"]["close_rate"]["value"] == 0.5
    assert sum(ch["figures"]["reported"]["value"] for ch in data["children"]) == 7
    assert data["unit"]["groups"]["流动人口"] == 1
    every = c.get("/api/summary/", {"level": "community", "period": "2026-10"}).json()
    assert [u["code"] for u in every["units"]] == ["510104001001", "510104001002"]
    assert c.get("/api/summary/", {"level": "street", "code": "510104009"}).status_code == 404
    assert c.get("/api/summary/", {"level": "street", "code": "5101"}).json() == {
        "code": ["参数 code：街道代码应为 9 位数字（收到 '5101'）"]}
    assert client_for(town.patrol).get("/api/summary/", {"level": "street"}).status_code == 403
    assert client_for(town.worker_w).get("/api/summary/", {"level": "street"}).status_code == 404


def test_command_writes_xlsx_csv_and_json(town, tmp_path):
    out = io.StringIO()
    call_command("summary", level="community", period="2026-10", format="xlsx", output=str(tmp_path / "s.xlsx"),
                 stdout=out)
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("层级", "代码", "名称", "户数")
    reported = header.index("上报事件")
    assert [r[reported] for r in rows[1:]] == [6, 1, 7]  # two communities and 合计
    assert rows[-1][0] == "合计" and rows[-1][header.index("结案率")] == 0.5
    call_command("summary", level="street", period="2026-10", format="csv", output=str(tmp_path / "s.csv"), stdout=out)
    lines = list(csv.reader((tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert lines[1][:3] == ["街道", "510104001", "测试街道"] and lines[1][lines[0].index("结案率")] == "50.0%"
    call_command("summary", level="grid", code=town.west.code, period="2026-10", format="json",
                 output=str(tmp_path / "s.json"), stdout=out)
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert data["units"][0]["figures"]["overdue"]["value"] == 1
    with pytest.raises(CommandError, match="--period"):
        call_command("summary", level="street", period="2026-13", format="csv", output=str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="--code"):
        call_command("summary", level="street", code="510104999", format="csv", output=str(tmp_path / "x.csv"))
