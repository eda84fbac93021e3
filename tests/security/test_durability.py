"""Crash injection: a write the server acknowledged must survive a crash of the server.

A throwaway cluster is built and started by gridmap.pgcluster itself (its start() with the
paths pointed at a temporary folder under var/), so it runs with exactly the server
options of the embedded cluster. A writer inserts rows one by one in autocommit mode and
counts a row only once its COMMIT has returned; meanwhile the whole server (postmaster and
every backend, as in a power cut of the process tree) is killed with SIGKILL. After a
restart and crash recovery, every counted row must be there. With the old
``-c synchronous_commit=off`` the last few hundred milliseconds of acknowledged commits
were lost this way.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import threading
import time
import uuid

import psycopg2
import pytest

from gridmap import pgcluster

CRASHES = 3


@pytest.fixture
def throwaway_cluster(monkeypatch):
    """gridmap.pgcluster aimed at a fresh folder under var/ (reachable for the postgres
    user, unlike a private /tmp folder); stopped and removed afterwards."""
    if not shutil.which("runuser") and os.geteuid() == 0:
        pytest.fail("runuser (util-linux) is needed to run PostgreSQL as root")
    base = pgcluster.BASE_DIR / "var" / f"crash-{uuid.uuid4().hex[:8]}"
    pg_dir = base / "pg"
    for name, value in (("PG_DIR", pg_dir), ("DATA_DIR", pg_dir / "data"), ("SOCKET_DIR", pg_dir / "run"),
                        ("LOG_FILE", pg_dir / "log" / "postgres.log"), ("DATABASE", "crashtest")):
        monkeypatch.setattr(pgcluster, name, value)
    base.mkdir(parents=True)
    try:
        pgcluster.start()
        yield pgcluster
    finally:
        if pgcluster.is_running():
            pgcluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def _connect(cluster) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(host=str(cluster.SOCKET_DIR), port=cluster.PORT, user=cluster.SUPERUSER,
                            dbname=cluster.DATABASE)
    conn.autocommit = True
    return conn


def _postmaster_pid(cluster) -> int:
    return int((cluster.DATA_DIR / "postmaster.pid").read_text().splitlines()[0])


def _write_until_crash(cluster, acknowledged: list[int], started: threading.Event) -> None:
    """Insert rows one at a time; a row counts only after its commit returned."""
    conn = _connect(cluster)
    try:
        with conn.cursor() as cur:
            n = 0
            while True:
                n += 1
                try:
                    cur.execute("INSERT INTO report (n, body) VALUES (%s, repeat('事件', 20))", [n])
                except psycopg2.Error:
                    return  # the server went away: this row was never acknowledged
                acknowledged.append(n)
                if n == 50:
                    started.set()
    finally:
        started.set()
        try:
            conn.close()
        except psycopg2.Error:
            pass


def _crash(cluster) -> None:
    """SIGKILL the postmaster's whole process group at once (pg_ctl starts it with setsid):
    nothing gets a chance to flush. Only the processes of this throwaway cluster."""
    pid = _postmaster_pid(cluster)
    assert os.getpgid(pid) == pid, "the postmaster should lead its own process group"
    os.killpg(pid, signal.SIGKILL)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"postmaster {pid} survived SIGKILL")


@pytest.mark.slow  # initdb + three crash recoveries: about 20-30 s on a shared machine
def test_acknowledged_reports_survive_three_server_crashes(throwaway_cluster):
    cluster = throwaway_cluster
    with _connect(cluster) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE report (run int NOT NULL DEFAULT 0, n int NOT NULL, body text,"
                    " PRIMARY KEY (run, n))")
    conn.close()
    rng = random.Random(30428)
    lost_per_crash, acknowledged_total = [], 0
    for run in range(1, CRASHES + 1):
        conn = _connect(cluster)
        with conn.cursor() as cur:
            cur.execute(f"ALTER TABLE report ALTER COLUMN run SET DEFAULT {run}")
        conn.close()
        acknowledged: list[int] = []
        started = threading.Event()
        writer = threading.Thread(target=_write_until_crash, args=(cluster, acknowledged, started))
        writer.start()
        assert started.wait(30), "the writer never got going"
        time.sleep(rng.uniform(0.2, 0.6))  # mid-stream
        _crash(cluster)
        writer.join(30)
        assert not writer.is_alive()
        assert len(acknowledged) >= 50
        cluster.start()  # crash recovery replays the WAL
        conn = _connect(cluster)
        with conn.cursor() as cur:
            cur.execute("SELECT n FROM report WHERE run = %s", [run])
            present = {row[0] for row in cur.fetchall()}
        conn.close()
        lost_per_crash.append(len(set(acknowledged) - present))
        acknowledged_total += len(acknowledged)
    print(f"crash injections: {CRASHES}, acknowledged: {acknowledged_total}, lost: {sum(lost_per_crash)}")
    assert lost_per_crash == [0] * CRASHES, f"acknowledged rows lost per crash: {lost_per_crash} of {acknowledged_total}"

