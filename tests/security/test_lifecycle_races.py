"""Races on the incident lifecycle (finding 2): many clients move the same incident at once.

Before: in 50 of 50 races of 20 clients several moves succeeded (up to 19), the history got
duplicate rows and statuses disagreed with it. Now exactly one move wins each race, the
others fail cleanly (ConcurrentMoveError; 409/400 with a Chinese message in the API), and
status and history agree for every incident.

Each racer is a thread with its own database connection (transactional_db: the moves
really commit), kept for all races and closed at the end.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from layers.incidents import lifecycle
from layers.incidents.lifecycle import IncidentStatus as S
from layers.incidents.models import Incident
from tests.factories import category, department, point

RACERS = 20
RACES = 50
API_RACES = 5

INCONSISTENT_SQL = """
    SELECT count(*) FROM incidents_incident i
      JOIN LATERAL (SELECT t.to_status FROM incidents_incidenttransition t
                     WHERE t.incident_id = i.id ORDER BY t.id DESC LIMIT 1) last ON true
     WHERE last.to_status <> i.status"""
BROKEN_CHAIN_SQL = """
    SELECT count(*) FROM (
        SELECT from_status, lag(to_status, 1, '') OVER (PARTITION BY incident_id ORDER BY id) AS previous
          FROM incidents_incidenttransition) steps
     WHERE from_status <> previous"""


class Racers:
    """RACERS threads, each with its own connection, running one job per race at once."""

    def __init__(self, n: int = RACERS) -> None:
        self.n = n
        self.job: Callable[[int, threading.Barrier], Any] | None = None
        self.results: list[Any] = [None] * n
        self._start = threading.Barrier(n + 1)
        self._done = threading.Barrier(n + 1)
        self._go = threading.Barrier(n)
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(n)]
        for t in self.threads:
            t.start()

    def _loop(self, i: int) -> None:
        try:
            while True:
                self._start.wait()
                if self.job is None:
                    return
                try:
                    self.results[i] = self.job(i, self._go)
                except Exception as e:  # noqa: BLE001 - the test inspects every outcome
                    self.results[i] = e
                finally:
                    self._done.wait()
        finally:
            connection.close()  # this thread's own connection

    def race(self, job: Callable[[int, threading.Barrier], Any]) -> list[Any]:
        """Run ``job(i, go)`` in every thread; jobs call go.wait() right before the move."""
        self.job, self.results = job, [None] * self.n
        self._go = threading.Barrier(self.n)
        self._start.wait()
        self._done.wait()
        return list(self.results)

    def stop(self) -> None:
        self.job = None
        self._start.wait()
        for t in self.threads:
            t.join(10)


@pytest.fixture
def racers():
    pool = Racers()
    yield pool
    pool.stop()


def _count(sql: str) -> int:
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def _new_incident(reporter, *, stage: str) -> Incident:
    incident = lifecycle.report(by=reporter, category=category("dispute"), description="并发测试",
                                geom=point(104.066, 30.656))
    if stage == S.FEEDBACK:
        for step in (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.FEEDBACK):
            lifecycle.move(incident, step, department=department() if step == S.DISPATCHED else None)
    return incident


def test_twenty_clients_moving_one_incident_at_once_fifty_times(transactional_db, world, racers):
    """Even races: 立案 vs 不予立案 from 信息采集; odd races: 核查结案 vs 退回处理 from 处理反馈.
    Every racer saw the same status; exactly one move may win."""
    wins_per_race, expected_rows = [], 0
    for race in range(RACES):
        stage = S.REPORTED if race % 2 == 0 else S.FEEDBACK
        incident = _new_incident(world.worker_w, stage=stage)
        targets = (S.ACCEPTED, S.CANCELLED) if stage == S.REPORTED else (S.CLOSED, S.HANDLING)
        # Each may take their step (roles): the command centre accepts or cancels; the
        # reporting grid worker sends back (核查 not passed), the administrator closes.
        actors = [world.admin, world.command] if stage == S.REPORTED else [world.admin, world.worker_w]
        rows_before = incident.transitions.count()

        def job(i: int, go: threading.Barrier, pk: int = incident.pk, targets=targets, actors=actors) -> object:
            mine = Incident.objects.get(pk=pk)  # the page each client had loaded
            go.wait()
            return lifecycle.move(mine, targets[i % 2], by=actors[i % 2], note=f"客户端{i}")

        results = racers.race(job)
        wins = [r for r in results if not isinstance(r, Exception)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(e, lifecycle.ConcurrentMoveError) for e in losses), losses
        assert all("请刷新后重试" in str(e) for e in losses)
        wins_per_race.append(len(wins))
        incident.refresh_from_db()
        history = list(incident.transitions.order_by("id"))
        assert len(history) == rows_before + len(wins)
        assert history[-1].to_status == incident.status == wins[0].to_status
        expected_rows += len(history)
    assert wins_per_race == [1] * RACES
    assert _count("SELECT count(*) FROM incidents_incidenttransition") == expected_rows + 2  # + world's two
    inconsistent = _count(INCONSISTENT_SQL) + _count(BROKEN_CHAIN_SQL)
    print(f"races: {RACES} x {RACERS} clients, one winner each; inconsistent histories: {inconsistent}")
    assert inconsistent == 0


def test_twenty_api_clients_posting_the_same_transition_at_once(transactional_db, world, racers):
    """Through the HTTP API (views, DRF, permissions): one 201, the rest 409 or 400 in Chinese."""
    clients = [Client() for _ in range(RACERS)]

    def login(i: int, go: threading.Barrier) -> None:
        clients[i].force_login(world.command if i % 2 else world.admin)  # 立案 is the command centre's

    racers.race(login)
    for _ in range(API_RACES):
        incident = _new_incident(world.worker_e, stage=S.REPORTED)

        def post(i: int, go: threading.Barrier, pk: int = incident.pk):
            go.wait()
            return clients[i].post(f"/api/incidents/{pk}/transition/", {"to_status": "accepted"},
                                   content_type="application/json")

        responses = racers.race(post)
        assert not [r for r in responses if isinstance(r, Exception)]
        codes = sorted(r.status_code for r in responses)
        assert codes.count(201) == 1, codes
        assert set(codes) <= {201, 409, 400}, codes
        for r in responses:
            if r.status_code != 201:
                body = json.dumps(r.json(), ensure_ascii=False)
                assert "请刷新后重试" in body or "不能从「立案」变为「立案」" in body, body
        incident.refresh_from_db()
        assert incident.status == S.ACCEPTED
        assert list(incident.transitions.order_by("id").values_list("to_status", flat=True)) == [
            S.REPORTED, S.ACCEPTED]
    assert _count(INCONSISTENT_SQL) == 0 and _count(BROKEN_CHAIN_SQL) == 0


def test_stale_page_cannot_repeat_a_move_someone_else_made(world):
    """A client that saw 信息采集 submits 立案 after a colleague already did: refused, not repeated."""
    stale = Incident.objects.get(pk=world.iw.pk)
    lifecycle.move(world.iw, S.ACCEPTED, by=world.admin)
    with pytest.raises(lifecycle.ConcurrentMoveError, match="已被他人更新为「立案」"):
        lifecycle.move(stale, S.ACCEPTED, by=world.worker_w)
    assert list(world.iw.transitions.values_list("to_status", flat=True)) == [S.REPORTED, S.ACCEPTED]


def test_stale_page_form_gets_a_chinese_message_not_a_second_move(world):
    from tests.fixtures_world import client_for

    c = client_for(world.worker_w)
    lifecycle.move(world.iw, S.ACCEPTED, by=world.admin)
    response = c.post(f"/incidents/{world.iw.pk}/", {"to_status": "cancelled", "from_status": "reported"},
                      follow=True)
    assert "已被他人更新为「立案」" in response.content.decode()
    world.iw.refresh_from_db()
    assert world.iw.status == S.ACCEPTED and world.iw.transitions.count() == 2


def test_history_forked_by_an_old_race_is_repaired_when_the_guard_is_installed(transactional_db, world):
    """Data left by the races before the fix (two steps from one status, the status at the
    first) gets a repair step from migration 0002, and the incident can move on afterwards."""
    from django.core.management import call_command

    pk = world.iw.pk
    call_command("migrate", "incidents", "0001", verbosity=0)
    try:
        with connection.cursor() as cur:
            cur.execute("INSERT INTO incidents_incidenttransition (incident_id, from_status, to_status, at, note)"
                        " VALUES (%(pk)s, 'reported', 'accepted', now(), '甲'),"
                        "        (%(pk)s, 'reported', 'cancelled', now(), '乙')", {"pk": pk})
            cur.execute("UPDATE incidents_incident SET status = 'accepted' WHERE id = %s", [pk])
        assert _count(INCONSISTENT_SQL) == 1
    finally:
        # Every app forward again: going back to incidents 0001 also took back what depends
        # on later incidents migrations (the patrol data version).
        call_command("migrate", verbosity=0)
    assert _count(INCONSISTENT_SQL) == 0
    incident = Incident.objects.get(pk=pk)
    repair = incident.transitions.order_by("id").last()
    assert (repair.from_status, repair.to_status) == (S.CANCELLED, S.ACCEPTED) and "数据修复" in repair.note
    # going back to 0001 dropped the departments table: a new department for the dispatch
    lifecycle.move(incident, S.DISPATCHED, by=world.admin, department=department("重建后的城管"))
    assert incident.status == S.DISPATCHED
