"""import_households: Chinese ledgers in every encoding, broken rows, idempotent re-imports."""

from __future__ import annotations

import csv

import pytest

from layers.people.models import Household
from tests.importers.conftest import DATA, run

pytestmark = pytest.mark.django_db


def test_gbk_csv_with_a_swapped_row_is_refused_whole(chengdu):
    result = run("import_households", DATA / "households_gbk.csv", "--crs", "wgs84", "--allow-no-key")
    assert not result.ok
    assert "编码 encoding: gb18030 (detected)" in result.out
    assert "households_gbk.csv row 4 [经度/纬度] 错误 error: 经度/纬度 经纬度颠倒" in result.err
    assert "--mapping '经度=lat,纬度=lon'" in result.err
    assert "拒绝 rejected 1" in result.out and "nothing written" in result.out
    assert "import refused" in result.error
    assert Household.objects.count() == 0


@pytest.mark.parametrize("name", ["households_gbk.csv", "households_gb18030.csv", "households_utf8_bom.csv",
                                  "households_utf8.csv"])
def test_every_encoding_gives_the_same_households(chengdu, name):
    result = run("import_households", DATA / name, "--crs", "wgs84", "--allow-no-key", "--skip-invalid")
    assert result.ok, result.text
    names = set(Household.objects.values_list("head_name", flat=True))
    assert {"张三", "李四"} <= names and "朱镕" not in names  # 朱镕's row is the swapped one
    if name == "households_gb18030.csv":
        assert {"刘䶮", "王𠀀"} <= names  # characters outside GBK
    h = Household.objects.get(head_name="李四")
    assert h.address == "锦江区书院街街道示例路2号" and h.residents == 2 and h.id_number == "51010419850505002X"


def test_mixed_encoding_file_is_refused(chengdu):
    result = run("import_households", DATA / "households_mixed_utf8_gbk.csv", "--crs", "wgs84", "--allow-no-key")
    assert not result.ok
    assert "mixes encodings" in result.error


def test_encoding_option_overrides_detection(chengdu):
    result = run("import_households", DATA / "households_gbk.csv", "--crs", "wgs84", "--allow-no-key",
                 "--encoding", "utf-8")
    assert not result.ok
    assert "不是有效的 utf-8 文本" in result.error


def test_no_crs_is_refused_with_the_fix(chengdu):
    result = run("import_households", DATA / "households_duplicates.csv")
    assert not result.ok
    assert "--crs: wgs84" in result.error and "gcj02" in result.error


def test_xlsx_ledger_id_number_stored_as_number_and_skip_invalid(chengdu, tmp_path):
    report = tmp_path / "report.csv"
    result = run("import_households", DATA / "households_ledger.xlsx", "--crs", "wgs84", "--error-report", report)
    assert not result.ok
    assert "row 6 [身份证号] 错误 error: 身份证号 被 Excel 存成了数字" in result.err
    assert "未使用 not used: 序号" in result.out
    assert Household.objects.count() == 0
    rows = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert rows[1][:6] == ["households_ledger.xlsx", "row", "6", "身份证号", "5.10104194302121e+17", "error"]
    result = run("import_households", DATA / "households_ledger.xlsx", "--crs", "wgs84", "--skip-invalid")
    assert result.ok
    assert "新增 created 39" in result.out and "拒绝 rejected 1" in result.out
    h = Household.objects.get(external_id="JJ-CX-00001")
    assert h.head_name == "何磊" and h.tags == ["独居老人"] and h.grid.code == "510104001004001"
    assert sorted(Household.objects.get(external_id="JJ-CX-00009").tags) == ["低保", "残疾"]
    assert Household.objects.filter(grid__isnull=True).count() == 0


def test_reimport_is_idempotent_and_edits_update(chengdu, tmp_path):
    run("import_households", DATA / "households_ledger.xlsx", "--crs", "wgs84", "--skip-invalid")
    again = run("import_households", DATA / "households_ledger.xlsx", "--crs", "wgs84", "--skip-invalid")
    assert "新增 created 0, 更新 updated 0, 未变 unchanged 39" in again.out
    assert Household.objects.count() == 39
    text = (DATA / "households_duplicates.csv").read_text(encoding="utf-8-sig").splitlines()
    edited = [text[0], text[1].replace(",1,13800136840,", ",4,13900000000,")]
    (tmp_path / "edit.csv").write_text("\r\n".join(edited), encoding="utf-8-sig")
    result = run("import_households", tmp_path / "edit.csv", "--crs", "wgs84")
    assert "新增 created 0, 更新 updated 1, 未变 unchanged 0" in result.out
    h = Household.objects.get(external_id="JJ-CX-00001")
    assert (h.residents, h.phone) == (4, "13900000000")


def test_duplicate_and_missing_keys(chengdu):
    result = run("import_households", DATA / "households_duplicates.csv", "--crs", "wgs84")
    assert not result.ok
    assert "编号 JJ-CX-00002 在文件中重复 (duplicate key in the file: rows 3, 7)" in result.err
    assert "row 5 [编号] 错误 error: 编号 为空" in result.err
    assert Household.objects.count() == 0
    result = run("import_households", DATA / "households_duplicates.csv", "--crs", "wgs84", "--skip-invalid")
    # Row 6 (JJ-CX-00005) carries the ID number Excel turned into a number.
    assert set(Household.objects.values_list("external_id", flat=True)) == {"JJ-CX-00001", "JJ-CX-00003"}
    assert "拒绝 rejected 4" in result.out


def test_file_without_key_column_needs_allow_no_key(chengdu):
    result = run("import_households", DATA / "households_utf8.csv", "--crs", "wgs84")
    assert not result.ok
    assert "--allow-no-key" in result.error


def test_points_outside_the_district_are_rejected(chengdu, tmp_path):
    rows = (DATA / "households_duplicates.csv").read_text(encoding="utf-8-sig").splitlines()[:2]
    rows.append(rows[1].replace("JJ-CX-00001", "FAR-1").replace("104.067008", "104.2"))
    (tmp_path / "far.csv").write_text("\r\n".join(rows), encoding="utf-8")
    result = run("import_households", tmp_path / "far.csv", "--crs", "wgs84")
    assert not result.ok
    assert "row 3 [geometry] 错误 error: (104.200000, 30.660523) 在辖区 锦江区(测试边界) 510104 之外" in result.err
    assert "wrong --crs?" in result.err


def test_truncated_and_empty_csv(chengdu):
    result = run("import_households", DATA / "households_truncated.csv", "--crs", "wgs84", "--allow-no-key")
    assert not result.ok
    assert "row 7 [人员类别] 错误 error: 只有 6 个单元格, 表头有 9 列, 缺少 人员类别, 经度, 纬度" in result.err
    assert "truncated file" in result.err
    result = run("import_households", DATA / "households_empty.csv", "--crs", "wgs84")
    assert "文件没有数据行 (no data rows below the header)" in result.error


def test_wkt_geometry_column(chengdu):
    result = run("import_households", DATA / "households_wkt.csv", "--crs", "wgs84")
    assert result.ok, result.text
    assert "几何→geometry" in result.out
    assert Household.objects.get(external_id="JJ-CX-00001").geom.coords == (104.067008, 30.660523)


def test_dry_run_counts_and_writes_nothing(chengdu):
    result = run("import_households", DATA / "households_ledger.xlsx", "--crs", "wgs84", "--skip-invalid",
                 "--dry-run")
    assert "新增 created 39" in result.out and "dry run: nothing written" in result.out
    assert Household.objects.count() == 0


def test_row_trigger_linking_gives_the_same_grids(chengdu):
    from importers.loaders.base import ImportOptions
    from importers.loaders.households import HouseholdLoader

    HouseholdLoader(DATA / "households_ledger.xlsx", ImportOptions(crs="wgs84", skip_invalid=True)).run()
    set_based = dict(Household.objects.values_list("external_id", "grid__code"))
    Household.objects.all().delete()
    HouseholdLoader(DATA / "households_ledger.xlsx",
                    ImportOptions(crs="wgs84", skip_invalid=True, trigger_linking=True)).run()
    assert dict(Household.objects.values_list("external_id", "grid__code")) == set_based
    assert None not in set_based.values()


def test_a_moved_household_gets_its_new_grid(chengdu, tmp_path):
    run("import_households", DATA / "households_ledger.xlsx", "--crs", "wgs84", "--skip-invalid")
    first = Household.objects.get(external_id="JJ-CX-00001")
    other = Household.objects.get(external_id="JJ-CX-00003")
    assert first.grid != other.grid
    text = (DATA / "households_duplicates.csv").read_text(encoding="utf-8-sig").splitlines()
    moved = text[1].replace("104.067008,30.660523", f"{other.geom.x},{other.geom.y}")
    (tmp_path / "moved.csv").write_text("\r\n".join([text[0], moved]), encoding="utf-8-sig")
    result = run("import_households", tmp_path / "moved.csv", "--crs", "wgs84")
    assert "更新 updated 1" in result.out
    first.refresh_from_db()
    assert first.grid == other.grid
