from layers.people.masking import mask_id_number, mask_name, mask_phone
from layers.people.models import Household


def test_id_number_keeps_first_and_last_four():
    assert mask_id_number("510104198001011234") == "5101**********1234"
    assert mask_id_number("51010419800101123X") == "5101**********123X"
    assert mask_id_number("") == ""


def test_mobile_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_landline_keeps_area_code_and_last_two():
    assert mask_phone("028-86651234") == "028-******34"


def test_name_keeps_family_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李"


def test_household_string_and_properties_never_show_full_values():
    h = Household(head_name="王小明", address="红星路1号", id_number="510104198001011234", phone="13812345678")
    assert "王小明" not in str(h) and "王**" in str(h)
    assert h.id_number_masked == "5101**********1234"
    assert h.phone_masked == "138****5678"
