"""Visits: 最近走访 kept by the database, and which priority households are due."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from layers.people.models import Household, Visit
from layers.people.priority import interval_days, visit_due
from tests.factories import make_household, point

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_interval_is_the_shortest_of_the_vulnerable_tags():
    by_tag = {"独居老人": 7}
    assert interval_days(["低保"], default_days=30, by_tag_days=by_tag) == 30
    assert interval_days(["低保", "独居老人"], default_days=30, by_tag_days=by_tag) == 7
    assert interval_days(["流动人口", "慢性病"], default_days=30, by_tag_days=by_tag) is None


def test_due_after_the_interval_or_never_visited():
    today = dt.date(2026, 11, 29)
    rules = {"default_days": 30, "by_tag_days": {"独居老人": 7}}
    assert visit_due(1, ["独居老人"], today - dt.timedelta(days=7), today, **rules) is None
    late = visit_due(1, ["独居老人"], today - dt.timedelta(days=8), today, **rules)
    assert late.days_since == 8 and late.interval_days == 7 and late.days_late == 1
    assert visit_due(1, ["低保"], today - dt.timedelta(days=20), today, **rules) is None
    never = visit_due(2, ["高龄"], None, today, **rules)
    assert never.days_since is None and never.days_late is None
    assert visit_due(3, ["流动人口"], None, today, **rules) is None


def test_default_intervals_come_from_the_settings(settings):
    settings.GRIDMAP_VISIT_DUE_DAYS, settings.GRIDMAP_VISIT_DUE_DAYS_BY_TAG = 30, {"独居老人": 7}
    assert interval_days(["特困"]) == 30 and interval_days(["独居老人", "残疾"]) == 7


@pytest.mark.django_db
def test_last_visit_follows_the_latest_visit_and_keeps_an_imported_date(world):
    worker = User.objects.get(username="wangge_w")
    h = make_household(point(104.062, 30.652), address="西路9号", last_visit=dt.date(2026, 1, 10))
    # An older visit typed later does not move 最近走访 back.
    Visit.objects.create(household=h, user=worker, visited_at=dt.datetime(2025, 12, 1, 10, tzinfo=SHANGHAI))
    assert Household.objects.get(pk=h.pk).last_visit == dt.date(2026, 1, 10)
    # 00:30 in Shanghai is still the previous day in UTC: the date is Shanghai's.
    Visit.objects.create(household=h, user=worker, visited_at=dt.datetime(2026, 2, 3, 0, 30, tzinfo=SHANGHAI))
    assert Household.objects.get(pk=h.pk).last_visit == dt.date(2026, 2, 3)
    never = make_household(point(104.063, 30.652), address="西路10号")
    assert never.last_visit is None
    Visit.objects.create(household=never, user=worker, visited_at=dt.datetime(2026, 3, 1, 9, tzinfo=SHANGHAI))
    assert Household.objects.get(pk=never.pk).last_visit == dt.date(2026, 3, 1)
