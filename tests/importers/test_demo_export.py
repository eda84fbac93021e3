"""An export of one community of the demo district (tests/importers/data/demo, written by
make_demo_export.py with export_layer) imported into an empty database."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from layers.facilities.models import Facility
from layers.grids.models import Community, Grid
from layers.incidents.models import Incident
from layers.people.models import Household
from tests.importers.conftest import DATA, run

pytestmark = pytest.mark.django_db
DEMO = DATA / "demo"


def load() -> list:
    results = [run("import_boundaries", DEMO / name, "--level", level) for name, level in (
        ("district.geojson", "district"), ("street.geojson", "street"), ("community.geojson", "community"),
        ("grids.gpkg", "grid"))]
    results.append(run("import_facilities", DEMO / "facilities.geojson"))
    results.append(run("import_households", DEMO / "households.xlsx", "--crs", "wgs84"))
    results.append(run("import_incidents", DEMO / "incidents.csv", "--crs", "wgs84"))
    return results


def test_demo_community_export_imports_into_an_empty_database():
    for result in load():
        assert result.ok, result.text
    assert Community.objects.get().code == "510104001001"
    assert Grid.objects.count() == 7
    rows = list(openpyxl.load_workbook(DEMO / "households.xlsx", read_only=True).worksheets[0].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert Household.objects.count() == len(body) > 500
    # Every household is linked to the grid the export says, through the importer's linking.
    code = header.index("网格编码")
    linked = dict(Household.objects.values_list("external_id", "grid__code"))
    assert all(linked[r[0]] == r[code] for r in body)
    with (DEMO / "incidents.csv").open(encoding="utf-8-sig") as f:
        incidents = list(csv.DictReader(f))
    assert Incident.objects.count() == len(incidents)
    assert {i.grid.code for i in Incident.objects.select_related("grid")} <= {"510104001001001", "510104001001002"}
    assert Facility.objects.count() > 0


def test_demo_reimport_changes_nothing():
    load()
    again = load()
    assert all("新增 created 0, 更新 updated 0" in r.out for r in again), [r.out for r in again]
