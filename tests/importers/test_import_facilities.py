"""import_facilities: OSM points with tags, a Chinese list with its own headers, KML."""

from __future__ import annotations

import pytest

from layers.facilities.models import Facility
from tests.importers.conftest import DATA, run

pytestmark = pytest.mark.django_db


def test_osm_geojson_types_from_tags_and_names(chengdu):
    result = run("import_facilities", DATA / "facilities_osm.geojson")
    assert result.ok, result.text
    assert "新增 created 30" in result.out
    by_name = {f.name: f for f in Facility.objects.select_related("type")}
    assert by_name["成都市人北实验小学"].type.code == "primary_school"
    assert by_name["列五中学"].type.code == "middle_school"  # amenity=school, named 中学
    assert by_name["解放路农贸市场"].type.code == "market"
    assert by_name["成都二仙桥派出所"].type.code == "police"
    assert by_name["六九幼儿园"].type.code == "kindergarten"
    assert by_name["千里马大地幼儿园"].type.code == "kindergarten"  # tagged amenity=school in OSM
    f = by_name["列五中学"]
    assert (f.source, f.source_id) == ("import", "node/1958204273")
    again = run("import_facilities", DATA / "facilities_osm.geojson")
    assert "新增 created 0, 更新 updated 0, 未变 unchanged 30" in again.out


def test_chinese_type_names_and_mapping_option(chengdu):
    result = run("import_facilities", DATA / "facilities_list.xlsx", "--crs", "wgs84")
    assert not result.ok
    assert "missing required columns: lon (经度/东经), lat (纬度/北纬)" in result.error
    assert "--mapping 'HEADER=FIELD,...'" in result.error
    result = run("import_facilities", DATA / "facilities_list.xlsx", "--crs", "wgs84",
                 "--mapping", "经度坐标=lon,纬度坐标=lat")
    assert result.ok, result.text
    types = dict(Facility.objects.values_list("name", "type__code"))
    assert types["春熙路社区卫生服务站(示例)"] == "health_station"
    assert types["春熙路党群服务中心(示例)"] == "service_station"
    assert types["春熙路图书室(示例)"] == "library"
    assert types["春熙路社区医院(示例)"] == "health_centre"
    assert types["春熙路日间照料中心(示例)"] == "elderly_daycare"
    assert Facility.objects.get(name="春熙路养老院(示例)").capacity == 20
    # No id column: the key is a stable hash of name, type and position, so a re-import matches.
    assert all(s.startswith("h:") for s in Facility.objects.values_list("source_id", flat=True))
    again = run("import_facilities", DATA / "facilities_list.xlsx", "--crs", "wgs84", "--map", "经度坐标=lon,纬度坐标=lat")
    assert "未变 unchanged 10" in again.out


def test_kml(chengdu):
    result = run("import_facilities", DATA / "facilities.kml")
    assert result.ok, result.text
    assert Facility.objects.count() == 3


def test_unknown_type_lists_the_valid_ones(chengdu, tmp_path):
    (tmp_path / "f.csv").write_text("名称,类型,经度,纬度\r\n某某网吧,网吧,104.07,30.66\r\n", encoding="gbk")
    result = run("import_facilities", tmp_path / "f.csv", "--crs", "wgs84")
    assert not result.ok
    assert "类型 无法识别 '网吧' (unknown type); 可用 valid: 社区卫生服务站(health_station)" in result.err


def test_outside_the_district_is_a_warning(chengdu, tmp_path):
    (tmp_path / "f.csv").write_text("编号,名称,类型,经度,纬度\r\nX1,郊区公园,公园,104.3,30.66\r\n", encoding="utf-8")
    result = run("import_facilities", tmp_path / "f.csv", "--crs", "wgs84")
    assert result.ok
    assert "警告 warning: (104.300000, 30.660000) 在辖区" in result.err
    assert Facility.objects.get(source_id="X1").type.code == "park"
