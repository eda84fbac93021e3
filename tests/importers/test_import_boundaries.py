"""import_boundaries on real files (the Chengdu test street) and deliberately broken ones."""

from __future__ import annotations

import csv

import pytest
from django.db import connection

from layers.grids.models import Community, District, Grid, Street
from tests.importers.conftest import DATA, run

pytestmark = pytest.mark.django_db


def test_hierarchy_from_geojson_geopackage_and_zipped_gauss_kruger_shapefile(chengdu):
    assert District.objects.get().code == "510104"
    assert Street.objects.get().district.code == "510104"
    assert Community.objects.count() == 6
    assert Grid.objects.count() == 39
    # The zipped shapefile is CGCS2000 Gauss-Kruger zone 35 (EPSG:4523) with GBK attributes and no .cpg.
    grid = Grid.objects.get(code="510104001003001")
    assert grid.name == "总府第1网格"
    assert grid.community.code == "510104001003"
    assert 104.06 < grid.geom.centroid.x < 104.09 and 30.65 < grid.geom.centroid.y < 30.68
    # The grids tile their communities: every grid lies in its community (within 1 m²).
    with connection.cursor() as cur:
        cur.execute("SELECT max(ST_Area(ST_Difference(g.geom, c.geom)::geography)) FROM grids_grid g "
                    "JOIN grids_community c ON c.id = g.community_id")
        assert cur.fetchone()[0] < 1.0


def test_output_names_crs_encoding_and_counts(chengdu):
    result = run("import_boundaries", DATA / "grids_gk35.zip", "--level", "grid")
    assert result.ok
    assert "CGCS2000 / 3-degree Gauss-Kruger zone 35 (from the file)" in result.out
    assert "GB18030 (detected, no .cpg)" in result.out
    assert "网格编码→code" in result.out
    assert "新增 created 0, 更新 updated 0, 未变 unchanged 39, 拒绝 rejected 0" in result.out


def test_reimport_is_idempotent_and_an_edit_is_an_update(chengdu, tmp_path):
    import geopandas as gpd

    before = dict(Grid.objects.values_list("code", "id"))
    gdf = gpd.read_file(DATA / "communities.gpkg")
    gdf.loc[0, "社区名称"] = "盐市口社区(改名)"
    gdf.to_file(tmp_path / "renamed.gpkg", layer="社区", driver="GPKG")
    result = run("import_boundaries", tmp_path / "renamed.gpkg", "--level", "community")
    assert "新增 created 0, 更新 updated 1, 未变 unchanged 5" in result.out
    assert Community.objects.get(code="510104001001").name == "盐市口社区(改名)"
    run("import_boundaries", DATA / "grids_gk35.zip", "--level", "grid")
    assert dict(Grid.objects.values_list("code", "id")) == before


def test_missing_parent_is_reported_and_nothing_written(db):
    result = run("import_boundaries", DATA / "communities.gpkg", "--level", "community")
    assert not result.ok
    assert "街道 510104001 不存在" in result.err
    assert "--level street" in result.err
    assert Community.objects.count() == 0


def test_grids_without_codes_get_codes_in_reading_order_and_reimport_matches_them(chengdu):
    Grid.objects.filter(community__code="510104001001").delete()
    result = run("import_boundaries", DATA / "grids_nocode.geojson", "--level", "grid")
    assert result.ok, result.text
    grids = list(Grid.objects.filter(community__code="510104001001").order_by("code"))
    assert [g.code for g in grids] == [f"510104001001{i:03d}" for i in range(1, 5)]
    # Reading order: north→south rows, west→east: the first grid is the north-west one.
    first, last = grids[0].geom.centroid, grids[-1].geom.centroid
    assert first.y > last.y
    again = run("import_boundaries", DATA / "grids_nocode.geojson", "--level", "grid")
    assert "新增 created 0, 更新 updated 0, 未变 unchanged 4" in again.out


def test_overlapping_leaving_and_gap_reported_with_areas_and_nothing_written(chengdu, tmp_path):
    Grid.objects.filter(community__code="510104001002").delete()
    report = tmp_path / "errors.csv"
    result = run("import_boundaries", DATA / "grids_overlapping.geojson", "--level", "grid",
                 "--error-report", report)
    assert not result.ok
    assert "import refused" in result.error
    assert "feature 1 [geometry] 错误 error: 网格 510104001002001 与 feature 2 (网格 510104001002002) 重叠" in result.err
    assert "超出所属社区 红星社区 510104001002" in result.err
    assert "m² (leaves its community)" in result.err
    assert "内有" in result.err and "gap inside the community" in result.err
    assert Grid.objects.filter(community__code="510104001002").count() == 0
    rows = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert rows[0][:4] == ["文件 file", "位置 where", "序号 number", "字段 field"]
    kinds = {(r[1], r[2], r[5]) for r in rows[1:]}
    assert ("feature", "1", "error") in kinds and ("feature", "2", "error") in kinds
    gap = [r for r in rows[1:] if "gap" in r[6]]
    assert gap and float(gap[0][4]) > 10_000  # the missing grid, m²


def test_skip_invalid_writes_the_good_grids(chengdu):
    Grid.objects.filter(community__code="510104001002").delete()
    result = run("import_boundaries", DATA / "grids_overlapping.geojson", "--level", "grid", "--skip-invalid")
    assert result.ok
    codes = set(Grid.objects.filter(community__code="510104001002").values_list("code", flat=True))
    assert "510104001002001" not in codes and "510104001002002" not in codes  # the overlapping pair
    assert len(codes) == 4  # the file's 6 grids less the pair (the 7th is missing on purpose)
    assert "拒绝 rejected 2" in result.out


def test_self_intersecting_grid_is_repaired_and_reported(chengdu):
    Grid.objects.filter(community__code="510104001001").delete()
    result = run("import_boundaries", DATA / "grids_selfintersecting.geojson", "--level", "grid")
    assert result.ok, result.text
    assert "无效多边形已用 make_valid 修复" in result.err and "Self-intersection" in result.err
    grid = Grid.objects.get(code="510104001001001")
    assert grid.geom.valid
    assert "警告 warnings 1" in result.out


def test_dry_run_writes_nothing(chengdu):
    Grid.objects.filter(community__code="510104001001").delete()
    result = run("import_boundaries", DATA / "grids_nocode.geojson", "--level", "grid", "--dry-run")
    assert result.ok
    assert "新增 created 4" in result.out and "dry run: nothing written" in result.out
    assert Grid.objects.filter(community__code="510104001001").count() == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("grids_as_lines.geojson", "wrong geometry type"),
        ("grids_truncated.geojson", "cannot read the file"),
        ("empty.geojson", "the file has no features"),
        ("grids_no_crs", "文件没有坐标系 (the file has no coordinate system); give the coordinate system with --crs"),
        ("households_gbk.csv", "boundaries need polygons"),
    ],
)
def test_bad_files_are_refused_with_a_message(chengdu, name, message):
    before = Grid.objects.count()
    result = run("import_boundaries", DATA / name, "--level", "grid", *(["--crs", "wgs84"] if ".csv" in name else []))
    assert not result.ok
    assert message in result.error
    assert Grid.objects.count() == before


def test_file_without_crs_imports_with_crs_option(chengdu):
    Grid.objects.filter(community__code="510104001001").delete()
    result = run("import_boundaries", DATA / "grids_no_crs", "--level", "grid", "--crs", "EPSG:4523")
    assert result.ok, result.text
    assert Grid.objects.filter(community__code="510104001001").count() == 4
    assert Grid.objects.get(code="510104001001001").name == "盐市口第1网格"  # GBK .dbf, no .cpg


def test_grid_code_must_start_with_its_community_code(chengdu, tmp_path):
    import geopandas as gpd

    gdf = gpd.read_file(DATA / "grids_nocode.geojson").iloc[:1]
    gdf["网格编码"] = "510104001002099"  # a code of another community than the parent column says
    gdf["社区编码"] = "510104001001"
    gdf.to_file(tmp_path / "wrong_code.geojson", driver="GeoJSON")
    result = run("import_boundaries", tmp_path / "wrong_code.geojson", "--level", "grid")
    assert not result.ok
    assert "不以上级编码 510104001001 开头" in result.err


def test_community_redrawn_without_repair_warns_about_the_grids_it_leaves_outside(chengdu, tmp_path):
    import geopandas as gpd

    gdf = gpd.read_file(DATA / "communities.gpkg")
    first = gdf["社区编码"] == "510104001001"
    gdf.loc[first, "geometry"] = gdf.loc[first].to_crs(32648).buffer(-30, join_style="mitre").to_crs(gdf.crs)
    gdf[first].to_file(tmp_path / "shrunk.gpkg", layer="社区", driver="GPKG")
    result = run("import_boundaries", tmp_path / "shrunk.gpkg", "--level", "community")
    assert result.ok, result.text
    assert "警告 warning: 社区 510104001001 新范围使 4 个已有网格超出其范围" in result.err
    assert "请随后重新导入网格 (re-import the grids to match)" in result.err
    assert "更新 updated 1" in result.out


def test_district_level_is_checked_against_its_siblings_and_reimports_unchanged(chengdu):
    result = run("import_boundaries", DATA / "district.geojson", "--level", "district")
    assert result.ok, result.text
    assert "未变 unchanged 1" in result.out
