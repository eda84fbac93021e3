"""import_incidents: GCJ-02 exports, categories and statuses in Chinese, lifecycle history."""

from __future__ import annotations

import csv
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from layers.incidents.models import Incident, IncidentStatus, IncidentTransition
from tests.importers.conftest import DATA, run

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def expected_grids() -> dict[str, str]:
    with (DATA / "incidents_gcj02.csv").open(encoding="gbk") as f:
        return {row["事件编号"]: row["预期网格"] for row in csv.DictReader(f)}


def test_gcj02_points_land_in_their_grids(chengdu):
    result = run("import_incidents", DATA / "incidents_gcj02.csv", "--crs", "gcj02")
    assert result.ok, result.text
    assert "GCJ-02 (Amap/Gaode, Tencent) (--crs)" in result.out and "未使用 not used: 预期网格" in result.out
    linked = dict(Incident.objects.values_list("external_id", "grid__code"))
    assert linked == expected_grids()


def test_without_conversion_points_are_hundreds_of_metres_off(chengdu):
    run("import_incidents", DATA / "incidents_gcj02.csv", "--crs", "wgs84")
    linked = dict(Incident.objects.values_list("external_id", "grid__code"))
    wrong = [k for k, v in expected_grids().items() if linked[k] != v]
    assert len(wrong) >= 3  # GCJ-02 taken as WGS84: several incidents in another grid


def test_categories_statuses_times_and_history(chengdu):
    run("import_incidents", DATA / "incidents_gcj02.csv", "--crs", "gcj02")
    i = Incident.objects.get(external_id="SJ20240001")
    assert (i.category.code, i.status) == ("security_risk", IncidentStatus.CLOSED)  # 治安隐患, 已结案
    assert i.reported_at == datetime(2024, 3, 2, 9, 5, tzinfo=SHANGHAI)  # '2024/3/2 9:05', local time
    assert Incident.objects.get(external_id="SJ20240002").reported_at == datetime(2024, 3, 3, 14, 20, tzinfo=SHANGHAI)
    assert Incident.objects.get(external_id="SJ20240003").reported_at == datetime(2024, 3, 4, 10, 0, tzinfo=SHANGHAI)
    assert Incident.objects.get(external_id="SJ20240005").category.code == "city_appearance"  # by code
    assert Incident.objects.get(external_id="SJ20240004").status == IncidentStatus.REPORTED  # empty 状态
    history = list(i.transitions.values_list("from_status", "to_status", "at"))
    assert history == [("", "closed", i.reported_at)]
    assert IncidentTransition.objects.count() == 12


def test_status_change_on_reimport_adds_a_transition(chengdu, tmp_path):
    run("import_incidents", DATA / "incidents_gcj02.csv", "--crs", "gcj02")
    again = run("import_incidents", DATA / "incidents_gcj02.csv", "--crs", "gcj02")
    assert "新增 created 0, 更新 updated 0, 未变 unchanged 12" in again.out
    text = (DATA / "incidents_gcj02.csv").read_text(encoding="gbk").replace(",处理中,", ",已办结,")
    (tmp_path / "later.csv").write_text(text, encoding="gbk")
    result = run("import_incidents", tmp_path / "later.csv", "--crs", "gcj02")
    assert "更新 updated 2" in result.out
    i = Incident.objects.get(external_id="SJ20240002")
    assert i.status == IncidentStatus.CLOSED
    assert list(i.transitions.values_list("from_status", "to_status")) == [("", "handling"), ("handling", "closed")]
    assert _inconsistent_histories() == 0


def _inconsistent_histories() -> int:
    """Incidents whose status is not their last step's, or whose steps do not chain, after
    the database's deferred history checks have run (as at commit)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("""
            SELECT (SELECT count(*) FROM incidents_incident i
                      JOIN LATERAL (SELECT t.to_status FROM incidents_incidenttransition t WHERE t.incident_id = i.id
                                     ORDER BY t.id DESC LIMIT 1) last ON true
                     WHERE last.to_status <> i.status)
                 + (SELECT count(*) FROM (SELECT from_status, lag(to_status, 1, '')
                                                 OVER (PARTITION BY incident_id ORDER BY id) AS previous
                                            FROM incidents_incidenttransition) s WHERE from_status <> previous)""")
        return cur.fetchone()[0]


def test_bad_rows_are_named_with_the_valid_values(chengdu):
    result = run("import_incidents", DATA / "incidents_bad.csv", "--crs", "gcj02")
    assert not result.ok
    err = result.err
    assert "row 2 [事件类型] 错误 error: 事件类型 无法识别 '乱扔垃圾' (unknown category); 可用 valid: " in err
    assert "矛盾纠纷(dispute)" in err
    assert "row 3 [上报时间] 错误 error: 上报时间 无法识别的时间" in err and "'昨天下午'" in err
    assert "row 4 [上报时间] 错误 error: 上报时间 在将来 (in the future): 2099-01-01 00:00" in err
    assert "row 5 [状态] 错误 error: 状态 无法识别 '搁置' (unknown status)" in err and "核查结案" in err
    assert Incident.objects.count() == 0
    result = run("import_incidents", DATA / "incidents_bad.csv", "--crs", "gcj02", "--skip-invalid")
    assert list(Incident.objects.values_list("external_id", flat=True)) == ["SJ20240005"]
