"""The patrol analysis is computed once per filter and recomputed exactly when its data change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from layers.patrols.cache import cached, data_version
from layers.patrols.filters import IncidentFilter

pytestmark = pytest.mark.django_db


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_the_same_question_is_answered_from_the_cache_until_an_incident_is_written(world):
    flt = IncidentFilter.last_days(30)
    compute = Counter()
    assert cached("advice", flt, compute, cell="grid") == 1
    assert cached("advice", IncidentFilter.last_days(30), compute, cell="grid") == 1  # within the minute
    assert cached("advice", flt, compute, cell="hex") == 2  # another question
    before = data_version()
    with connection.cursor() as cur:  # any write path: plain SQL here
        cur.execute("UPDATE incidents_incident SET description = description || '.' WHERE id = %s", [world.iw.pk])
    assert data_version() > before
    assert cached("advice", flt, compute, cell="grid") == 3


def test_grids_categories_and_the_walk_network_invalidate_it_too(world):
    flt = IncidentFilter(since=timezone.now() - dt.timedelta(days=7))
    compute = Counter()
    cached("route", flt, compute)
    for statement in (f"UPDATE grids_grid SET name = name WHERE id = {int(world.west.pk)}",
                      "UPDATE incidents_incidentcategory SET name = name",
                      "DELETE FROM facilities_walkedge WHERE id < 0"):
        with connection.cursor() as cur:
            cur.execute(statement)
        calls = compute.calls
        cached("route", flt, compute)
        assert compute.calls == calls + 1, statement
    cached("route", flt, compute)
    assert compute.calls == 4  # nothing written since: from the cache


# --- recent(): answers at most GRIDMAP_PATROL_STALE_SECONDS old, refreshed by the worker ---------

def _report_in_west(world, text: str):
    from layers.incidents import lifecycle
    from tests.factories import category, point

    return lifecycle.report(category=category("dispute"), description=text, geom=point(104.0662, 30.6561),
                            at=timezone.now())


def _point_ids(flt: IncidentFilter) -> set[int]:
    from layers.patrols.counts import incident_points

    return set(incident_points(flt, limit=1000)["id"])


@pytest.fixture
def district(world) -> str:
    return world.west.community.street.district.code


def test_with_no_stale_window_a_new_incident_changes_the_answer_of_its_district_at_once(world, district, settings):
    from layers.patrols.cache import recent

    settings.GRIDMAP_PATROL_STALE_SECONDS = 0
    flt = IncidentFilter.last_days(30, district=district)
    before = recent("points", flt)
    assert before.fresh and set(before.value["id"]) == _point_ids(flt)
    new = _report_in_west(world, "新的纠纷")
    after = recent("points", IncidentFilter.last_days(30, district=district))
    assert after.fresh and new.pk in set(after.value["id"]) and new.pk not in set(before.value["id"])


def test_within_the_window_the_last_answer_is_served_with_its_time_and_the_worker_brings_the_new_one(
        world, district, settings):
    from layers.jobs.models import Job
    from layers.jobs.tasks import run_job
    from layers.patrols.cache import compute_and_store, recent

    settings.GRIDMAP_PATROL_STALE_SECONDS = 60
    flt = IncidentFilter.last_days(30, district=district)
    # Options as the patrol page sends them: a nested object, whose keys the job's jsonb reorders.
    options = {"cell": "grid", "start": {"kind": "none", "lon": None, "lat": None, "name": "", "facility_id": None},
               "dwell": 5.0}
    computed = timezone.now() - dt.timedelta(seconds=20)  # old enough to be recomputed
    compute_and_store("points", flt, options, now=computed)
    new = _report_in_west(world, "刚上报的纠纷")
    served = recent("points", IncidentFilter.last_days(30, district=district), **options)
    assert not served.fresh and served.as_of == computed and new.pk not in set(served.value["id"])
    (job,) = Job.objects.filter(kind="patrols.refresh", state=Job.State.QUEUED)
    assert recent("points", flt, **options).as_of == computed  # asked again: the one job waits, no second one
    assert Job.objects.filter(kind="patrols.refresh").count() == 1
    run_job(job.pk)  # what the background worker does
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    refreshed = recent("points", IncidentFilter.last_days(30, district=district), **options)
    assert refreshed.fresh and refreshed.as_of > computed and new.pk in set(refreshed.value["id"])
    recent("points", IncidentFilter.last_days(30, district=district), **options)
    assert not Job.objects.filter(kind="patrols.refresh", state=Job.State.QUEUED).exists()  # nothing more to do


def test_an_answer_older_than_the_window_is_never_served(world, district, settings):
    from layers.patrols.cache import compute_and_store, recent

    settings.GRIDMAP_PATROL_STALE_SECONDS = 60
    flt = IncidentFilter.last_days(30, district=district)
    compute_and_store("points", flt, {}, now=timezone.now() - dt.timedelta(seconds=61))
    new = _report_in_west(world, "又一起纠纷")
    answer = recent("points", IncidentFilter.last_days(30, district=district))
    assert answer.fresh and new.pk in set(answer.value["id"])


def test_another_filter_is_another_question(world, district, settings):
    from layers.patrols.cache import compute_and_store, recent

    settings.GRIDMAP_PATROL_STALE_SECONDS = 60
    compute_and_store("points", IncidentFilter.last_days(30, district=district), {},
                      now=timezone.now() - dt.timedelta(seconds=5))
    seven = IncidentFilter.last_days(7, district=district)
    _report_in_west(world, "近七天的纠纷")
    answer = recent("points", seven)
    assert answer.fresh and set(answer.value["id"]) == _point_ids(seven)


def test_the_patrol_page_says_the_time_of_an_answer_from_before_the_latest_reports(world, settings):
    from django.test import RequestFactory

    from layers.pages.views.patrol import _route_options, advice_options
    from layers.patrols.cache import compute_and_store
    from tests.fixtures_world import client_for

    settings.GRIDMAP_PATROL_STALE_SECONDS = 60
    page = client_for(world.patrol).get("/patrol/")
    assert page.status_code == 200 and "分析截至" not in page.content.decode()
    flt = IncidentFilter.last_days(30)  # one district: the page asks for all
    computed = timezone.now() - dt.timedelta(seconds=30)
    options = advice_options("grid", "gi", _route_options(RequestFactory().get("/patrol/"), None))
    compute_and_store("advice", flt, options, now=computed)
    _report_in_west(world, "页面上的纠纷")
    html = client_for(world.patrol).get("/patrol/").content.decode()
    assert f"分析截至 {timezone.localtime(computed):%H:%M:%S}" in html


def test_while_another_process_recomputes_it_the_older_answer_is_shown_with_its_time(world, district, settings):
    import hashlib

    from layers.patrols.cache import _keys, compute_and_store, data_version, filter_params, recent

    settings.GRIDMAP_PATROL_STALE_SECONDS = 60
    flt = IncidentFilter.last_days(30, district=district)
    old = timezone.now() - dt.timedelta(seconds=90)
    compute_and_store("points", flt, {}, now=old)
    new = _report_in_west(world, "计算中上报的纠纷")
    _, latest = _keys("points", flt, {}, data_version(), timezone.now())
    assert filter_params(flt, timezone.now())["last_s"] == 30 * 86400
    number = int.from_bytes(hashlib.sha256(latest.encode()).digest()[:8], "big", signed=True)
    other = connection.get_new_connection(connection.get_connection_params())  # the worker, say
    other.autocommit = True
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", [number])
        shown = recent("points", IncidentFilter.last_days(30, district=district))
        assert not shown.fresh and shown.as_of == old and new.pk not in set(shown.value["id"])
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [number])
    finally:
        other.close()
    answer = recent("points", IncidentFilter.last_days(30, district=district))
    assert answer.fresh and new.pk in set(answer.value["id"])


def test_a_renamed_grid_is_never_shown_under_its_old_name_even_within_the_window(world, district, settings):
    from layers.patrols.cache import compute_and_store, recent

    settings.GRIDMAP_PATROL_STALE_SECONDS = 60
    flt = IncidentFilter.last_days(30, district=district)
    compute_and_store("points", flt, {}, now=timezone.now() - dt.timedelta(seconds=20))
    with connection.cursor() as cur:
        cur.execute("UPDATE grids_grid SET code = code WHERE id = %s", [world.west.pk])
    assert recent("points", IncidentFilter.last_days(30, district=district)).fresh


# --- peek_recent(): what the worker put (the period check), served for a while after new reports --

def test_a_put_answer_is_served_for_the_stale_window_after_a_report_then_not(world, settings):
    from layers.patrols.cache import peek_recent, put

    settings.GRIDMAP_PATROL_STALE_SECONDS = 60
    put("period_check", "上期检验", days=30, kind="grid")
    assert peek_recent("period_check", days=30, kind="grid") == ("上期检验", True)
    _report_in_west(world, "检验之后的上报")
    assert peek_recent("period_check", days=30, kind="grid") == ("上期检验", False)  # shown, and redone
    assert peek_recent("period_check", days=7, kind="grid") == (None, False)  # another question
    with connection.cursor() as cur:  # a grid changed: an answer from before is never shown
        cur.execute("UPDATE grids_grid SET name = name WHERE id = %s", [world.west.pk])
    assert peek_recent("period_check", days=30, kind="grid") == (None, False)
    settings.GRIDMAP_PATROL_STALE_SECONDS = 0
    put("period_check", "新的检验", days=30, kind="grid")
    _report_in_west(world, "又一次上报")
    assert peek_recent("period_check", days=30, kind="grid") == (None, False)
