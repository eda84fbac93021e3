"""The importers' bulk paths: cells cleaned column by column in the tabular readers, and staged
points linked to grids on arrays — each giving what the row-by-row path gives."""

from __future__ import annotations

import pytest
from django.db import connection

from importers.readers import open_source
from layers.people.models import Household
from tests.factories import MIDDLE, two_grids
from tests.importers.conftest import run

HEADER = "编号,户主姓名,地址,经度,纬度"


def _csv(tmp_path, *lines: str, name: str = "ledger.csv"):
    path = tmp_path / name
    path.write_text("\r\n".join([HEADER, *lines]) + "\r\n", encoding="utf-8")
    return path


def test_cells_are_stripped_and_unquoted_and_nul_rows_refused_in_row_order(tmp_path):
    path = _csv(
        tmp_path,
        "H1,  张三 ,'=1+1,104.065,30.655",  # an export's quote before a formula comes off; spaces go
        "H2,李四\x00,测试路2号,104.066,30.655",  # NUL in 户主姓名
        "H3,王五",  # short row
        "H4,赵六,'普通文本,104.067,30.655",  # a quote before plain text is the user's own: kept
        "H5,孙七,测试路5号\x00,104.068\x00,30.655",  # NUL in two cells: the first column is named
        "H6,周八,测试路6号,104.069,30.655",
    )
    with open_source(path, layer="households", crs="wgs84") as source:
        chunks = list(source.chunks(2))
    numbers = [n for c in chunks for n in c.numbers.tolist()]
    assert numbers == [2, 5, 7]
    frame = [row for c in chunks for row in c.frame[["external_id", "head_name", "address"]].itertuples(index=False)]
    assert [tuple(r) for r in frame] == [("H1", "张三", "=1+1"), ("H4", "赵六", "'普通文本"), ("H6", "周八", "测试路6号")]
    issues = [(i.number, i.field, i.kind) for c in chunks for i in c.issues]
    assert issues == [(3, "户主姓名", "nul_byte"), (4, "地址", "row_shape"), (6, "地址", "nul_byte")]
    assert all("NUL" in i.message for c in chunks for i in c.issues if i.kind == "nul_byte")


@pytest.mark.django_db
def test_import_links_points_on_a_shared_border_and_outside_by_the_sql_rule(tmp_path):
    _, west, east = two_grids()
    first = min((west, east), key=lambda g: g.code)
    path = _csv(
        tmp_path,
        "B1,张三,测试路1号,104.065,30.655",
        f"B2,李四,测试路2号,{MIDDLE},30.655",  # on the shared border
        f"B3,王五,测试路3号,{MIDDLE},30.650",  # on the shared vertex at the community's edge
        "B4,赵六,测试路4号,104.075,30.655",
        "B5,孙七,测试路5号,104.081,30.655",  # inside the district, outside every grid
    )
    result = run("import_households", path, "--crs", "wgs84")
    assert result.ok, result.text
    assert "1 个点不在任何网格内" in result.out
    linked = dict(Household.objects.values_list("external_id", "grid_id"))
    assert linked == {"B1": west.id, "B2": first.id, "B3": first.id, "B4": east.id, "B5": None}
    with connection.cursor() as cur:
        cur.execute("SELECT external_id, gridmap_grid_for_point(geom) FROM people_household")
        assert dict(cur.fetchall()) == linked


@pytest.mark.django_db
@pytest.mark.parametrize("trigger_linking", [False, True])
def test_bulk_and_row_by_row_linking_agree_on_edge_points(tmp_path, trigger_linking):
    from importers.loaders.base import ImportOptions
    from importers.loaders.households import HouseholdLoader

    two_grids()
    lines = [f"E{k},张三,测试路{k}号,{MIDDLE + d},30.655" for k, d in enumerate([-1e-12, 0.0, 1e-12, -1e-9, 1e-9])]
    result = HouseholdLoader(_csv(tmp_path, *lines), ImportOptions(crs="wgs84", progress=False,
                                                                 trigger_linking=trigger_linking)).run()
    assert result.created == 5
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM people_household WHERE grid_id IS DISTINCT FROM gridmap_grid_for_point(geom)")
        assert cur.fetchone()[0] == 0
