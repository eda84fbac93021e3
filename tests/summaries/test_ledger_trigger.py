"""The ledger history is kept by the database: every write path to a household's tags — a model
save (admin, form), a bulk queryset update, plain SQL, an import's INSERT — opens and closes
memberships, on the session's ledger day when set, else today (China time)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from layers.people.models import Household, PriorityMembership
from tests.factories import make_household, point, two_grids
from tests.summaries.conftest import ledger_day

pytestmark = pytest.mark.django_db


def _history(h) -> list[tuple[str, dt.date | None, dt.date | None]]:
    return list(PriorityMembership.objects.filter(household=h).order_by("group", "id")
                .values_list("group", "entered_on", "left_on"))


def test_insert_and_model_save_record_entry_and_exit():
    two_grids()
    with ledger_day(dt.date(2026, 3, 1)):
        h = make_household(point(104.065, 30.655), tags=["低保", "残疾", "低保"])  # a repeated tag counts once
    assert sorted(_history(h)) == [("低保", dt.date(2026, 3, 1), None), ("残疾", dt.date(2026, 3, 1), None)]
    with ledger_day(dt.date(2026, 5, 6)):
        h.tags = ["残疾", "高龄"]  # as the admin's change form saves it
        h.save()
        h.address = "改了地址"  # a save that leaves the tags alone records nothing
        h.save()
    assert sorted(_history(h)) == [("低保", dt.date(2026, 3, 1), dt.date(2026, 5, 6)),
                                   ("残疾", dt.date(2026, 3, 1), None), ("高龄", dt.date(2026, 5, 6), None)]
    with ledger_day(dt.date(2026, 7, 1)):
        h.tags = ["残疾", "高龄", "低保"]  # back into 低保: a second membership
        h.save()
    assert [r for r in _history(h) if r[0] == "低保"] == [("低保", dt.date(2026, 3, 1), dt.date(2026, 5, 6)),
                                                         ("低保", dt.date(2026, 7, 1), None)]


def test_bulk_update_and_plain_sql_are_recorded_too():
    two_grids()
    with ledger_day(dt.date(2026, 9, 1)):
        a = make_household(point(104.062, 30.652), tags=["流动人口"])
        b = make_household(point(104.072, 30.652), tags=["流动人口", "独居老人"])
    with ledger_day(dt.date(2026, 9, 30)):
        Household.objects.filter(id__in=[a.id, b.id]).update(tags=["独居老人"])
    with ledger_day(dt.date(2026, 10, 2)), connection.cursor() as cur:
        cur.execute("UPDATE people_household SET tags = array_append(tags, '特困') WHERE id = %s", [a.id])
    sept = dt.date(2026, 9, 1)
    assert sorted(_history(a)) == sorted([("流动人口", sept, dt.date(2026, 9, 30)),
                                          ("独居老人", dt.date(2026, 9, 30), None), ("特困", dt.date(2026, 10, 2), None)])
    assert sorted(_history(b)) == sorted([("流动人口", sept, dt.date(2026, 9, 30)), ("独居老人", sept, None)])
    # A ledger day before the entry cannot make a membership end before it began.
    with ledger_day(dt.date(2026, 8, 1)):
        Household.objects.filter(id=b.id).update(tags=[])
    assert ("独居老人", sept, sept) in _history(b)


def test_without_a_ledger_day_today_in_china_is_recorded():
    two_grids()
    h = make_household(point(104.065, 30.655), tags=["高龄"])
    assert _history(h) == [("高龄", timezone.localdate(), None)]


def test_deleting_a_household_deletes_its_history_even_in_plain_sql():
    two_grids()
    a = make_household(point(104.062, 30.652), tags=["低保"])
    b = make_household(point(104.072, 30.652), tags=["低保"])
    a.delete()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM people_household WHERE id = %s", [b.id])
    assert not PriorityMembership.objects.filter(household_id__in=[a.id, b.id]).exists()


def test_one_open_membership_per_group_is_a_database_rule():
    two_grids()
    h = make_household(point(104.065, 30.655), tags=["低保"])
    with pytest.raises(IntegrityError), transaction.atomic():
        PriorityMembership.objects.create(household=h, group="低保", entered_on=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        PriorityMembership.objects.create(household=h, group="特困", entered_on=dt.date(2026, 2, 1),
                                          left_on=dt.date(2026, 1, 1))


def test_the_migration_backfill_marks_existing_tags_as_before_the_ledger():
    """The backfill statement of sql/0003 run again over a household whose history was lost."""
    from pathlib import Path

    two_grids()
    h = make_household(point(104.065, 30.655), tags=["残疾"])
    PriorityMembership.objects.filter(household=h).delete()
    sql = (Path(__file__).resolve().parents[2] / "layers/people/sql/0005_priority_membership.sql").read_text()
    backfill = sql[sql.index("INSERT INTO people_prioritymembership (household_id, \"group\", entered_on, left_on)\nSELECT DISTINCT"):]
    with connection.cursor() as cur:
        cur.execute(backfill.replace("FROM people_household h,", "FROM people_household h JOIN (SELECT %s AS id) one USING (id),"),
                    [h.id])
    assert _history(h) == [("残疾", None, None)]
