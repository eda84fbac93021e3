"""Coverage figures come from the cache until something they read is written: a facility
edit shows once its walking times are recomputed (the refresh job), a new household at once."""

from __future__ import annotations

import pytest

from layers.facilities.walking import reports
from layers.facilities.walking.refresh import refresh_pending
from tests.facilities.walk_fixtures import add_facility, add_household, build_network, point
from tests.factories import box, make_community, make_grid

pytestmark = pytest.mark.django_db

STREET = {"A": (-1000, 0), "B": (0, 0), "C": (1000, 0)}
CODE = "510104001001"


def kindergartens() -> tuple[int, int]:
    (row,) = [r for r in reports.coverage_rows(level="community", type_code="kindergarten") if r.code == CODE]
    return row.households, row.covered_households


def uncached() -> tuple[int, int]:
    (row,) = [r for r in reports.compute_coverage_rows(level="community", type_code="kindergarten")
              if r.code == CODE]
    return row.households, row.covered_households


@pytest.fixture
def street():
    community = make_community(code=CODE, geom=box(104.0, 30.6, 104.2, 30.7))
    make_grid(community, box(104.0, 30.6, 104.2, 30.7))
    build_network(STREET, [("A", "B"), ("B", "C")])


def test_a_facility_moved_changes_coverage_after_the_refresh_job(street):
    school = add_facility(-950, 10)
    for k in range(3):
        add_household(-800 + 20 * k, 10)  # near A
    add_household(900, 10)  # near C: 1.85 km away
    refresh_pending()
    assert kindergartens() == (4, 3)
    school.geom = point(950, 10)  # moved to C
    school.save()
    # Walking times are not recomputed yet: the stored ones (what the page says it is updating).
    assert kindergartens() == uncached() == (4, 3)
    refresh_pending()  # the background job's work (facilities.access_refresh)
    assert kindergartens() == uncached() == (4, 1)


def test_a_new_household_counts_at_once_and_nothing_else_recomputes(street, django_assert_max_num_queries):
    add_facility(-950, 10)
    add_household(-800, 10)
    refresh_pending()
    assert kindergartens() == (1, 1)
    with django_assert_max_num_queries(1):  # the version only: the figures come from the cache
        assert kindergartens() == (1, 1)
    add_household(900, 10)
    refresh_pending()
    assert kindergartens() == uncached() == (2, 1)


def test_a_community_renamed_is_not_served_under_its_old_name(street):
    from layers.grids.models import Community

    add_facility(-950, 10)
    add_household(-800, 10)
    refresh_pending()
    reports.coverage_rows(level="community", type_code="kindergarten")
    Community.objects.filter(code=CODE).update(name="新名字社区")
    (row,) = [r for r in reports.coverage_rows(level="community", type_code="kindergarten") if r.code == CODE]
    assert row.name == "新名字社区"


def test_visits_recorded_all_day_keep_the_figures_cached_and_a_household_edit_does_not(
        street, django_assert_max_num_queries):
    """A visit updates its household's 最近走访, which coverage does not read: the cached figures
    stay (at a province's size each recomputation of one district is seconds). Residents or
    tags written by any path still count at once."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from layers.people.models import Household, Visit

    add_facility(-950, 10)
    home = add_household(-800, 10, residents=2)
    refresh_pending()

    def residents() -> int:
        (row,) = [r for r in reports.coverage_rows(level="community", type_code="kindergarten") if r.code == CODE]
        return row.residents

    assert residents() == 2
    version = reports.coverage_data_version()
    worker = User.objects.create_user("wangge_cache")
    for _ in range(3):
        Visit.objects.create(household=home, user=worker, visited_at=timezone.now())
    home.refresh_from_db()
    assert home.last_visit == timezone.localdate()  # the visit did write the household
    assert reports.coverage_data_version() == version
    with django_assert_max_num_queries(1):  # the version only
        assert residents() == 2
    Household.objects.filter(pk=home.pk).update(residents=5)
    assert residents() == 5
    home.residents = 4
    home.save()
    assert residents() == 4
