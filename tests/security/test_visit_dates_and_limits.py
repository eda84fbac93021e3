"""Impossible visit dates and over-long text, on every path into the database.

Attacks: a visit dated 0001-01-01 (stored as a BC timestamp, it used to make the household
page and the admin visit list answer 500 for good), 9999-12-31 and tomorrow; a row already
stored with such a date before the rules existed; a 2,000,001-character incident description
through the API, the report form and the admin's model validation; a 2,001-character visit note.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from layers.grids.limits import DESCRIPTION_MAX
from layers.incidents.models import Incident
from layers.people.models import Visit
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


def _post_visit(world, when: str, note: str = "走访"):
    client = client_for(world.worker_w)
    return client.post(f"/households/{world.hw.id}/visits/", {"kind": "routine", "visited_at": when, "note": note},
                       follow=True)


@pytest.mark.parametrize("when", ["0001-01-01T10:00", "1999-12-31T23:00", "9999-12-31T10:00"])
def test_visit_dated_before_2000_or_far_future_is_refused_by_the_form(world, when):
    response = _post_visit(world, when)
    assert response.status_code == 400  # the form again, with the reason next to the field
    assert not Visit.objects.exists()
    assert "走访记录有误" in response.content.decode()


def test_visit_tomorrow_is_refused_but_two_minutes_of_clock_skew_is_accepted(world):
    local = timezone.localtime()
    _post_visit(world, (local + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    assert not Visit.objects.exists()
    _post_visit(world, (local + dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M"))
    assert Visit.objects.count() == 1


def test_visit_note_over_the_limit_is_refused(world):
    _post_visit(world, timezone.localtime().strftime("%Y-%m-%dT%H:%M"), note="记" * (DESCRIPTION_MAX + 1))
    assert not Visit.objects.exists()


def test_model_full_clean_refuses_a_visit_dated_0001_01_01(world):
    visit = Visit(household=world.hw, user=world.worker_w, visited_at=dt.datetime(1, 1, 2, tzinfo=dt.UTC))
    with pytest.raises(ValidationError) as e:
        visit.full_clean()
    assert "visited_at" in e.value.message_dict


def test_database_refuses_a_visit_before_2000_written_past_the_model(world):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO people_visit (household_id, user_id, visited_at, kind, note, district_code) "
                    "VALUES (%s, %s, '0001-01-01 10:00+08', 'routine', '', %s)",
                    [world.hw.id, world.worker_w.id, world.hw.district_code])


def test_a_bc_visit_already_stored_does_not_break_the_household_page_or_the_admin(world):
    with connection.cursor() as cur:  # a row from before the rules (the constraint is NOT VALID for old rows)
        cur.execute("ALTER TABLE people_visit DROP CONSTRAINT visit_not_before_2000")
        cur.execute("INSERT INTO people_visit (household_id, user_id, visited_at, kind, note, district_code) "
                    "VALUES (%s, %s, '0001-01-01 10:00+08:05:43', 'routine', '旧记录', %s)",
                    [world.hw.id, world.worker_w.id, world.hw.district_code])
    page = client_for(world.worker_w).get(f"/households/{world.hw.id}/")
    assert page.status_code == 200 and "日期无效" in page.content.decode()
    assert client_for(world.worker_w).get("/my/").status_code == 200
    admin = client_for(world.admin)
    assert admin.get("/admin/people/visit/").status_code == 200
    visit_id = Visit.objects.values_list("id", flat=True).get()
    assert admin.get(f"/admin/people/visit/{visit_id}/change/").status_code == 200


def test_api_refuses_a_two_million_character_description_and_accepts_one_at_the_limit(world):
    def post(description: str):
        body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.065, 30.655]},
                "properties": {"category": world.iw.category_id, "description": description}}
        return client_for(world.worker_w).post("/api/incidents/", body, content_type="application/json")

    before = Incident.objects.count()
    response = post("a" * 2_000_001)  # 2 MB: under the request-size cap
    assert response.status_code == 400 and "description" in response.json()
    assert Incident.objects.count() == before
    assert post("长" * DESCRIPTION_MAX).status_code == 201


def test_report_form_takes_its_limits_from_the_model_and_refuses_an_over_long_description(world):
    from layers.pages.forms import ReportIncidentForm

    fields = ReportIncidentForm().fields
    assert fields["description"].max_length == Incident._meta.get_field("description").max_length == DESCRIPTION_MAX
    assert fields["address"].max_length == Incident._meta.get_field("address").max_length
    data = {"category": world.iw.category_id, "description": "长" * (DESCRIPTION_MAX + 1), "lon": 104.065, "lat": 30.655}
    before = Incident.objects.count()
    response = client_for(world.worker_w).post("/incidents/new/", data)
    assert response.status_code == 200 and Incident.objects.count() == before


def test_model_validation_refuses_an_over_long_description_or_a_0001_report_time_for_the_admin(world):
    incident = Incident.objects.get(pk=world.iw.pk)
    incident.description = "长" * (DESCRIPTION_MAX + 1)
    incident.reported_at = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
    with pytest.raises(ValidationError) as e:
        incident.full_clean()
    assert {"description", "reported_at"} <= set(e.value.message_dict)


def test_a_user_with_a_150_character_login_can_still_report_an_incident(world):
    from django.contrib.auth.models import User

    world.worker_w.username = "w" * 150
    world.worker_w.save()
    world.worker_w = User.objects.get(pk=world.worker_w.pk)
    body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.065, 30.655]},
            "properties": {"category": world.iw.category_id, "description": "长名字"}}
    response = client_for(world.worker_w).post("/api/incidents/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    assert Incident.objects.get(description="长名字").reporter_name == "w" * 50


def test_xlsx_import_refuses_a_ten_megabyte_cell_naming_row_and_field(world, tmp_path):
    import openpyxl

    from tests.importers.conftest import run

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["事件编号", "事件类型", "上报时间", "事件描述", "经度", "纬度"])
    sheet.append(["BIG1", "dispute", "2024-03-02 09:05", "x" * 10_000_000, 104.065, 30.655])
    book.save(tmp_path / "big.xlsx")
    before = Incident.objects.count()
    result = run("import_incidents", tmp_path / "big.xlsx", "--crs", "wgs84")
    assert not result.ok
    assert f"big.xlsx row 2 [事件描述] 错误 error: 事件描述 超过 {DESCRIPTION_MAX} 个字符" in result.err
    assert Incident.objects.count() == before
