"""The walk network from PostGIS as a :class:`~layers.facilities.analysis.network_graph.WalkGraph`.

Coordinates are projected with pyproj to the metric CRS of the district the work is for
(layers.grids.crs: the CGCS2000 Gauss–Krüger zone of the district) so that snapping and
buffers work in metres; work on points of several districts in different zones is done
one zone at a time (:func:`by_metric_srid`). The graph is cached per process and keyed by
the network state row (its version and the transaction that last wrote it) and the CRS, so
a network edit, even one rolled back and redone, is never served from a stale cache.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from django.db import connection
from psycopg2 import sql
from pyproj import Transformer

from layers.facilities.analysis.network_graph import WalkGraph
from layers.grids.crs import metric_srids_for_lonlat

WGS84 = 4326


@lru_cache(maxsize=4)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def lonlat_to_metric(lonlat: np.ndarray, srid: int) -> np.ndarray:
    """(n, 2) lon/lat degrees → (n, 2) metres in the metric CRS EPSG ``srid``."""
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    x, y = _transformer(WGS84, srid).transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def geoms_to_metric(geoms: np.ndarray, srid: int) -> np.ndarray:
    """WGS84 shapely geometries → the same in metres, EPSG ``srid``."""
    return shapely.transform(geoms, lambda xy: lonlat_to_metric(xy, srid))


def geoms_to_wgs84(geoms: np.ndarray, srid: int) -> np.ndarray:
    """Shapely geometries in metres (EPSG ``srid``) → WGS84 degrees."""
    def back(xy: np.ndarray) -> np.ndarray:
        x, y = _transformer(srid, WGS84).transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, back)


def by_metric_srid(lonlat: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Points (n, 2 lon/lat degrees) split by the metric CRS of their district
    (layers.grids.crs): (EPSG code, indexes of the points), one pair per CRS (a single pair,
    found without looking at the points, when every district shares one)."""
    srids = metric_srids_for_lonlat(lonlat)
    return [(int(s), np.flatnonzero(srids == s)) for s in np.unique(srids)]


_cache: dict[tuple, WalkGraph | None] = {}
_CACHED_CRS = 4  # graphs of this many metric CRSs are kept (one per zone in use)


def network_key() -> tuple:
    """What identifies the loaded network: (version, writing transaction, edge count)."""
    with connection.cursor() as cur:
        cur.execute("SELECT version, xmin::text FROM facilities_networkstate WHERE id = 1")
        row = cur.fetchone() or (0, "")
        cur.execute("SELECT count(*) FROM facilities_walkedge")
        return (*row, cur.fetchone()[0])


def load_graph(srid: int) -> WalkGraph | None:
    """The current walk network in metres (EPSG ``srid``), or None when no network is loaded."""
    network = network_key()
    key = (*network, srid)
    if key in _cache:
        return _cache[key]
    with connection.cursor() as cur:
        cur.execute("SELECT id, source, target, cost, reverse_cost, ST_AsBinary(geom) FROM facilities_walkedge ORDER BY id")
        rows = cur.fetchall()
    graph = None
    if rows:
        ids, source, target, cost, reverse, wkb = zip(*rows, strict=True)
        geoms = geoms_to_metric(shapely.from_wkb([bytes(w) for w in wkb]), srid)
        graph = WalkGraph.from_edges(np.array(ids), np.array(source), np.array(target), np.array(cost),
                                     np.array(reverse), geoms, version=int(network[0]))
    for old in [k for k in _cache if k[:-1] != network]:
        del _cache[old]  # another network state: never served again
    while len(_cache) >= _CACHED_CRS:
        del _cache[next(iter(_cache))]
    _cache[key] = graph
    return graph


def points_lonlat(table_sql: str | sql.Composable, params: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, (n, 2) lon/lat) of a point query ``SELECT id, ST_X(geom), ST_Y(geom) ...``."""
    with connection.cursor() as cur:
        cur.execute(table_sql, params or [])
        rows = cur.fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2))
    data = np.array(rows, dtype=float)
    return data[:, 0].astype(np.int64), data[:, 1:3]
