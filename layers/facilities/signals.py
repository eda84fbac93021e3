"""After a commit that changed facilities, households or the walk network through Django,
recompute what the database triggers queued (layers.facilities.walking.refresh.refresh_pending).

The triggers decide *what* is affected (on every write path); these hooks only decide
*when* to recompute. Every save schedules one on-commit call; the first call of a
transaction takes the whole queue, the others find it empty (one cheap query). A loader
that saves rows one by one outside a transaction wraps itself in :func:`deferred_refresh`
(or uses bulk_create / COPY, which send no signals) and runs ``build_circles`` at the end.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from layers.facilities.models import Facility, WalkEdge
from layers.people.models import Household

logger = logging.getLogger(__name__)
_state = threading.local()


@contextmanager
def deferred_refresh() -> Iterator[None]:
    """Within this block, saves do not trigger a refresh (the queue keeps the work)."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def _run_refresh() -> None:
    from layers.facilities.walking.refresh import request_refresh

    request_refresh()


def schedule_refresh(sender, **kwargs) -> None:
    if not settings.GRIDMAP_ACCESS_AUTO_REFRESH or getattr(_state, "depth", 0):
        return
    # robust: a failing refresh is logged, the saved data stays committed, the queue keeps the work.
    transaction.on_commit(_run_refresh, robust=True)


def connect() -> None:
    for model in (Facility, Household, WalkEdge):
        post_save.connect(schedule_refresh, sender=model, dispatch_uid=f"access_refresh_save_{model.__name__}")
        post_delete.connect(schedule_refresh, sender=model, dispatch_uid=f"access_refresh_delete_{model.__name__}")
