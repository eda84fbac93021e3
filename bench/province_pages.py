"""The `pages` stage of bench/province.py: a grid worker's pages at province size.

A grid worker holds two grids of one district; a page must read their cases, not every
district's. Each page is asked through Django's test client (session, middleware, template:
everything but the network), once to warm up and then REPEAT times; the figure is the mean.
No peer: no analyst's tool serves these pages.
"""

from __future__ import annotations

REPEAT = 5
PAGES = ("/my/", "/api/incidents/", "/incidents/")
WORKER = "province_bench_worker"


def stage_pages(mem, n: int, result_type, measure):
    """StageResult with one figure per page (seconds per request)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from layers.accounts.roles import WORKER as WORKER_ROLE
    from layers.grids.models import Grid, GridAssignment

    user, _ = User.objects.get_or_create(username=WORKER)
    user.groups.add(Group.objects.get(name=WORKER_ROLE))
    # Two neighbouring grids in the middle of the province (its districts are tiled in id order).
    grid_ids = list(Grid.objects.order_by("id").values_list("id", flat=True))
    middle = len(grid_ids) // 2
    for grid_id in grid_ids[middle:middle + 2]:
        GridAssignment.objects.get_or_create(user=user, grid_id=grid_id)
    client = Client()
    client.force_login(user)
    res = result_type("pages", n)
    for path in PAGES:
        if client.get(path).status_code != 200:
            raise RuntimeError(f"{path} did not answer 200 for the bench's grid worker")

        def ask(path: str = path) -> None:
            for _ in range(REPEAT):
                client.get(path)

        figure, _ = measure(mem, ask)
        figure.seconds /= REPEAT
        res.ours[f"worker GET {path} (per request)"] = figure
    return res

