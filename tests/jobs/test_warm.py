"""Web and background workers are warmed at their start (gridmap.warm)."""

from __future__ import annotations

import gc
import sys

from django_q.signals import post_spawn

from gridmap import warm


def test_each_background_worker_process_is_warmed_when_django_q_spawns_it(monkeypatch):
    calls = []
    monkeypatch.setattr(warm, "warm_process", lambda: calls.append("warmed"))
    post_spawn.send(sender="django_q", proc_name="Process-1")
    assert calls == ["warmed"]


def test_warming_imports_the_analysis_stack_and_freezes_the_heap_out_of_the_collector():
    try:
        gc.unfreeze()
        warm.warm_process()
        assert all(module in sys.modules for module in warm.MODULES)
        # Django, numpy, pandas and the analysis modules: far more than a bare interpreter's objects.
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()  # the rest of the suite runs as before
