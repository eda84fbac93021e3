"""The walk network from PostGIS as a :class:`~layers.facilities.analysis.network_graph.WalkGraph`.

Coordinates are projected with pyproj to settings.GRIDMAP_METRIC_SRID (UTM 48N for
Chengdu) so that snapping and buffers work in metres. The graph is cached per process and
keyed by the network state row (its version and the transaction that last wrote it), so a
network edit, even one rolled back and redone, is never served from a stale cache.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from pyproj import Transformer

from layers.facilities.analysis.network_graph import WalkGraph

WGS84 = 4326


@lru_cache(maxsize=4)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def lonlat_to_metric(lonlat: np.ndarray) -> np.ndarray:
    """(n, 2) lon/lat degrees → (n, 2) metres in settings.GRIDMAP_METRIC_SRID."""
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    x, y = _transformer(WGS84, settings.GRIDMAP_METRIC_SRID).transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def geoms_to_metric(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lonlat_to_metric)


def geoms_to_wgs84(geoms: np.ndarray) -> np.ndarray:
    def back(xy: np.ndarray) -> np.ndarray:
        x, y = _transformer(settings.GRIDMAP_METRIC_SRID, WGS84).transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, back)


_cache: dict[tuple, WalkGraph | None] = {}


def network_key() -> tuple:
    """What identifies the loaded network: (version, writing transaction, edge count)."""
    with connection.cursor() as cur:
        cur.execute("SELECT version, xmin::text FROM facilities_networkstate WHERE id = 1")
        row = cur.fetchone() or (0, "")
        cur.execute("SELECT count(*) FROM facilities_walkedge")
        return (*row, cur.fetchone()[0])


def load_graph() -> WalkGraph | None:
    """The current walk network in metres, or None when no network is loaded."""
    key = network_key()
    if key in _cache:
        return _cache[key]
    with connection.cursor() as cur:
        cur.execute("SELECT id, source, target, cost, reverse_cost, ST_AsBinary(geom) FROM facilities_walkedge ORDER BY id")
        rows = cur.fetchall()
    graph = None
    if rows:
        ids, source, target, cost, reverse, wkb = zip(*rows, strict=True)
        geoms = geoms_to_metric(shapely.from_wkb([bytes(w) for w in wkb]))
        graph = WalkGraph.from_edges(np.array(ids), np.array(source), np.array(target), np.array(cost),
                                     np.array(reverse), geoms, version=int(key[0]))
    _cache.clear()
    _cache[key] = graph
    return graph


def points_lonlat(table_sql: str, params: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, (n, 2) lon/lat) of a point query ``SELECT id, ST_X(geom), ST_Y(geom) ...``."""
    with connection.cursor() as cur:
        cur.execute(table_sql, params or [])
        rows = cur.fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2))
    data = np.array(rows, dtype=float)
    return data[:, 0].astype(np.int64), data[:, 1:3]
