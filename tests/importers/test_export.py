"""export_layer: formats, masking, who may see what, and round trips through the importers."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User

from importers.models import ImportRun
from layers.grids.models import GridAssignment
from layers.incidents.models import Incident
from layers.people.models import Household, PiiAccessLog
from tests.importers.conftest import DATA, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(chengdu):
    assert run("import_households", DATA / "households_ledger.xlsx", "--crs", "wgs84", "--skip-invalid").ok
    assert run("import_incidents", DATA / "incidents_gcj02.csv", "--crs", "gcj02").ok


def sheet_rows(path) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_household_ledger_is_masked_by_default(ledger, tmp_path):
    result = run("export_layer", "households", tmp_path / "台账.xlsx")
    assert result.ok and "39 行已导出" in result.out and "masked" in result.out
    rows = sheet_rows(tmp_path / "台账.xlsx")
    assert rows[0][:7] == ("编号", "户主姓名", "地址", "人口数", "联系电话", "身份证号", "标签")
    first = dict(zip(rows[0], rows[1], strict=True))
    stored = Household.objects.get(external_id=first["编号"])
    assert first["户主姓名"] == stored.head_name[0] + "*" * (len(stored.head_name) - 1)
    assert first["身份证号"] == stored.id_number[:4] + "**********" + stored.id_number[-4:]
    assert first["联系电话"] == stored.phone[:3] + "****" + stored.phone[-4:]
    assert first["网格编码"] == stored.grid.code
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["JJ-CX-00009"][6] == "低保、*"  # 残疾 is health status: masked
    notes = openpyxl.load_workbook(tmp_path / "台账.xlsx").worksheets[1]
    assert "已脱敏 masked" in [c.value for row in notes.iter_rows() for c in row]
    assert ImportRun.objects.get(kind="export").rows == 39


def test_masked_export_imports_back_without_losing_personal_data(ledger, tmp_path):
    before = {h.external_id: (h.head_name, h.id_number, h.phone, h.tags) for h in Household.objects.all()}
    for name in ("h.xlsx", "h.csv", "h.geojson", "h.gpkg"):
        assert run("export_layer", "households", tmp_path / name).ok
        crs = ["--crs", "wgs84"] if name.endswith(("xlsx", "csv")) else []
        result = run("import_households", tmp_path / name, *crs)
        assert "新增 created 0, 更新 updated 0, 未变 unchanged 39" in result.out, (name, result.text)
    after = {h.external_id: (h.head_name, h.id_number, h.phone, h.tags) for h in Household.objects.all()}
    assert after == before


def test_masked_rows_cannot_create_households(ledger, tmp_path):
    run("export_layer", "households", tmp_path / "h.csv")
    Household.objects.filter(external_id="JJ-CX-00001").delete()
    result = run("import_households", tmp_path / "h.csv", "--crs", "wgs84")
    assert not result.ok
    assert "是脱敏值 (a masked value" in result.err


def test_unmasked_needs_a_user_with_the_right(ledger, tmp_path):
    result = run("export_layer", "households", tmp_path / "x.xlsx", "--unmasked")
    assert "--unmasked: no --user may not see full personal data" in result.error
    User.objects.create_user("clerk")
    result = run("export_layer", "households", tmp_path / "x.xlsx", "--unmasked", "--user", "clerk")
    assert "user 'clerk' may not see full personal data" in result.error
    assert "people.view_household_pii" in result.error
    assert not (tmp_path / "x.xlsx").exists()
    User.objects.create_superuser("boss")
    result = run("export_layer", "households", tmp_path / "x.csv", "--unmasked", "--user", "boss")
    assert result.ok
    rows = list(csv.DictReader((tmp_path / "x.csv").open(encoding="utf-8-sig")))
    stored = Household.objects.get(external_id=rows[0]["编号"])
    assert rows[0]["身份证号"] == stored.id_number and rows[0]["户主姓名"] == stored.head_name
    assert PiiAccessLog.objects.filter(user__username="boss").count() == 39
    assert ImportRun.objects.get(kind="export", unmasked=True).user.username == "boss"


def test_grid_worker_exports_only_their_grids(ledger, tmp_path):
    worker = User.objects.create_user("wangge")
    worker.user_permissions.add(*Permission.objects.filter(codename__in=["view_household", "view_incident"]))
    grid = Household.objects.get(external_id="JJ-CX-00001").grid
    GridAssignment.objects.create(user=worker, grid=grid)
    run("export_layer", "households", tmp_path / "mine.csv", "--user", "wangge")
    rows = list(csv.DictReader((tmp_path / "mine.csv").open(encoding="utf-8-sig")))
    assert {r["网格编码"] for r in rows} == {grid.code}
    assert len(rows) == Household.objects.filter(grid=grid).count() > 0
    run("export_layer", "incidents", tmp_path / "mine.geojson", "--user", "wangge")
    features = json.loads((tmp_path / "mine.geojson").read_text())["features"]
    assert len(features) == Incident.objects.filter(grid=grid).count() < Incident.objects.count()
    assert run("export_layer", "households", tmp_path / "x.csv", "--user", "nobody").error == "--user: no active user 'nobody'"


def test_incidents_export_in_local_time_and_chinese_labels(ledger, tmp_path):
    run("export_layer", "incidents", tmp_path / "i.csv")
    rows = {r["事件编号"]: r for r in csv.DictReader((tmp_path / "i.csv").open(encoding="utf-8-sig"))}
    assert rows["SJ20240001"]["上报时间"] == "2024-03-02 09:05:00"
    assert rows["SJ20240001"]["状态"] == "核查结案" and rows["SJ20240001"]["事件类型"] == "治安隐患"
    result = run("import_incidents", tmp_path / "i.csv", "--crs", "wgs84")
    assert "未变 unchanged 12" in result.out


@pytest.mark.parametrize("name", ["grids.gpkg", "grids.geojson", "grids.xlsx", "grids.csv"])
def test_grids_round_trip(chengdu, tmp_path, name):
    assert run("export_layer", "grids", tmp_path / name).ok
    crs = ["--crs", "wgs84"] if name.endswith(("xlsx", "csv")) else []
    result = run("import_boundaries", tmp_path / name, "--level", "grid", *crs)
    assert "新增 created 0, 更新 updated 0, 未变 unchanged 39" in result.out, result.text


def test_facilities_round_trip_and_bad_requests(chengdu, tmp_path):
    run("import_facilities", DATA / "facilities_osm.geojson")
    run("export_layer", "facility", tmp_path / "f.xlsx")
    assert "未变 unchanged 30" in run("import_facilities", tmp_path / "f.xlsx", "--crs", "wgs84").out
    assert "unknown layer 'roads'" in run("export_layer", "roads", tmp_path / "r.csv").error
    assert "cannot tell the format" in run("export_layer", "grids", tmp_path / "g.shp").error


def test_grid_areas_are_square_metres_in_the_districts_own_crs(chengdu, tmp_path):
    from django.db import connection

    assert run("export_layer", "grids", tmp_path / "grids.xlsx").ok
    sheet = openpyxl.load_workbook(tmp_path / "grids.xlsx").active
    header = [c.value for c in sheet[1]]
    areas = {row[header.index("网格编码")]: row[header.index("面积(m²)")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    with connection.cursor() as cur:
        cur.execute("SELECT g.code, round(ST_Area(ST_Transform(g.geom, d.metric_srid))::numeric, 1)::float8 "
                    "FROM grids_grid g JOIN grids_community c ON c.id = g.community_id "
                    "JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id")
        expected = dict(cur.fetchall())
    assert len(areas) == len(expected) == 39 and areas == expected
