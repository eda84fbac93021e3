"""The patrol analysis cached until its data change.

Hot spots, density, the emerging pattern and the route take seconds on a district's
incidents; patrol officers open the same filters again and again. A result is kept under
its filter and the database's data version (sql/0001_data_version.sql: any write to
incidents, categories, grids, communities or the walk network draws a new one), so it is
recomputed exactly when something it reads has changed — whichever path wrote it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
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


def filter_key(flt: IncidentFilter) -> str:
    """The filter as text, its window to the minute: "the last 30 days" asked twice within a
    minute is the same question (the window's ends move by under a minute)."""
    def part(value: Any) -> str:
        if isinstance(value, dt.datetime):
            return value.replace(second=0, microsecond=0).isoformat()
        return repr(value)

    return "|".join(f"{f.name}={part(getattr(flt, f.name))}" for f in dataclasses.fields(flt))


def _key(what: str, flt: IncidentFilter | None, options: dict[str, Any]) -> str:
    text = f"{what}|{filter_key(flt) if flt is not None else ''}|{sorted(options.items())!r}|v{data_version()}"
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
    """Keep ``value`` for ``what`` and ``options`` until the data change (see :func:`peek`)."""
    cache.set(_key(what, None, options), value, timeout=TIMEOUT_S)
