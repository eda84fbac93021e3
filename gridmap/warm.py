"""Warm a long-lived process (a gunicorn worker, a background worker) before its first request.

``warm_process()`` imports what the pages and jobs use, then freezes the heap as it stands
(``gc.freeze``): the hundreds of thousands of objects of Django, numpy, pandas, shapely and
the analysis stack live as long as the process, and the garbage collector's full passes no
longer walk them. Without it a full pass landed in about one hot-spot analysis in three and
added 0.1–0.2 s to a 0.6 s analysis of a million incidents (`bench/hotspots.py`).
"""

from __future__ import annotations

import gc
import importlib

# Imported now, while the process starts, not in the first request each worker serves: the
# analysis stack (numpy, scipy, pandas, the patrol classes a cached answer is unpickled into)
# costs over a second of CPU per process.
MODULES = ("gridmap.urls", "layers.patrols.advice", "layers.patrols.hotspots", "layers.patrols.route",
           "layers.maps.patrol", "layers.maps.planner", "layers.maps.worker",
           "layers.facilities.walking.reports", "layers.api.views", "layers.api.analysis_views")


def warm_process() -> None:
    """Import :data:`MODULES` and move every object alive now out of the collector's reach."""
    for module in MODULES:
        importlib.import_module(module)
    gc.collect()  # what is garbage already goes now, not frozen with the rest
    gc.freeze()
