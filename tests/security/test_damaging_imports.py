"""Imports that would damage the stored map (security issue, finding 4): files in the wrong
coordinate system, boundaries outside their parent or on top of a sibling, make_valid
repairs that change the shape, grids that would un-link households and incidents.

Each is refused with a message naming the file, the feature and the reason, and nothing is
written; where a flag exists, the import goes through with it."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from shapely.geometry import MultiPolygon, Polygon, box, mapping

from layers.grids.models import Community, District, Grid, Street
from layers.incidents import lifecycle
from layers.people.models import Household
from tests.factories import category, make_household, point
from tests.importers.conftest import DATA, run
from tests.importers.conftest import chengdu as chengdu  # the fixture

pytestmark = pytest.mark.django_db


def shape(obj) -> MultiPolygon:
    """A stored row's geometry as a shapely MultiPolygon."""
    return shapely.from_wkb(bytes(obj.geom.wkb))


def write(path, rows: list[dict], crs: str | int = 4326):
    """A GeoJSON file of ``rows`` (attribute dicts with a shapely ``geometry``) declaring ``crs``."""
    gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_file(path, driver="GeoJSON")
    return path


def grid_rows(community_code: str) -> list[dict]:
    return [{"网格编码": g.code, "网格名称": g.name, "社区编码": community_code, "geometry": shape(g)}
            for g in Grid.objects.filter(community__code=community_code).order_by("code")]


def stored_grids() -> dict[str, bytes]:
    return {g.code: bytes(g.geom.wkb) for g in Grid.objects.all()}


def households_in(grid: Grid, n: int) -> list[Household]:
    inside = shape(grid).representative_point()
    return [make_household(point(inside.x + i * 1e-6, inside.y)) for i in range(n)]


# --- coordinate systems ---------------------------------------------------------------------


def test_grid_file_in_degrees_declared_as_3857_is_refused_naming_the_crs(chengdu, tmp_path):
    grid = Grid.objects.get(code="510104001001001")
    homes = households_in(grid, 3)
    before = stored_grids()
    path = write(tmp_path / "网格.geojson", grid_rows("510104001001"), crs=3857)  # lon/lat numbers, metres declared
    result = run("import_boundaries", path, "--level", "grid")
    assert not result.ok
    assert "网格.geojson: 文件声明坐标系 EPSG:3857，要素落在 (0.0009, 0.0003) 附近，不在本区范围内" in result.error
    assert "如坐标为经纬度，请用 --crs wgs84" in result.error
    assert stored_grids() == before
    assert {h.grid_id for h in Household.objects.filter(pk__in=[h.pk for h in homes])} == {grid.pk}
    again = run("import_boundaries", path, "--level", "grid", "--crs", "wgs84")
    assert again.ok, again.text
    assert "未变 unchanged 4" in again.out


def test_gauss_kruger_metres_declared_as_degrees_are_refused_suggesting_the_zone(chengdu, tmp_path):
    gk = gpd.GeoDataFrame(grid_rows("510104001001"), geometry="geometry", crs=4326).to_crs(4523)
    path = write(tmp_path / "grids_gk.geojson", gk.to_dict("records"), crs=4326)  # zone-35 metres, degrees declared
    result = run("import_boundaries", path, "--level", "grid")
    assert not result.ok
    assert "文件声明坐标系 EPSG:4326，要素落在 (35" in result.error
    assert "不在本区范围内" in result.error
    assert "3 度带第 35 带" in result.error and "--crs EPSG:4523" in result.error
    assert run("import_boundaries", path, "--level", "grid", "--crs", "EPSG:4523").ok


def test_gauss_kruger_metres_without_zone_number_declared_as_degrees_suggest_the_central_meridian(chengdu, tmp_path):
    gk = gpd.GeoDataFrame(grid_rows("510104001002"), geometry="geometry", crs=4326).to_crs(4544)
    path = write(tmp_path / "grids_cm.geojson", gk.to_dict("records"), crs=4490)
    result = run("import_boundaries", path, "--level", "grid")
    assert not result.ok
    assert "文件声明坐标系 EPSG:4490" in result.error and "中央经线 105°E" in result.error
    assert "--crs EPSG:4544" in result.error


def test_district_file_in_degrees_declared_as_3857_lands_outside_china_and_is_refused(db, tmp_path):
    district = gpd.read_file(DATA / "district.geojson")
    path = write(tmp_path / "区.geojson", district.to_dict("records"), crs=3857)
    result = run("import_boundaries", path, "--level", "district")
    assert not result.ok
    assert "文件声明坐标系 EPSG:3857" in result.error and "不在中国范围内" in result.error
    assert "--crs wgs84" in result.error
    assert not District.objects.exists()


def test_crs_option_in_the_wrong_unit_is_refused_naming_the_option(chengdu, tmp_path):
    path = write(tmp_path / "grids.geojson", grid_rows("510104001001"))
    result = run("import_boundaries", path, "--level", "grid", "--crs", "EPSG:3857")
    assert not result.ok
    assert "--crs 指定坐标系 EPSG:3857" in result.error and "--crs wgs84" in result.error


# --- containment and siblings at every level ------------------------------------------------------


def test_street_wholly_outside_its_district_is_refused(chengdu, tmp_path):
    street = Street.objects.get()
    away = shapely.affinity.translate(shape(street), xoff=0.2)
    path = write(tmp_path / "街道.geojson", [
        {"街道编码": street.code, "街道名称": street.name, "geometry": shape(street)},
        {"街道编码": "510104002", "街道名称": "外区街道", "geometry": away},
    ])
    result = run("import_boundaries", path, "--level", "street")
    assert not result.ok
    assert "feature 2 [geometry] 错误 error: 街道 510104002 完全在所属区 锦江区(测试边界) 510104 之外" in result.err
    assert not Street.objects.filter(code="510104002").exists()


def test_street_on_top_of_a_sibling_street_is_refused_naming_both(chengdu, tmp_path):
    street = Street.objects.get()
    path = write(tmp_path / "街道.geojson", [{"街道编码": "510104002", "街道名称": "重叠街道", "geometry": shape(street)}])
    result = run("import_boundaries", path, "--level", "street")
    assert not result.ok
    assert f"街道 510104002 与 已有街道 {street.name} 510104001 (stored street) 重叠" in result.err
    assert Street.objects.count() == 1


def test_district_on_top_of_another_district_is_refused(chengdu, tmp_path):
    district = District.objects.get()
    path = write(tmp_path / "区.geojson", [{"区划代码": "510105", "名称": "青羊区", "geometry": shape(district)}])
    result = run("import_boundaries", path, "--level", "district")
    assert not result.ok
    assert "区 510105 与 已有区 锦江区(测试边界) 510104 (stored district) 重叠" in result.err
    assert District.objects.count() == 1


def test_community_leaving_its_street_and_covering_a_sibling_reports_both_problems(chengdu, tmp_path):
    community = Community.objects.get(code="510104001001")
    grown = shape(community).buffer(0.002, join_style="mitre")
    path = write(tmp_path / "社区.geojson", [{"社区编码": "510104001001", "社区名称": community.name,
                                              "街道编码": "510104001", "geometry": grown}])
    before = bytes(Community.objects.get(code="510104001001").geom.wkb)
    result = run("import_boundaries", path, "--level", "community")
    assert not result.ok
    assert "社区 510104001001 超出所属街道" in result.err and "(leaves its street)" in result.err
    assert "社区 510104001001 与 已有社区" in result.err and "(stored community) 重叠" in result.err
    assert bytes(Community.objects.get(code="510104001001").geom.wkb) == before


def test_sql_update_moving_a_street_out_of_its_district_is_refused(chengdu):
    with pytest.raises(IntegrityError, match="完全在所属区 锦江区"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE grids_street SET geom = ST_Translate(geom, 1, 0)")


def test_sql_insert_of_a_street_on_top_of_its_sibling_is_refused(chengdu):
    with pytest.raises(IntegrityError, match="与街道 .*510104001 重叠"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("INSERT INTO grids_street (code, name, district_id, geom) "
                        "SELECT '510104002', '复制街道', district_id, geom FROM grids_street")


def test_sql_update_shrinking_a_grid_to_a_sliver_near_null_island_is_refused(chengdu):
    # What a degrees file declared as EPSG:3857 did: the sliver tolerance let a 0.0003 m² grid through.
    with pytest.raises(IntegrityError, match="完全在所属社区.*面积仅|面积仅.*完全在所属社区"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE grids_grid SET geom = ST_Multi(ST_Transform(ST_SetSRID(geom, 3857), 4326)) "
                        "WHERE code = '510104001001001'")


# --- make_valid repairs -------------------------------------------------------------------------


def bowtie(xmin: float, ymin: float, xmax: float, ymax: float, cross: float) -> MultiPolygon:
    """A self-intersecting ring over the box; ``cross`` (0–1) moves one corner to make the lobes unequal."""
    ylow = ymin + cross * (ymax - ymin)
    return MultiPolygon([Polygon([(xmin, ymin), (xmax, ymax), (xmax, ylow), (xmin, ymax), (xmin, ymin)])])


def community_file(tmp_path, world, geom) -> str:
    c = world.community
    return write(tmp_path / "社区.geojson", [{"社区编码": c.code, "社区名称": c.name, "街道编码": c.code[:9],
                                              "geometry": geom}])


def test_self_intersecting_community_repair_changing_the_area_is_refused_naming_areas_and_grids(world, tmp_path):
    before = bytes(Community.objects.get(pk=world.community.pk).geom.wkb)
    path = community_file(tmp_path, world, bowtie(104.060, 30.650, 104.080, 30.660, 0.2))
    result = run("import_boundaries", path, "--level", "community")
    assert not result.ok
    assert "社区 510104001001 测试社区: make_valid 修复使面积由" in result.err
    assert "超过容差 1%" in result.err and "--accept-repairs" in result.err
    assert "社区 510104001001 新范围使 2 个已有网格超出其范围: 西网格" in result.err
    assert bytes(Community.objects.get(pk=world.community.pk).geom.wkb) == before
    accepted = run("import_boundaries", path, "--level", "community", "--accept-repairs")
    assert accepted.ok, accepted.text
    assert "已按 --accept-repairs 接受" in accepted.err and "请随后重新导入网格" in accepted.err
    assert bytes(Community.objects.get(pk=world.community.pk).geom.wkb) != before


def test_repair_within_the_area_tolerance_that_strands_grids_is_refused_naming_them(world, tmp_path, settings):
    settings.GRIDMAP_REPAIR_TOLERANCE = 100.0  # only the stranded grids stop this one
    path = community_file(tmp_path, world, bowtie(104.060, 30.650, 104.080, 30.660, 0.2))
    result = run("import_boundaries", path, "--level", "community")
    assert not result.ok
    assert "make_valid 修复使面积" not in result.err
    assert "新范围使 2 个已有网格超出其范围" in result.err and f"{world.west.name} {world.west.code}" in result.err
    assert "新范围由 make_valid 修复得到" in result.err


def test_small_repair_of_a_digitising_slip_is_still_accepted(chengdu):
    Grid.objects.filter(community__code="510104001001").delete()
    result = run("import_boundaries", DATA / "grids_selfintersecting.geojson", "--level", "grid")
    assert result.ok, result.text


# --- un-linking households and incidents ----------------------------------------------------------


def grid_file(tmp_path, world, west_box, east_box=None):
    rows = [{"网格编码": world.west.code, "网格名称": world.west.name, "社区编码": world.community.code,
             "geometry": box(*west_box)}]
    if east_box:
        rows.append({"网格编码": world.east.code, "网格名称": world.east.name, "社区编码": world.community.code,
                     "geometry": box(*east_box)})
    return write(tmp_path / "网格.geojson", rows)


def test_grid_redrawn_away_from_its_households_is_refused_with_counts_per_grid(world, tmp_path):
    lifecycle.report(category=category("dispute"), description="西边第二件", geom=point(104.0655, 30.6555),
                     at=timezone.now())
    path = grid_file(tmp_path, world, (104.060, 30.650, 104.0625, 30.660))  # hw and iw now in no grid
    result = run("import_boundaries", path, "--level", "grid")
    assert not result.ok
    assert (f"网格 {world.west.code} 西网格 导入后将有 1 户、2 个事件不在任何网格内 "
            "(would un-link 1 households and 2 incidents") in result.err
    assert "--allow-unlink" in result.err
    world.hw.refresh_from_db()
    world.west.refresh_from_db()
    assert world.hw.grid_id == world.west.pk and world.west.geom.area > 0.00009
    allowed = run("import_boundaries", path, "--level", "grid", "--allow-unlink")
    assert allowed.ok, allowed.text
    assert "已解除关联 (un-linked, --allow-unlink)" in allowed.out
    world.hw.refresh_from_db()
    assert world.hw.grid_id is None


def test_moving_a_border_between_two_grids_re_links_and_needs_no_flag(world, tmp_path):
    path = grid_file(tmp_path, world, (104.060, 30.650, 104.0625, 30.660), (104.0625, 30.650, 104.080, 30.660))
    result = run("import_boundaries", path, "--level", "grid")
    assert result.ok, result.text
    world.hw.refresh_from_db()
    assert world.hw.grid_id == world.east.pk


def test_skip_invalid_writes_the_grids_that_keep_their_households(world, tmp_path):
    path = grid_file(tmp_path, world, (104.060, 30.650, 104.0625, 30.660), (104.070, 30.650, 104.080, 30.6595))
    result = run("import_boundaries", path, "--level", "grid", "--skip-invalid")
    assert result.ok, result.text
    assert "更新 updated 1" in result.out and "拒绝 rejected 1" in result.out
    world.west.refresh_from_db()
    world.east.refresh_from_db()
    world.hw.refresh_from_db()
    assert world.hw.grid_id == world.west.pk
    assert shapely.equals(shape(world.east), MultiPolygon([box(104.070, 30.650, 104.080, 30.6595)]))
    assert mapping(shape(world.west))["coordinates"]  # west untouched and still there


# --- the admin follows the same rule ----------------------------------------------------------------


def test_admin_edit_moving_a_street_out_of_its_district_is_a_form_error_not_a_crash(world):
    from tests.fixtures_world import client_for

    street = world.community.street
    moved = "SRID=4326;MULTIPOLYGON(((105.0 31.0, 105.1 31.0, 105.1 31.1, 105.0 31.1, 105.0 31.0)))"
    response = client_for(world.admin).post(f"/admin/grids/street/{street.pk}/change/", {
        "district": street.district_id, "code": street.code, "name": street.name, "geom": moved})
    assert response.status_code == 200  # the form again, with the error
    body = response.content.decode()
    assert "完全在所属区" in body and "lies wholly outside its district" in body
    street.refresh_from_db()
    assert street.geom.extent[0] < 104.5


def test_boundary_file_with_swapped_lon_lat_is_refused_saying_so(chengdu, tmp_path):
    rows = grid_rows("510104001001")
    for row in rows:
        row["geometry"] = shapely.transform(row["geometry"], lambda xy: xy[:, ::-1])
    path = write(tmp_path / "swapped.geojson", rows)
    result = run("import_boundaries", path, "--level", "grid")
    assert not result.ok
    assert "要素落在 (30." in result.error and "经纬度似乎颠倒" in result.error


def test_demo_grid_shrunk_away_from_its_households_is_refused_with_the_exact_counts(tmp_path):
    from tests.importers.test_demo_export import load

    assert all(r.ok for r in load())
    grid = Grid.objects.get(code="510104001001001")
    half = shapely.clip_by_rect(shape(grid), *shape(grid).bounds[:2], shape(grid).centroid.x, shape(grid).bounds[3])
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM people_household WHERE grid_id = %(g)s AND NOT ST_Covers("
                    "ST_GeomFromText(%(w)s, 4326), geom)), (SELECT count(*) FROM incidents_incident "
                    "WHERE grid_id = %(g)s AND NOT ST_Covers(ST_GeomFromText(%(w)s, 4326), geom))",
                    {"g": grid.pk, "w": half.wkt})
        households, incidents = cur.fetchone()
    assert households > 20
    linked = Household.objects.filter(grid=grid).count()
    path = write(tmp_path / "网格.geojson", [{"网格编码": grid.code, "网格名称": grid.name, "社区编码": grid.code[:12],
                                              "geometry": half}])
    result = run("import_boundaries", path, "--level", "grid")
    assert not result.ok
    assert f"网格 {grid.code} {grid.name} 导入后将有 {households} 户、{incidents} 个事件不在任何网格内" in result.err
    assert Household.objects.filter(grid=grid).count() == linked  # nothing written, nobody un-linked


def test_one_district_of_a_file_outside_china_is_refused_with_its_position(db, tmp_path):
    district = gpd.read_file(DATA / "district.geojson").to_dict("records")
    far = {"区划代码": "510105", "名称": "远方区", "geometry": shapely.affinity.translate(district[0]["geometry"], 60)}
    result = run("import_boundaries", write(tmp_path / "区.geojson", [*district, far]), "--level", "district")
    assert not result.ok
    assert "feature 2 [geometry] 错误 error: 区 510105 位于 (164." in result.err and "不在中国范围内" in result.err
    assert not District.objects.exists()
