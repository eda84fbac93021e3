"""Batch work per district on Dask distributed: walking times and circles, coverage, hot spots.

:func:`run_per_district` sends one task per district and step to a Dask cluster: a
LocalCluster of ``workers`` processes on this machine by default, or the scheduler at
settings.GRIDMAP_DASK_SCHEDULER (``tcp://host:8786``) whose workers may run on many machines,
each started in a checkout of gridmap with the same settings (``dask worker tcp://host:8786``
from the project folder). A task receives a district code and the caller's database settings,
never a model instance; it sets Django up in its worker (:func:`bootstrap`), works in the
district's metric CRS (District.metric_srid) and writes that district's rows in its own
connection. A failed task is submitted again ``retries`` times, then reported (with its
reason) without stopping the other districts; coverage of a district waits for its walking
times.

Steps (each the existing single-process function, kept to one district):
    walking   layers.facilities.walking.refresh.rebuild(district=...): the circles of the
              district's facilities and the walking times of its households (to facilities of
              every district), rows in facilities_facilitycircle / facilities_householdaccess.
    coverage  layers.facilities.walking.reports.coverage_rows(district=...) per community and
              per grid, kept in the shared analysis cache the planner page reads.
    hotspots  the patrol page's default analysis (last 30 days, grid cells, Gi* ranking) via
              layers.patrols.cache.compute_and_store, kept where the patrol page reads it.

Dask is imported only inside :func:`run_per_district`: web workers never pay for it. The
per-district row filter is written once, :func:`in_district_sql`.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

logger = logging.getLogger(__name__)

STEPS = ("walking", "coverage", "hotspots")
STEP_NAMES_ZH = {"walking": "步行时间与服务圈", "coverage": "覆盖统计", "hotspots": "巡防热点"}
HOTSPOT_DAYS = 30
"""The window of the hot spot step: the patrol page's default (近30天)."""
DB_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


_ALIAS = "<alias>"
# The partition key (layers.grids.partitions): the planner reads that district's partition only.
_GRID_LINKED_IN_DISTRICT = "<alias>.district_code = %s"
# The nearest district of a facility outside them all is the nearest by true distance among
# those whose box is no further than the true distance to the district with the nearest box
# (a box is never further than its district, so no closer one is left out; ties by code).
# Measuring every district's true distance cost 1.1 ms a facility: 14 s for each district's
# batch at a 56-district province, every batch looking at every facility.
_FACILITY_IN_DISTRICT = (
    "%s = COALESCE((SELECT d.code FROM grids_district d WHERE ST_Intersects(d.geom, <alias>.geom)"
    "               ORDER BY d.code LIMIT 1),"
    "              (SELECT d.code FROM grids_district d"
    "                WHERE (d.geom <#> <alias>.geom) <= (SELECT n.geom <-> <alias>.geom FROM grids_district n"
    "                                                    ORDER BY n.geom <#> <alias>.geom, n.code LIMIT 1)"
    "                ORDER BY d.geom <-> <alias>.geom, d.code LIMIT 1))")


def _with_alias(template: str, alias: str) -> str:
    if not alias.isidentifier():
        msg = f"not a table alias: {alias!r}"
        raise ValueError(msg)
    return template.replace(_ALIAS, alias)


def in_district_sql(alias: str) -> str:
    """SQL condition: the row ``alias`` of a grid-linked table (people_household,
    incidents_incident, …) lies in the district whose 6-digit code is bound as one ``%s``.

    The one home of the per-district filter of batch work: ``<alias>.district_code = %s``, so
    the planner touches only that district's partition. Rows in the district but outside every
    grid belong to it too."""
    return _with_alias(_GRID_LINKED_IN_DISTRICT, alias)


def facility_in_district_sql(alias: str) -> str:
    """SQL condition: the facility ``alias`` belongs to the district bound as one ``%s``: the
    district whose boundary covers it (on a shared border the smaller code), else the nearest
    one (facilities just outside the boundary serve its households too: each facility is
    thus in exactly one district's batch)."""
    return _with_alias(_FACILITY_IN_DISTRICT, alias)


@dataclass(frozen=True)
class DistrictOutcome:
    """How one step of one district went: ``seconds`` of work (all attempts), ``attempts``
    made (0: not run because an earlier step of the district failed), ``error`` the reason
    when not ``ok``, ``summary`` what was computed (JSON-able; ``worker``: the Dask worker
    that ran it)."""

    code: str
    step: str
    ok: bool
    seconds: float
    attempts: int
    error: str = ""
    summary: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class DistrictTaskError(Exception):
    """A step failed in its worker: ``args`` = (message, seconds). A plain exception that
    pickles back to the caller whatever the original error was."""


def database_settings() -> dict:
    """The caller's database settings (the test database in tests) for the workers."""
    from django.db import connection

    return {k: connection.settings_dict.get(k) for k in DB_KEYS if k in connection.settings_dict}


def bootstrap(db: dict) -> None:
    """Django in a Dask worker: set up once per process (DJANGO_SETTINGS_MODULE, default
    gridmap.settings), pointed at the caller's database ``db``, the connection closed so
    that the task opens a fresh one."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmap.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()
    from django.db import connections

    conn = connections["default"]
    if any(conn.settings_dict.get(k) != v for k, v in db.items()):
        conn.close()
        conn.settings_dict.update(db)
    conn.close()


def _walking(code: str) -> dict:
    from layers.facilities.walking.refresh import rebuild

    result = rebuild(district=code)
    return {"facilities": result.facilities, "circle_rows": result.circle_rows, "households": result.households,
            "access_rows_changed": result.access_rows_changed, "text": result.summary()}


def _coverage(code: str) -> dict:
    from layers.facilities.walking.reports import coverage_rows

    rows = coverage_rows(level="community", district=code)
    coverage_rows(level="grid", district=code)
    types = {r.type_code: [r.households, r.covered_households, r.fragment_households]
             for r in rows if r.total == "all"}
    communities = len({r.code for r in rows if not r.total})
    return {"types": types, "communities": communities,
            "text": f"{communities} 个社区、{len(types)} 类设施的覆盖统计"}


def hotspot_options() -> dict:
    """The patrol page's default question (grid cells, Gi* ranking, no start point), as the
    patrol cache keys it (layers.pages.views.patrol.advice_options)."""
    from django.conf import settings

    from layers.patrols.start import StartPoint

    return {"cell": "grid", "rank": "gi", "start": asdict(StartPoint()), "closed": False,
            "dwell": float(settings.GRIDMAP_PATROL_DWELL_MIN)}


def _hotspots(code: str) -> dict:
    from layers.patrols.cache import compute_and_store
    from layers.patrols.filters import IncidentFilter

    flt = IncidentFilter.last_days(HOTSPOT_DAYS, district=code)
    advice = compute_and_store("advice", flt, hotspot_options()).value
    if advice.result is None:  # refused: no grids, a bad filter
        raise RuntimeError(advice.error)
    cells = advice.result.cells
    hot = cells[cells["gi_class"] > 0]
    return {"incidents": advice.result.n_incidents, "cells": len(cells),
            "classes": {str(k): v for k, v in advice.result.class_counts().items()},
            "hot_cells": sorted(str(c) for c in hot["cell_id"]),
            "text": f"{advice.result.n_incidents} 起事件，{len(hot)} 个热点网格"}


STEP_FUNCTIONS: dict[str, Callable[[str], dict]] = {"walking": _walking, "coverage": _coverage,
                                                     "hotspots": _hotspots}


def run_step(code: str, step: str, db: dict) -> dict:
    """One step of one district, in a Dask worker; raises DistrictTaskError when it fails."""
    started = time.perf_counter()
    bootstrap(db)
    from django.db import connection

    try:
        summary = STEP_FUNCTIONS[step](code)
    except Exception as e:  # reported to the caller (with its reason), which may retry
        logger.exception("district %s, step %s failed", code, step)
        raise DistrictTaskError(f"{e}" or type(e).__name__, time.perf_counter() - started) from None
    finally:
        connection.close()
    return {**summary, "seconds": time.perf_counter() - started, "worker": _worker_address()}


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return ""


def district_codes(codes: Sequence[str] | None = None) -> list[str]:
    """The codes to work on: ``codes`` checked to exist, or every district, in code order."""
    from layers.grids.models import District

    known = list(District.objects.order_by("code").values_list("code", flat=True))
    if codes is None:
        return known
    unknown = sorted(set(codes) - set(known))
    if unknown:
        msg = f"区划代码不存在：{'、'.join(c[:12] for c in unknown[:10])}"
        raise ValueError(msg)
    return [c for c in known if c in set(codes)]


def check_steps(steps: Sequence[str]) -> list[str]:
    """``steps`` in their working order; an unknown one is refused with its name."""
    unknown = [s for s in steps if s not in STEPS]
    if unknown or not steps:
        msg = f"步骤应为 {'、'.join(STEPS)} 中的一个或几个；收到的是 {'、'.join(s[:20] for s in unknown) or '无'}"
        raise ValueError(msg)
    return [s for s in STEPS if s in steps]


def run_per_district(steps: Sequence[str], codes: Sequence[str] | None = None, *, workers: int | None = None,
                     scheduler: str | None = None, retries: int = 1,
                     on_progress: Callable[[DistrictOutcome], None] | None = None) -> list[DistrictOutcome]:
    """Run ``steps`` (of :data:`STEPS`) for the districts ``codes`` (None: all), one Dask task
    per district and step; returns one outcome per district and step, in code and step order.

    ``scheduler`` None reads settings.GRIDMAP_DASK_SCHEDULER; empty starts a LocalCluster of
    ``workers`` processes (default: as many as districts, at most the CPUs; threads of this
    process when it is itself a daemon, e.g. the background queue's worker, which may not
    have children). A failed task is submitted again up to ``retries`` times. The workers read
    what the caller has committed: call it outside a transaction."""
    from django.conf import settings

    steps = check_steps(steps)
    codes = district_codes(codes)
    if scheduler is None:
        scheduler = settings.GRIDMAP_DASK_SCHEDULER
    if not codes:
        return []
    from distributed import Client, as_completed

    quiet = logging.getLogger("distributed")  # its INFO lines drown the per-district report
    quiet.setLevel(max(quiet.getEffectiveLevel(), logging.WARNING))
    db = database_settings()
    outcomes: dict[tuple[str, str], DistrictOutcome] = {}
    with _cluster(scheduler, workers or min(len(codes), os.cpu_count() or 1)) as address, \
            Client(address) as client:
        running = as_completed()
        tasks: dict = {}
        spent: dict[tuple[str, str], float] = {}

        def submit(code: str, step: str, attempt: int) -> None:
            key = f"gridmap-{step}-{code}-{attempt}-{uuid.uuid4().hex[:8]}"
            future = client.submit(run_step, code, step, db, key=key, pure=False)
            tasks[future.key] = (code, step, attempt)
            running.add(future)

        def finish(outcome: DistrictOutcome) -> None:
            outcomes[(outcome.code, outcome.step)] = outcome
            if on_progress is not None:
                on_progress(outcome)
            if outcome.step == "walking" and "coverage" in steps:
                if outcome.ok:
                    submit(outcome.code, "coverage", 1)
                else:
                    finish(DistrictOutcome(outcome.code, "coverage", False, 0.0, 0,
                                           f"步行时间未算成，未统计覆盖（{outcome.error}）"))

        for code in codes:
            for step in steps:
                if step != "coverage" or "walking" not in steps:
                    submit(code, step, 1)
        for future in running:
            code, step, attempt = tasks.pop(future.key)
            try:
                summary = future.result()
            except Exception as e:  # the task's failure (DistrictTaskError) or a lost worker
                seconds = float(e.args[1]) if isinstance(e, DistrictTaskError) and len(e.args) > 1 else 0.0
                spent[(code, step)] = spent.get((code, step), 0.0) + seconds
                if attempt <= retries:
                    logger.info("district %s, step %s: attempt %d failed, retrying", code, step, attempt)
                    submit(code, step, attempt + 1)
                    continue
                reason = str(e.args[0]) if isinstance(e, DistrictTaskError) else f"{type(e).__name__}: {e}"
                finish(DistrictOutcome(code, step, False, round(spent[(code, step)], 3), attempt, reason[:500]))
                continue
            seconds = spent.get((code, step), 0.0) + float(summary.pop("seconds", 0.0))
            finish(DistrictOutcome(code, step, True, round(seconds, 3), attempt, "", summary))
    order = {s: k for k, s in enumerate(STEPS)}
    return sorted(outcomes.values(), key=lambda o: (o.code, order[o.step]))


class _cluster:
    """The scheduler address to use: ``scheduler``, or a LocalCluster started (and closed) here."""

    def __init__(self, scheduler: str, workers: int) -> None:
        self.scheduler, self.workers, self.local = scheduler, max(1, int(workers)), None

    def __enter__(self) -> str:
        if self.scheduler:
            return self.scheduler
        import multiprocessing

        from distributed import LocalCluster

        processes = not multiprocessing.current_process().daemon
        self.local = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=processes,
                                  dashboard_address=":0", silence_logs=logging.ERROR)
        return self.local.scheduler_address

    def __exit__(self, *exc) -> None:
        if self.local is not None:
            self.local.close()


def progress_text(outcomes: Sequence[DistrictOutcome], total: int, steps: Sequence[str],
                  names: dict[str, str]) -> tuple[int, str]:
    """(districts with every step finished, "n / N 个区" with each failed district named in
    Chinese and its step): what the Job's progress shows."""
    finished: dict[str, int] = {}
    failed = []
    for o in outcomes:
        finished[o.code] = finished.get(o.code, 0) + 1
        if not o.ok:
            failed.append(f"{names.get(o.code, o.code)}（{STEP_NAMES_ZH[o.step]}：{o.error[:80]}）")
    done = sum(1 for n in finished.values() if n >= len(steps))
    text = f"{done} / {total} 个区"
    if failed:
        text += "；失败：" + "、".join(failed)
    return done, text[:500]
