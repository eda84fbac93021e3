"""Concurrent logged-in users against gunicorn and against `manage.py runserver`.

    .venv/bin/python bench/serve.py [--users 50] [--seconds 30] [--warmup 5] [--think 0]

Loads the demo district into a separate database (gridmap_bench_serve) unless it is there
(and deletes the reports earlier runs added, so every run starts from the same data), starts
gunicorn (gridmap/gunicorn.conf.py: a worker per core × 3 threads unless
GRIDMAP_WEB_WORKERS / GRIDMAP_WEB_THREADS say otherwise) and then runserver on 127.0.0.1, each next to the
background worker (`manage.py qcluster`, as `make serve` runs it: the same app, only the web
server differs) and each with an empty cache folder of its own, and drives each with the
same mix of users, every one with its own session logged in once through the login form (CSRF),
after one visitor has opened each page once (what a page caches is computed by the first
visitor after a restart; the measured time is the steady state):
  60 % grid workers: POST /api/incidents/ (a report inside their own grid; when it is answered
                     409 for a case of its kind open nearby, the link_to report that follows
                     is timed as its own request), GET /my/, GET /api/incidents/
  20 % planners:     GET /planner/, GET /api/coverage/?type=<a facility type>
  20 % patrols:      GET /patrol/
Prints requests/s, p50/p95/p99 per page and over all pages and lists (every GET), errors, and gunicorn's throughput over runserver's,
and the server's CPU per request split into the web server, the background worker and the
database (every backend of the cluster: run it on a quiet machine).
The load generator runs on the same machine (it shares the cores with the server): one
process, a thread per user with its connection kept open as a browser keeps it (gunicorn closes
it after each answer), through bench/_http.py (the standard library's client: requests cost it
three times the CPU, taken from the server); the CPU it used over the measured time is printed
with each table so that its share is known. runserver runs as a development
checkout runs it: `manage.py runserver --noreload` with the checkout's settings (DEBUG is
off unless GRIDMAP_DEBUG=1: pass --dev-debug to measure it with DEBUG on).
"""

from __future__ import annotations

import argparse
import os
import random
import runpy
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from _db import ROOT, setup_django
from _http import ERRORS, Site

DB_NAME = "gridmap_bench_serve"
PASSWORD = "bench-serve-pw-2026"
BENCH_REPORT = "压测上报（bench）"
MIX = (("worker", 0.6), ("planner", 0.2), ("patrol", 0.2))
PAGES = "(pages and lists: every GET)"  # what the p95 goal of 0.5 s is about; reports are POSTs


@dataclass
class Account:
    role: str
    username: str
    points: list[tuple[float, float]] = field(default_factory=list)  # inside the worker's grids


@dataclass
class World:
    workers: list[Account]
    planners: list[Account]
    patrols: list[Account]
    categories: list[int]
    facility_types: list[str]


def prepare() -> World:
    setup_django(DB_NAME)
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from layers.accounts.roles import PATROL, PLANNER, WORKER
    from layers.accounts.visibility import visible_grids
    from layers.facilities.models import FacilityType
    from layers.incidents.models import IncidentCategory
    from layers.people.models import Household

    call_command("collectstatic", interactive=False, verbosity=0)
    forget_bench_reports()
    if not Household.objects.exists():
        with tempfile.TemporaryDirectory() as tmp:
            call_command("load_demo", logins=str(Path(tmp) / "logins.txt"), verbosity=0)
    rng = random.Random(7)
    accounts: dict[str, list[Account]] = defaultdict(list)
    for user in User.objects.filter(is_active=True).order_by("username"):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        if user.is_superuser:
            continue
        groups = set(user.groups.values_list("name", flat=True))
        if PATROL in groups:
            accounts["patrol"].append(Account("patrol", user.username))
        elif PLANNER in groups:
            accounts["planner"].append(Account("planner", user.username))
        elif WORKER in groups:
            points = []
            for grid in visible_grids(user):  # places spread over the grid, as a worker's reports are
                points += random_points_in(grid.geom, 40, rng)
            if points:
                rng.shuffle(points)
                accounts["worker"].append(Account("worker", user.username, points))
    for role in ("worker", "planner", "patrol"):
        if not accounts[role]:
            sys.exit(f"bench/serve.py: no {role} account in {DB_NAME}")
    return World(accounts["worker"], accounts["planner"], accounts["patrol"],
                 list(IncidentCategory.objects.values_list("id", flat=True)),
                 list(FacilityType.objects.values_list("code", flat=True)))


def forget_bench_reports() -> None:
    """Delete what earlier runs (or the server measured before) reported: every server starts
    from the same data, and its workers' reports are not duplicates of the last server's."""
    from layers.incidents.models import Incident, IncidentReport

    Incident.objects.filter(description=BENCH_REPORT).delete()
    IncidentReport.objects.filter(description=BENCH_REPORT).delete()  # linked to a demo case


def random_points_in(geom, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """``n`` seeded points (lon, lat) inside the polygon ``geom`` (rejection sampling in its box)."""
    import shapely

    shape = shapely.from_wkb(bytes(geom.wkb))
    shapely.prepare(shape)
    x0, y0, x1, y1 = shape.bounds
    points = []
    while len(points) < n:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shapely.contains_xy(shape, x, y):
            points.append((x, y))
    return points


def start_server(kind: str, port: int, cache_dir: str, *, dev_debug: bool = False) -> list[subprocess.Popen]:
    """The web server ``kind`` and the background worker next to it; returns [server, worker]."""
    import socket

    with socket.socket() as probe:  # a server left on the port would be measured instead
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(f"bench/serve.py: 127.0.0.1:{port} is already taken; stop what listens there")
    env = {**os.environ, "GRIDMAP_DB_NAME": DB_NAME, "GRIDMAP_BIND": f"127.0.0.1:{port}",
           "GRIDMAP_ACCESS_LOG": os.devnull, "GRIDMAP_CACHE_DIR": cache_dir}
    if kind == "gunicorn":
        cmd = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gridmap/gunicorn.conf.py"]
    else:
        cmd = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        if dev_debug:
            env["GRIDMAP_DEBUG"] = "1"
    log = open(ROOT / "var" / f"bench-serve-{kind}.log", "w")  # noqa: SIM115 - closed with the process
    worker = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            probe = Site(f"http://127.0.0.1:{port}", timeout_s=30)
            try:
                if probe.get("/health/").status == 200:
                    return [server, worker]
            except ERRORS:  # not listening yet, or workers still importing
                pass
            finally:
                probe.close()
            time.sleep(0.5)
    except BaseException:
        stop([server, worker])
        raise
    stop([server, worker])
    sys.exit(f"bench/serve.py: {kind} did not come up; see var/bench-serve-{kind}.log")


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGINT (the worker, like make serve's trap: SIGTERM can hang django-q2) / SIGTERM, then wait."""
    import signal

    for process, sig in zip(processes, (signal.SIGTERM, signal.SIGINT), strict=False):
        if process.poll() is None:
            process.send_signal(sig)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def login(base: str, username: str) -> Site:
    session = Site(base)
    if (status := session.get("/accounts/login/").status) != 200:
        raise RuntimeError(f"the login page answered HTTP {status}")
    response = session.post_form("/accounts/login/", {"username": username, "password": PASSWORD,
                                                      "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                                 headers={"Referer": f"{base}/accounts/login/"})
    if response.status != 302:
        raise RuntimeError(f"login of {username} failed: HTTP {response.status}")
    return session


def get_ok(session: Site, path: str) -> None:
    if (status := session.get(path).status) != 200:
        raise RuntimeError(f"{path} answered HTTP {status}")


def one_request(session: Site, base: str, account: Account, world: World,
                rng: random.Random) -> list[tuple[str, float, bool]]:
    """One tap of the user: its request(s) as (label, seconds, ok) rows. A report that finds a
    case of its kind open within 50 m is answered 409 with that case; the worker then links the
    report to it, as the phone offers: a second tap, timed as its own request."""
    r = rng.random()
    t = time.perf_counter()
    if account.role == "worker":
        if r < 0.3:
            lon, lat = rng.choice(account.points)
            category = rng.choice(world.categories)
            feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                       "properties": {"category": category, "description": BENCH_REPORT}}
            headers = {"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{base}/my/"}
            response = session.post_json("/api/incidents/", feature, headers)  # the whole body read
            took = time.perf_counter() - t
            if response.status == 409 and response.json().get("duplicates"):
                feature["properties"]["link_to"] = response.json()["duplicates"][0]["id"]
                t = time.perf_counter()
                linked = session.post_json("/api/incidents/", feature, headers)
                return [("POST /api/incidents/ → 409 同类在办", took, True),
                        ("POST /api/incidents/ + link_to", time.perf_counter() - t, linked.status == 200)]
            return [("POST /api/incidents/", took, response.status == 201)]
        if r < 0.6:
            label, path = "GET /my/", "/my/"
        else:
            label, path = "GET /api/incidents/", "/api/incidents/"
    elif account.role == "planner":
        if r < 0.5:
            label, path = "GET /planner/", "/planner/"
        else:
            label, path = "GET /api/coverage/?type=…", f"/api/coverage/?type={rng.choice(world.facility_types)}"
    else:
        label, path = "GET /patrol/", "/patrol/"
    response = session.get(path)  # the whole body read inside the timing
    return [(label, time.perf_counter() - t, response.status == 200)]


def tree_cpu_s(roots: list[int]) -> float:
    """CPU seconds (user + system) used so far by the processes ``roots`` and all their
    descendants, those already ended and waited for included (/proc: cutime, cstime)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            stats[int(entry)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))  # ppid; u, s, cu, cs
    children = defaultdict(list)
    for pid, (ppid, _) in stats.items():
        children[ppid].append(pid)
    total, todo = 0, [pid for pid in roots if pid in stats]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo += children[pid]
    return total / tick


def database_pid() -> int | None:
    """The embedded cluster's postmaster (its backends do the SQL work); None with DATABASE_URL."""
    if os.environ.get("DATABASE_URL"):
        return None
    from gridmap import pgcluster

    try:
        return int((pgcluster.DATA_DIR / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def prime(base: str, world: World) -> None:
    """One visitor per page before the load, as after a restart the first visitors do: the
    analysis a page caches (patrol hot spots, coverage per type) is computed once, and the
    measured time shows the steady state instead of 10 patrols waiting on the first answer."""
    patrol, planner, worker = (login(base, pool[0].username) for pool in (world.patrols, world.planners, world.workers))
    for session in (patrol, planner, worker):
        session.timeout_s = 600
    get_ok(patrol, "/patrol/")
    for code in world.facility_types:
        get_ok(planner, f"/api/coverage/?type={code}")
    get_ok(planner, "/planner/")
    get_ok(worker, "/my/")
    get_ok(worker, "/api/incidents/")
    for session in (patrol, planner, worker):
        session.close()


def drive(base: str, world: World, users: int, seconds: float, warmup: float,
          probe=dict, think_s: float = 0.0) -> tuple[list, float, dict[str, float]]:
    """Runs ``users`` concurrent sessions; returns (label, seconds, ok) rows, the wall time and
    what each of ``probe()``'s figures (CPU seconds per process tree) and the CPU seconds of this
    process (the load generator, key "load generator") grew by over the measured time.
    Each user sends its next request as soon as the last one answered, or after a pause of
    ``think_s`` seconds on average."""
    pools = {"worker": world.workers, "planner": world.planners, "patrol": world.patrols}
    plan = []
    for role, share in MIX:
        plan += [role] * round(users * share)
    plan = (plan + ["worker"] * users)[:users]
    accounts = [pools[role][i % len(pools[role])] for i, role in enumerate(plan)]
    timing = {}

    def go() -> None:  # run once, by the last thread to arrive, before any is released
        timing["start"] = time.monotonic()
        timing["end"] = timing["start"] + warmup + seconds

    start = threading.Barrier(users + 1, action=go)

    def user(i: int) -> list:
        rng = random.Random(i)
        account = accounts[i]
        try:
            session = login(base, account.username)
        finally:
            start.wait()
        end_warmup = timing["start"] + warmup
        rows = []
        while time.monotonic() < timing["end"]:
            try:
                answered = one_request(session, base, account, world, rng)
            except ERRORS:
                answered = [("(connection error)", 0.0, False)]
            if time.monotonic() > end_warmup:
                rows += answered
            if think_s > 0:  # reading the page before the next tap (exponential, mean think_s)
                time.sleep(min(rng.expovariate(1 / think_s), max(0.0, timing["end"] - time.monotonic())))
        session.close()
        return rows

    with ThreadPoolExecutor(max_workers=users) as pool:
        futures = [pool.submit(user, i) for i in range(users)]
        start.wait()
        time.sleep(max(0.0, timing["start"] + warmup - time.monotonic()))
        cpu_start, client_start = probe(), time.process_time()
        time.sleep(max(0.0, timing["end"] - time.monotonic()))
        cpu = {name: value - cpu_start[name] for name, value in probe().items()}
        cpu["load generator"] = time.process_time() - client_start
        rows = [row for f in futures for row in f.result()]
    return rows, time.monotonic() - timing["start"] - warmup, cpu


def summarise(rows: list, wall: float) -> dict[str, tuple]:
    by_label = defaultdict(list)
    for label, took, ok in rows:
        by_label[label].append((took, ok))
    by_label[PAGES] = [(took, ok) for label, took, ok in rows if label.startswith("GET ")]
    by_label["(all)"] = [(took, ok) for _label, took, ok in rows]
    table = {}
    for label, items in by_label.items():
        times = sorted(t for t, _ in items)
        q = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
        table[label] = (len(items) / wall, q[49], q[94], q[98], sum(1 for _, ok in items if not ok), len(items))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30, help="measured time per server")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured seconds after the logins")
    parser.add_argument("--servers", default="gunicorn,runserver", help="which servers to drive, in order")
    parser.add_argument("--dev-debug", action="store_true", help="runserver with GRIDMAP_DEBUG=1")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a user pauses between requests (0: none, every user "
                             "asks again at once: the servers' capacity)")
    args = parser.parse_args()
    world = prepare()
    print(f"{args.users} users ({', '.join(f'{int(s * 100)} % {r}s' for r, s in MIX)}), "
          + (f"pausing {args.think:g} s on average between requests, " if args.think else "no pause between requests, ")
          + f"{args.seconds:.0f} s measured after {args.warmup:.0f} s warm-up, on {os.cpu_count()} cores")
    results = {}
    ports = {"gunicorn": 8791, "runserver": 8792}
    conf = runpy.run_path(str(ROOT / "gridmap" / "gunicorn.conf.py"))  # what gunicorn will read
    print(f"gunicorn: {conf['workers']} workers × {conf['threads']} threads (gridmap/gunicorn.conf.py)")
    client_cpu, server_cpu, split_cpu = {}, {}, {}
    for kind in args.servers.split(","):
        port = ports[kind]
        forget_bench_reports()
        with tempfile.TemporaryDirectory(prefix=f"bench-serve-cache-{kind}-") as cache_dir:
            processes = start_server(kind, port, cache_dir, dev_debug=args.dev_debug)
            try:
                prime(f"http://127.0.0.1:{port}", world)
                parts = {"web": [processes[0].pid], "worker": [processes[1].pid], "database": [database_pid()]}
                parts = {name: pids for name, pids in parts.items() if all(pids)}
                rows, wall, cpu_by_part = drive(
                    f"http://127.0.0.1:{port}", world, args.users, args.seconds, args.warmup,
                    probe=lambda parts=parts: {name: tree_cpu_s(pids) for name, pids in parts.items()},
                    think_s=args.think)
                client_cpu[kind] = cpu_by_part.pop("load generator")
                server_cpu[kind], split_cpu[kind] = sum(cpu_by_part.values()), cpu_by_part
            finally:
                stop(processes)
        results[kind] = summarise(rows, wall)
    labels = sorted({label for table in results.values() for label in table},
                    key=lambda s: (s.startswith("("), s == "(all)", s))
    print(f"\n{'server':<10} {'page':<34}{'req/s':>8}{'p50 s':>8}{'p95 s':>8}{'p99 s':>8}{'errors':>8}{'requests':>10}")
    for kind, table in results.items():
        for label in labels:
            if label in table:
                rps, p50, p95, p99, errors, n = table[label]
                print(f"{kind:<10} {label:<34}{rps:>8.2f}{p50:>8.3f}{p95:>8.3f}{p99:>8.3f}{errors:>8}{n:>10}")
    print("\nserver CPU (web server, background worker and database processes) over the measured time:")
    for kind, table in results.items():
        n = table["(all)"][5]
        print(f"  {kind:<10} {server_cpu[kind]:7.1f} CPU s = {server_cpu[kind] / args.seconds:4.2f} cores busy, "
              f"{1000 * server_cpu[kind] / max(n, 1):6.1f} CPU ms per request ("
              + ", ".join(f"{name} {1000 * v / max(n, 1):.1f}" for name, v in split_cpu[kind].items()) + ")")
    print("load generator CPU over the measured time: " + ", ".join(
        f"{kind} {client_s / args.seconds:.0%} of a core, {1000 * client_s / max(results[kind]['(all)'][5], 1):.1f} ms "
        "per request" for kind, client_s in client_cpu.items()))
    if len(results) == 2:
        ratio = results["gunicorn"]["(all)"][0] / max(results["runserver"]["(all)"][0], 1e-9)
        print(f"\nthroughput gunicorn / runserver: {ratio:.2f}×")
        cost = {kind: server_cpu[kind] / max(results[kind]["(all)"][5], 1) for kind in results}
        if cost["gunicorn"] > 0:
            print(f"server CPU per request runserver / gunicorn: {cost['runserver'] / cost['gunicorn']:.2f}×")


if __name__ == "__main__":
    main()
