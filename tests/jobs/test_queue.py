"""Background work runs in the worker, never in a web request; repeated triggers collapse."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from layers.facilities.catalogue import seed_facility_types
from layers.facilities.models import AccessQueue, HouseholdAccess, SuggestedSite
from layers.jobs.models import Job
from layers.jobs.services import submit
from layers.people.models import Household
from tests.facilities.walk_fixtures import add_facility, add_household, build_network, point
from tests.jobs.worker import qcluster_worker, wait_for_jobs  # noqa: F401 — the fixture `worker`

pytestmark = pytest.mark.django_db(transaction=True)
STREET = {"A": (-1000, 0), "B": (0, 0), "C": (1000, 0), "D": (0, 500)}
STREET_EDGES = [("A", "B"), ("B", "C"), ("B", "D")]


@pytest.fixture
def queued(settings):
    """The production mode: changes are recomputed by the worker."""
    settings.GRIDMAP_ACCESS_REFRESH = "queue"
    seed_facility_types(apps)


def test_a_facility_added_is_recomputed_by_the_worker_not_by_the_request(queued, worker):
    build_network(STREET, STREET_EDGES)
    household = add_household(-300, 15)
    add_facility(200, -10, name="东幼儿园")
    # The commits queued the work as one job (the saves collapse into it).
    assert Job.objects.filter(kind="facilities.access_refresh").count() == 1
    wait_for_jobs(worker)
    job = Job.objects.get(kind="facilities.access_refresh")
    assert job.state == "done" and job.progress == 100 and job.finished_at
    walk = HouseholdAccess.objects.get(household=household, facility_type__code="kindergarten")
    assert walk.distance_m == pytest.approx(500, abs=0.5)
    # Computed by the worker's job, not by the process that saved.
    assert job.started_at <= walk.computed_at <= job.finished_at
    assert not AccessQueue.objects.exists()


def test_repeated_triggers_collapse_into_the_job_already_waiting(queued, worker):
    with transaction.atomic():  # handed to the queue at commit: all six triggers are waiting
        first = submit("facilities.access_refresh")
        again = [submit("facilities.access_refresh") for _ in range(5)]
    assert {j.pk for j in again} == {first.pk}
    assert Job.objects.filter(kind="facilities.access_refresh").count() == 1
    wait_for_jobs(worker)
    # Once it has started, a new trigger is new work again.
    assert submit("facilities.access_refresh").pk != first.pk


def test_the_planner_page_queues_instead_of_computing_and_siting_runs_in_the_background(queued, worker,
                                                                                      django_user_model):
    from layers.accounts.roles import PLANNER, ensure_roles

    ensure_roles()
    build_network(STREET, STREET_EDGES)
    # A bulk load (no save signals): the database queues the work, no job is asked for yet.
    Household.objects.bulk_create([Household(geom=point(x, 20), address="测试路", head_name="张三")
                                   for x in (-900, -700, 700, 900)])
    assert AccessQueue.objects.exists() and not Job.objects.exists()
    planner = django_user_model.objects.create_user("planner_q", password="x-Pass-12345")
    planner.groups.add(*__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.filter(name=PLANNER))
    client = Client()
    client.force_login(planner)
    page = client.get("/planner/?type=kindergarten")
    # The page found the work pending and handed it to the worker instead of computing it.
    assert page.status_code == 200 and "正在后台更新" in page.content.decode()
    assert Job.objects.filter(kind="facilities.access_refresh").exists()
    wait_for_jobs(worker)
    assert not AccessQueue.objects.exists()
    response = client.post("/planner/suggest/", {"type": "kindergarten", "count": "2"})
    job = Job.objects.get(kind="facilities.suggest_sites")
    assert response.status_code == 302 and response["Location"].endswith(f"job={job.pk}")
    assert client.get(f"/jobs/{job.pk}/").json()["label"] == "幼儿园：计算 2 处建议选址"
    wait_for_jobs(worker)
    status = client.get(f"/jobs/{job.pk}/").json()
    assert status["state"] == "done" and status["progress"] == 100, status
    assert "建议选址" in status["result"]["summary"]
    assert SuggestedSite.objects.filter(facility_type__code="kindergarten").count() == 2
    # Another user cannot read the job.
    other = django_user_model.objects.create_user("someone", password="x-Pass-12345")
    client.force_login(other)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
