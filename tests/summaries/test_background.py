"""Summaries of units above GRIDMAP_SUMMARY_BACKGROUND_GRIDS grids are computed by the background
worker (layers.summaries.background): the page and the API never sum them in the request, show
the latest figures with their time, and ask for new ones when those are old."""

from __future__ import annotations

import threading

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache

from layers.jobs.models import Job
from layers.jobs.tasks import run_job
from layers.summaries import services
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

STREET = "/summary/street/510104001/?period=2026-10"
def headline(html: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    return {d["data-key"]: d.select_one(".now").get_text() for d in soup.select("#headline .fig")}


@pytest.fixture
def large(settings):
    cache.clear()  # no figures kept by an earlier test
    settings.GRIDMAP_SUMMARY_BACKGROUND_GRIDS = 2  # the town's street has 3 grids
    settings.GRIDMAP_SUMMARY_MAX_AGE_SECONDS = 600


@pytest.fixture
def no_summing_in_requests(monkeypatch):
    """services.summarize and services.table refuse to run, except in run_job (the background worker)."""
    worker = threading.local()

    def guard(real):
        def guarded(*args, **kwargs):
            assert getattr(worker, "on", False), "large figures were summed in a request"
            return real(*args, **kwargs)

        return guarded

    def as_worker(job_id: int) -> None:
        worker.on = True
        try:
            run_job(job_id)
        finally:
            worker.on = False

    monkeypatch.setattr(services, "summarize", guard(services.summarize))
    monkeypatch.setattr(services, "table", guard(services.table))
    return as_worker


def test_a_large_unit_is_summed_by_the_worker_not_by_the_page(town, large, settings, no_summing_in_requests,
                                                               monkeypatch):
    c = client_for(town.leader)
    pending = c.get(STREET)
    assert pending.status_code == 200
    soup = BeautifulSoup(pending.content.decode(), "html.parser")
    assert "共 3 个网格" in soup.select_one("#pending").get_text() and soup.select_one("#job")
    job = Job.objects.get(kind="summaries.compute")
    assert c.get(STREET).status_code == 200 and Job.objects.filter(kind="summaries.compute").count() == 1  # one job
    no_summing_in_requests(job.pk)  # what the background worker does
    job.refresh_from_db()
    assert job.state == "done" and "3 个网格" in job.result["summary"]

    shown = c.get(STREET).content.decode()  # the worker's figures, not summed again
    monkeypatch.undo()
    settings.GRIDMAP_SUMMARY_BACKGROUND_GRIDS = 3000
    assert headline(shown) == headline(c.get(STREET).content.decode())  # the figures the page computes itself
    assert headline(shown)["reported"] == "7"
    soup = BeautifulSoup(shown, "html.parser")
    assert "本汇总由后台于" in soup.select_one("#as-of").get_text() and soup.select_one("#job") is None


def test_old_figures_are_shown_while_the_worker_computes_new_ones(town, large, settings, no_summing_in_requests):
    c = client_for(town.leader)
    c.get(STREET)
    no_summing_in_requests(Job.objects.get(kind="summaries.compute").pk)
    settings.GRIDMAP_SUMMARY_MAX_AGE_SECONDS = 0  # every result is old at once
    html = c.get(STREET).content.decode()
    assert headline(html)["reported"] == "7"
    soup = BeautifulSoup(html, "html.parser")
    assert "正在计算新的一份" in soup.select_one("#as-of").get_text() and soup.select_one("#job")
    c.get(STREET)
    assert Job.objects.filter(kind="summaries.compute", state="queued").count() == 1  # repeated views: one job


def test_each_scope_has_its_own_figures_and_the_api_follows_the_same_rule(town, large, no_summing_in_requests):
    leader = client_for(town.leader)
    leader.get(STREET)
    no_summing_in_requests(Job.objects.get(kind="summaries.compute").pk)
    # An administrator also sees every grid: the leaders' figures are theirs too.
    assert headline(client_for(town.admin).get(STREET).content.decode())["reported"] == "7"
    api = leader.get("/api/summary/?level=street&code=510104001&period=2026-10")
    assert api.status_code == 200 and api.json()["computed_at"] and api.json()["unit"]["figures"]["reported"]["value"] == 7
    other = leader.get("/api/summary/?level=street&code=510104001&period=2026-09")
    assert other.status_code == 202 and other.json()["job_url"] == f"/jobs/{other.json()['job']}/"


def test_small_units_are_still_summed_in_the_request(town):
    response = client_for(town.leader).get(STREET)
    html = response.content.decode()
    assert response.status_code == 200
    assert headline(html)["reported"] == "7" and "本汇总由后台于" not in html
    assert not Job.objects.filter(kind="summaries.compute").exists()


def test_a_grid_workers_figures_are_never_anothers(town, large, settings, no_summing_in_requests):
    settings.GRIDMAP_SUMMARY_BACKGROUND_GRIDS = 0  # every unit is large
    everything = "/summary/?period=2026-10"
    client_for(town.leader).get(everything)
    no_summing_in_requests(Job.objects.get(kind="summaries.compute").pk)
    assert headline(client_for(town.leader).get(everything).content.decode())["reported"] == "7"
    mine = client_for(town.worker_w).get(everything).content.decode()
    assert "共 1 个网格" in mine and not headline(mine)  # the worker's own, computed for them
    job = Job.objects.get(kind="summaries.compute", state="queued")
    assert job.user == town.worker_w
    no_summing_in_requests(job.pk)
    assert headline(client_for(town.worker_w).get(everything).content.decode())["reported"] == "3"  # the west grid


def test_a_large_levels_table_over_the_api_comes_from_the_worker(town, large, no_summing_in_requests):
    leader = client_for(town.leader)
    pending = leader.get("/api/summary/?level=community&period=2026-10")
    assert pending.status_code == 202
    job = Job.objects.get(kind="summaries.compute")
    assert job.params["what"] == "table"
    no_summing_in_requests(job.pk)
    listed = leader.get("/api/summary/?level=community&period=2026-10").json()
    assert listed["computed_at"] and {u["code"] for u in listed["units"]} == {"510104001001", "510104001002"}
    assert client_for(town.worker_w).get("/api/summary/?level=community").status_code == 404  # not theirs to list
