"""Natural order of addresses (layers.people.addresses): numbers compare as numbers."""

from layers.people.addresses import natural_key, natural_sorted


def test_unit_101_comes_before_unit_1001():
    assert natural_sorted(["1单元1001", "1单元101", "1单元11"]) == ["1单元11", "1单元101", "1单元1001"]


def test_house_numbers_and_buildings_sort_as_numbers():
    addresses = ["幸福路10号3栋2单元1201", "幸福路2号", "幸福路10号3栋2单元201", "幸福路10号12栋1单元101",
                 "幸福路10号3栋10单元101"]
    assert natural_sorted(addresses) == ["幸福路2号", "幸福路10号3栋2单元201", "幸福路10号3栋2单元1201",
                                         "幸福路10号3栋10单元101", "幸福路10号12栋1单元101"]


def test_full_width_digits_and_spaces_count_like_plain_ones():
    assert natural_key("１单元 ３０１") == natural_key("1单元301")
    assert natural_sorted(["1 单元 1001", "１单元１０１"]) == ["１单元１０１", "1 单元 1001"]


def test_text_and_numbers_never_compare_with_each_other():
    # A plain string order would put "A栋" between digits; mixing never raises TypeError.
    assert natural_sorted(["A栋1号", "3号", "", "B栋"]) == ["", "3号", "A栋1号", "B栋"]


def test_sort_objects_by_a_key_is_stable():
    rows = [("b", "2号"), ("a", "10号"), ("c", "2号")]
    assert natural_sorted(rows, key=lambda r: r[1]) == [("b", "2号"), ("c", "2号"), ("a", "10号")]
