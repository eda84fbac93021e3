"""Page load times and sizes of each role's page for a 100,000-household district.

    .venv/bin/python bench/pages.py [--households 100000] [--incidents 50000] [--runs 3]

Loads the demo district into a separate database (gridmap_bench_pages), multiplies its
synthetic households and incidents up to the requested numbers (copies moved by a few
metres inside their own grid), then for each role times
  - the server: the page's HTML and its map frame rendered by Django (test client);
  - the browser: headless Chromium opening the page until the map has drawn;
and prints HTML/JSON sizes. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from _db import setup_django

ROLE_PAGES = {
    "admin": ["/", "/maps/overview.html"],
    "wangge01": ["/my/", "/my/map.html"],
    "planner": ["/planner/"],
    "patrol": ["/patrol/"],
}


def scale_up(households: int, incidents: int) -> None:
    """Copy synthetic rows, moved by up to ±3 m, until the counts are reached (in SQL)."""
    from django.db import connection

    with connection.cursor() as cur:
        for table, target, cols in (
            ("people_household", households,
             "address, residents, head_name, id_number, phone, tags, synthetic, external_id, last_visit"),
            ("incidents_incident", incidents,
             "external_id, category_id, description, address, reported_at, reporter_id, reporter_name, status, "
             "dispatched_at, closed_at, satisfaction, synthetic"),
        ):
            cur.execute(f"SELECT count(*) FROM {table}")
            have = cur.fetchone()[0]
            copy = 0
            cur.execute(f"SELECT count(*) FROM {table} WHERE external_id NOT LIKE '%%-x%%'")
            originals = cur.fetchone()[0]
            while have < target:
                copy += 1
                n = min(originals, target - have)
                select_cols = cols.replace("external_id", f"external_id || '-x{copy}'")
                cur.execute(
                    f"INSERT INTO {table} (geom, {cols}) SELECT ST_Translate(geom, (random() - 0.5) * 0.00006,"
                    f" (random() - 0.5) * 0.00006), {select_cols} FROM {table} WHERE external_id NOT LIKE '%%-x%%'"
                    f" ORDER BY id LIMIT %s", [n])
                have += n
        cur.execute("ANALYZE")


def server_times(runs: int) -> list[tuple[str, str, float, int]]:
    from django.contrib.auth.models import User
    from django.test import Client

    rows = []
    for username, paths in ROLE_PAGES.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        for path in paths:
            times, size = [], 0
            for _ in range(runs):
                t = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - t)
                size = len(response.content)
                if response.status_code != 200:
                    print(f"  {username} {path}: HTTP {response.status_code}", file=sys.stderr)
            rows.append((username, path, statistics.median(times), size))
    return rows


def api_sizes() -> list[tuple[str, float, int]]:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="admin"))
    rows = []
    for path in ("/api/households/?in_bbox=104.075,30.655,104.078,30.658&page_size=5000",
                 "/api/incidents/?status=reported,accepted,dispatched,handling,feedback&page_size=5000",
                 "/maps/streets.geojson"):
        t = time.perf_counter()
        response = client.get(path)
        rows.append((path, time.perf_counter() - t, len(response.content)))
    return rows


FRAMES = {"/": "/maps/overview.html", "/my/": "/my/map.html", "/planner/": "/planner/map.html",
          "/patrol/": "/patrol/map.html"}


def browser_times(db_name: str, runs: int) -> list[tuple[str, str, float]]:
    """Seconds from navigation until the page's map frame has drawn, in headless Chromium
    against a local runserver of the bench database (median of ``runs``)."""
    import os
    import shutil
    import subprocess

    from django.contrib.auth.models import User
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    port = "8797"
    env = {**os.environ, "GRIDMAP_DB_NAME": db_name}
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                              cwd=str(Path(__file__).resolve().parent.parent), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        time.sleep(4)
        passwords = {}
        for username in ROLE_PAGES:
            user = User.objects.get(username=username)
            passwords[username] = f"bench-{username}-pw-2026"
            user.set_password(passwords[username])
            user.save()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu",
                                        "--disable-background-networking", "--disable-component-update"])
            for username, paths in ROLE_PAGES.items():
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(120_000)
                page.goto(f"http://127.0.0.1:{port}/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", passwords[username])
                page.click("button[type=submit]")
                path = paths[0]
                times = []
                for _ in range(runs):
                    t = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}{path}")
                    frame_url = FRAMES[path]
                    page.wait_for_function(
                        f"[...document.querySelectorAll('iframe')].some(f => f.src.includes('{frame_url}')"
                        " && f.contentWindow && f.contentWindow.document.querySelector('.leaflet-pane'))",
                        timeout=120_000)
                    times.append(time.perf_counter() - t)
                rows.append((username, path, statistics.median(times)))
                page.close()
            browser.close()
    finally:
        server.terminate()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django("gridmap_bench_pages")
    from django.core.management import call_command

    call_command("load_demo", "--force", verbosity=0)
    scale_up(args.households, args.incidents)
    # What an administrator runs after a bulk import: walking times for the new households.
    call_command("build_circles", verbosity=0)
    from layers.incidents.models import Incident
    from layers.people.models import Household

    print(f"district: {Household.objects.count():,} households, {Incident.objects.count():,} incidents")
    print(f"\n{'user':<10}{'page':<24}{'server median s':>16}{'HTML bytes':>14}")
    for username, path, seconds, size in server_times(args.runs):
        print(f"{username:<10}{path:<24}{seconds:>16.3f}{size:>14,}")
    print(f"\n{'API request':<90}{'s':>8}{'JSON bytes':>14}")
    for path, seconds, size in api_sizes():
        print(f"{path:<90}{seconds:>8.3f}{size:>14,}")
    print(f"\n{'user':<10}{'page':<24}{'browser: map drawn, median s':>30}")
    for username, path, seconds in browser_times("gridmap_bench_pages", args.runs):
        print(f"{username:<10}{path:<24}{seconds:>30.2f}")


if __name__ == "__main__":
    main()
