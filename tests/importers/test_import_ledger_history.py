"""An import writes many households in one statement: the priority-group ledger (台账) still
records every household's groups, on the session's ledger day, and re-imports that change
the 人员类别 column close and open memberships as edits by hand do."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from layers.people.models import Household, PriorityMembership
from tests.importers.conftest import run
from tests.summaries.conftest import ledger_day

LEDGER = ["编号,户主姓名,地址,人口数,联系电话,身份证号,人员类别,经度,纬度",
          "JJ-L-1,何磊,一环路东三段61号,1,13800136840,510104199103247113,独居老人、低保,104.067008,30.660523",
          "JJ-L-2,陈军,一环路东一段46号,2,13800137672,510104198610288169,有幼儿,104.065762,30.66575",
          "JJ-L-3,王芳,一环路东一段48号,2,13800137673,,,104.065862,30.66585"]


def _history() -> list[tuple]:
    return sorted(PriorityMembership.objects.values_list("household__external_id", "group", "entered_on", "left_on"))


def test_imported_households_enter_and_leave_their_groups(chengdu, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("\r\n".join(LEDGER), encoding="utf-8-sig")
    with ledger_day(dt.date(2026, 4, 1)):
        assert run("import_households", path, "--crs", "wgs84").ok
    april = dt.date(2026, 4, 1)
    assert _history() == [("JJ-L-1", "低保", april, None), ("JJ-L-1", "独居老人", april, None),
                          ("JJ-L-2", "有幼儿", april, None)]
    with connection.cursor() as cur:  # the ledger rows live with their households' district
        cur.execute("SELECT DISTINCT district_code FROM people_prioritymembership")
        assert cur.fetchall() == [("510104",)]
    edited = [LEDGER[0], LEDGER[1].replace("独居老人、低保", "低保"), LEDGER[2], LEDGER[3].replace(",,,", ",,高龄,")]
    path.write_text("\r\n".join(edited), encoding="utf-8-sig")
    with ledger_day(dt.date(2026, 6, 1)):
        result = run("import_households", path, "--crs", "wgs84")
    assert "更新 updated 2, 未变 unchanged 1" in result.out
    june = dt.date(2026, 6, 1)
    assert _history() == [("JJ-L-1", "低保", april, None), ("JJ-L-1", "独居老人", april, june),
                          ("JJ-L-2", "有幼儿", april, None), ("JJ-L-3", "高龄", june, None)]
    assert Household.objects.count() == 3
