"""The patrol analysis cached until its data change.

Hot spots, density, the emerging pattern and the route take seconds on a district's
incidents; patrol officers open the same filters again and again. A result is kept under
its filter and the database's data version (sql/0001_data_version.sql: any write to
incidents, categories, grids, communities or the walk network draws a new one), so it is
recomputed exactly when something it reads has changed — whichever path wrote it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection

from layers.patrols.filters import IncidentFilter

T = TypeVar("T")
TIMEOUT_S = 6 * 3600


def data_version() -> int:
    """The current value of the data version (grows with every write the analysis reads)."""
    with connection.cursor() as cur:
        cur.execute("SELECT last_value FROM gridmap_patrol_data_version")
        return int(cur.fetchone()[0])


def versions() -> tuple[int, int]:
    """(the data version, the layout version: categories, grids, communities, walk network)."""
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT last_value FROM gridmap_patrol_data_version),"
                    " (SELECT last_value FROM gridmap_patrol_layout_version)")
        data, layout = cur.fetchone()
    return int(data), int(layout)


def filter_key(flt: IncidentFilter) -> str:
    """The filter as text, its window to the minute: "the last 30 days" asked twice within a
    minute is the same question (the window's ends move by under a minute)."""
    def part(value: Any) -> str:
        if isinstance(value, dt.datetime):
            return value.replace(second=0, microsecond=0).isoformat()
        return repr(value)

    return "|".join(f"{f.name}={part(getattr(flt, f.name))}" for f in dataclasses.fields(flt))


def canonical(value: Any) -> str:
    """``value`` (a question's options or filter) as key text that survives the trip through a
    job's JSON parameters: PostgreSQL's jsonb reorders the keys of nested objects and turns
    tuples into lists, and the worker must store its answer under the key the page reads."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _key(what: str, flt: IncidentFilter | None, options: dict[str, Any], version: int | None = None) -> str:
    version = data_version() if version is None else version
    text = f"{what}|{filter_key(flt) if flt is not None else ''}|{canonical(options)}|v{version}"
    return "gridmap:patrol:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def cached(what: str, flt: IncidentFilter, compute: Callable[[], T], **options: Any) -> T:
    """``compute()``'s result for ``what`` and ``flt`` (and ``options``), from the cache when
    the data have not changed since it was computed."""
    key = _key(what, flt, options)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=TIMEOUT_S)
    return value


def peek(what: str, **options: Any) -> Any:
    """What :func:`put` stored for ``what`` and ``options`` at the current data version, or
    None: the page reads results the background worker computed, and never computes them."""
    return cache.get(_key(what, None, options))


def put(what: str, value: Any, **options: Any) -> None:
    """Keep ``value`` for ``what`` and ``options`` until the data change (see :func:`peek`),
    and as the latest answer of that question (see :func:`peek_recent`)."""
    from django.utils import timezone

    version, layout = versions()
    cache.set(_key(what, None, options, version), value, timeout=TIMEOUT_S)
    cache.set(_latest_put_key(what, options), (timezone.now(), value, layout), timeout=TIMEOUT_S)


def _latest_put_key(what: str, options: dict[str, Any]) -> str:
    text = f"{what}|{canonical(options)}"
    return "gridmap:patrol:latest-put:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def peek_recent(what: str, **options: Any) -> tuple[Any, bool]:
    """(what :func:`put` stored for ``what`` and ``options``, whether it is at the current data):
    the answer at the current data version; else the latest one if at most
    settings.GRIDMAP_PATROL_STALE_SECONDS old and no grid, category or the network changed
    since; else (None, False). The caller asks the worker for a new one when not current:
    on a busy day every report draws a new version, and the page would otherwise never
    have an answer to show."""
    from django.utils import timezone

    version, layout = versions()
    if (value := cache.get(_key(what, None, options, version))) is not None:
        return value, True
    latest = cache.get(_latest_put_key(what, options))
    if latest is not None and latest[2] == layout and _within_stale_window(latest[0], timezone.now()):
        return latest[1], False
    return None, False


def _stale_seconds() -> float:
    """How far behind the latest writes an answer may be shown (GRIDMAP_PATROL_STALE_SECONDS)."""
    from django.conf import settings

    return float(getattr(settings, "GRIDMAP_PATROL_STALE_SECONDS", 60))


def _within_stale_window(as_of: dt.datetime, now: dt.datetime) -> bool:
    """May an answer computed at ``as_of`` still be shown at ``now`` (data written since)?"""
    stale_s = _stale_seconds()
    return stale_s > 0 and 0 <= (now - as_of).total_seconds() <= stale_s


# --- results at most a minute old, refreshed by the background worker ---------------------------
# Every report draws a new data version, so on a busy day the page above would recompute the
# analysis (seconds of CPU) on nearly every visit. recent() serves the last result of the same
# question while it is younger than settings.GRIDMAP_PATROL_STALE_SECONDS, has the worker
# recompute it, and says on the page what moment it shows.
REFRESH_AFTER_S = 10.0
"""A result younger than this is served as it is even when data changed: the worker
recomputes a busy question at most this often."""


@dataclasses.dataclass(frozen=True)
class Answer:
    """A cached analysis: ``value``, the moment its data were read (``as_of``) and whether
    nothing it reads has been written since (``fresh``)."""

    value: Any
    as_of: dt.datetime
    fresh: bool


def _compute(what: str, flt: IncidentFilter, options: dict[str, Any]) -> Any:
    from layers.patrols import hotspots
    from layers.patrols.advice import patrol_advice
    from layers.patrols.counts import incident_points

    if what == "advice":
        from layers.patrols.start import StartPoint

        start = options.get("start")  # a dict (JSON for the worker's job)
        return patrol_advice(flt, cell=options["cell"], rank=options["rank"],
                             start=StartPoint(**start) if start else None,
                             return_to_start=bool(options.get("closed")), dwell_minutes=options.get("dwell"))
    if what == "emerging":
        return hotspots.emerging(flt, kind=options["cell"], bin_kind="week", n_bins=10)
    if what == "density":
        return hotspots.density_surface(flt)
    if what == "points":
        return incident_points(flt, limit=1000)
    msg = f"unknown patrol analysis {what!r}"
    raise ValueError(msg)


def _relative(flt: IncidentFilter, now: dt.datetime) -> bool:
    """"The last N days" (its end is now, give or take the two minutes a request may take)."""
    return flt.since is not None and flt.until is not None and abs((now - flt.until).total_seconds()) < 120


def filter_params(flt: IncidentFilter, now: dt.datetime) -> dict[str, Any]:
    """The filter as JSON for the worker; a window ending now is sent as its length in seconds."""
    params = {f.name: getattr(flt, f.name) for f in dataclasses.fields(flt)}
    for name in ("categories", "statuses", "weekdays", "hours"):
        params[name] = list(params[name]) if params[name] is not None else None
    if _relative(flt, now):
        params["last_s"] = (flt.until - flt.since).total_seconds()
        params["since"] = params["until"] = None
    else:
        params["since"] = flt.since.isoformat() if flt.since else None
        params["until"] = flt.until.isoformat() if flt.until else None
    return params


def filter_from_params(params: dict[str, Any], now: dt.datetime) -> IncidentFilter:
    """The inverse of :func:`filter_params`; a relative window ends at ``now``."""
    values = dict(params)
    last_s = values.pop("last_s", None)
    for name in ("since", "until"):
        values[name] = dt.datetime.fromisoformat(values[name]) if values[name] else None
    if last_s is not None:
        values["since"], values["until"] = now - dt.timedelta(seconds=last_s), now
    for name in ("categories", "statuses", "weekdays"):
        values[name] = tuple(values[name])
    values["hours"] = tuple(values["hours"]) if values["hours"] is not None else None
    return IncidentFilter(**values)


def _keys(what: str, flt: IncidentFilter, options: dict[str, Any], version: int, now: dt.datetime) -> tuple[str, str]:
    """(the key of this exact question at this data version, the key of its latest answer)."""
    opts = canonical(options)
    exact = f"{what}|{filter_key(flt)}|{opts}|v{version}"
    shape = f"{what}|{canonical(filter_params(flt, now))}|{opts}"
    return ("gridmap:patrol:" + hashlib.sha256(exact.encode()).hexdigest()[:40],
            "gridmap:patrol:latest:" + hashlib.sha256(shape.encode()).hexdigest()[:40])


def compute_and_store(what: str, flt: IncidentFilter, options: dict[str, Any], *,
                      now: dt.datetime | None = None) -> Answer:
    """Compute ``what`` now and keep it as this question's exact and latest answer."""
    from django.utils import timezone

    now = now or timezone.now()
    version, layout = versions()  # read before the data: a write meanwhile makes the result stale
    exact, latest = _keys(what, flt, options, version, now)
    value = _compute(what, flt, options)
    cache.set(exact, (now, value), timeout=TIMEOUT_S)
    cache.set(latest, (now, version, value, layout), timeout=TIMEOUT_S)
    return Answer(value, now, True)


def refresh_now(what: str, params: dict[str, Any], options: dict[str, Any]) -> Answer:
    """The worker's side of :func:`recent`: the question ``params`` (:func:`filter_params`)
    recomputed at the current data, unless a page did it meanwhile."""
    from django.utils import timezone

    now = timezone.now()
    flt = filter_from_params(params, now)
    exact, latest = _keys(what, flt, options, data_version(), now)
    with _one_at_a_time(latest):
        if (hit := cache.get(exact)) is not None:
            return Answer(hit[1], hit[0], True)
        return compute_and_store(what, flt, options, now=now)


def recent(what: str, flt: IncidentFilter, **options: Any) -> Answer:
    """``what`` ("advice" with cell and rank, "emerging" with cell, "density", "points") for
    ``flt``: the cached answer at the current data version; else the latest answer of the
    same question if only incidents were written since and it is at most
    settings.GRIDMAP_PATROL_STALE_SECONDS old (the worker is
    asked to recompute it); else computed here — unless another process is computing it right
    then: the older answer, with its time, is shown meanwhile."""
    from django.utils import timezone

    now = timezone.now()
    version, layout = versions()
    exact, latest = _keys(what, flt, options, version, now)
    if (hit := cache.get(exact)) is not None:
        return Answer(hit[1], hit[0], True)
    stale_s = _stale_seconds()
    last = cache.get(latest) if stale_s > 0 else None
    if last is not None and last[3] != layout:  # a grid, category or the network changed: never shown
        last = None
    if last is not None:
        as_of, last_version, value, _layout = last
        if _within_stale_window(as_of, now):
            if last_version != version and (now - as_of).total_seconds() >= min(REFRESH_AFTER_S, stale_s / 2):
                from layers.jobs.services import submit

                submit("patrols.refresh", key=latest.rsplit(":", 1)[1], label="更新巡防热点分析",
                       params={"what": what, "filter": filter_params(flt, now), "options": options})
            return Answer(value, as_of, last_version == version)
    # Older than the window: recomputed here, one process at a time; while another one (the
    # worker, another request) is at it, its predecessor is shown with its time rather than
    # holding this web thread (and the connections queued behind it) for seconds.
    with _one_at_a_time(latest, wait=last is None) as mine:
        if (hit := cache.get(exact)) is not None:
            return Answer(hit[1], hit[0], True)
        if not mine:
            return Answer(last[2], last[0], False)
        return compute_and_store(what, flt, options, now=now)


@contextlib.contextmanager
def _one_at_a_time(key: str, *, wait: bool = True) -> Iterator[bool]:
    """Hold a PostgreSQL advisory lock named after ``key`` (session level: it also holds in
    autocommit, and across gunicorn workers, threads and the background worker); with
    ``wait`` False, yield False at once when another session holds it."""
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s), true" if wait else "SELECT pg_try_advisory_lock(%s)", [number])
        mine = bool(cur.fetchone()[-1])
    if not mine:
        yield False
        return
    try:
        yield True
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [number])
