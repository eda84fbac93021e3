"""Incidents → counts per cell (网格 or regular hexagon), filtered, aggregated in SQL.

This is the query layer of the hot spot analysis (it reads the database; the statistics
in ``hotspots``/``emerging``/``density`` stay pure). Every value reaches SQL as a bound
parameter.

Filters: :class:`incident_filter.IncidentFilter` (time window, categories, statuses, local
hours wrapping midnight, weekdays, district), re-exported here.

Cells
    ``grid``: every grid of the study area, with a count of 0 where nothing happened (a
    quiet grid is a real observation for Gi*). ``hex``: the hexagons of ``cells.hexagon_cells``
    (size ``size_m``, lattice anchored at the origin of the district's metric CRS, so
    the (q, r) ids are stable between runs) that share area with the union of the
    communities; ``area_m2`` is the part of the hexagon inside that union, the area used
    for PAI. Incidents' stored WGS84 coordinates come by binary COPY straight into numpy,
    are projected by pyproj (bit for bit PostGIS's ST_Transform: tests/patrols/test_hex_fetch.py)
    and put in hexagons by ``cells.hex_axial_coords`` (bench/hotspots.py times it).

Every frame is in the metric CRS of the study area's district (layers.grids.crs; a study
area of several districts in different zones is refused: choose one), one row per cell,
index 0..n-1 (the order of the Gi* weights), with columns ``cell_id`` (grid code or
"q:r"), ``name``, ``community``, ``area_m2``, ``count`` and the geometry.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from django.conf import settings
from django.db import connection
from psycopg2 import sql

from layers.grids.crs import FIRST_SRID, district_metric_srid, district_srids, override_srid
from layers.patrols.binary_copy import CopyRows, copy_parts
from layers.patrols.filters import (
    DEFAULT_STATUSES,
    WEEKDAYS_ZH,
    IncidentFilter,
    IncidentQueryError,
    check_categories,
    local_zone,
    parse_hours,
    parse_weekdays,
)
from layers.patrols.stats.cells import hex_axial_coords, hexagon_cells

__all__ = [
    "BIN_KINDS",
    "CELL_KINDS",
    "DEFAULT_STATUSES",
    "WEEKDAYS_ZH",
    "IncidentFilter",
    "IncidentQueryError",
    "bin_edges",
    "cells",
    "check_categories",
    "count_incidents",
    "count_incidents_by_bin",
    "grid_cells",
    "hex_cells",
    "incident_points",
    "local_zone",
    "parse_hours",
    "parse_weekdays",
    "study_area_m",
]

CELL_KINDS = ("grid", "hex")
BIN_KINDS = ("week", "month")


# --- cells -------------------------------------------------------------------------------------


def _metric_srid(district: str | None) -> int:
    """EPSG code of the metric CRS of the study area: the district's, or the one all share
    (an unknown district has no cells: any stored CRS does)."""
    srids = district_srids()
    if district:
        try:
            return district_metric_srid(district)
        except LookupError:
            return srids[0] if srids else int(override_srid() or FIRST_SRID)
    if len(srids) > 1:
        msg = (f"各区的投影坐标系不同 (EPSG:{', '.join(map(str, srids))}), 请选择一个区 (--district) "
               "(the districts lie in different zones: analyse one district at a time)")
        raise IncidentQueryError(msg)
    return srids[0] if srids else int(override_srid() or FIRST_SRID)


def _scope_sql(district: str | None) -> tuple[sql.Composable, list]:
    """The condition on communities ``c`` that keeps those of ``district`` (all when None)."""
    if not district:
        return sql.SQL("TRUE"), []
    return (
        sql.SQL("c.street_id IN (SELECT s.id FROM grids_street s JOIN grids_district d ON d.id = s.district_id"
                " WHERE d.code = %s)"),
        [district],
    )


def grid_cells(*, district: str | None = None) -> gpd.GeoDataFrame:
    """Every grid of the study area in the metric CRS, ordered by code (columns: see module doc)."""
    scope, params = _scope_sql(district)
    srid = _metric_srid(district)
    query = sql.SQL("""
        SELECT g.code, g.name, c.name, ST_AsBinary(ST_Transform(g.geom, %s))
          FROM grids_grid g JOIN grids_community c ON c.id = g.community_id
         WHERE {scope} ORDER BY g.code
    """).format(scope=scope)
    with connection.cursor() as cur:
        cur.execute(query, [srid, *params])
        rows = cur.fetchall()
    geoms = shapely.from_wkb([bytes(r[3]) for r in rows]) if rows else np.array([], dtype=object)
    frame = gpd.GeoDataFrame(
        {"cell_id": [r[0] for r in rows], "name": [r[1] for r in rows], "community": [r[2] for r in rows]},
        geometry=geoms, crs=srid,
    )  # fmt: skip
    frame["area_m2"] = frame.geometry.area
    return frame


def study_area_m(*, district: str | None = None) -> shapely.Geometry | None:
    """Union of the communities of the study area in the metric CRS (None when there are none)."""
    scope, params = _scope_sql(district)
    query = sql.SQL("SELECT ST_AsBinary(ST_Transform(ST_Union(c.geom), %s)) FROM grids_community c WHERE {scope}")
    with connection.cursor() as cur:
        cur.execute(query.format(scope=scope), [_metric_srid(district), *params])
        wkb = cur.fetchone()[0]
    return shapely.from_wkb(bytes(wkb)) if wkb else None


def hex_cells(*, size_m: float, district: str | None = None) -> gpd.GeoDataFrame:
    """The hexagons of ``size_m`` that share area with the study area (columns: module doc)."""
    area = study_area_m(district=district)
    if area is None or area.is_empty:
        return gpd.GeoDataFrame(
            {"cell_id": [], "name": [], "community": [], "q": [], "r": [], "area_m2": []},
            geometry=[], crs=_metric_srid(district),
        )  # fmt: skip
    lattice = hexagon_cells(area.bounds, size_m=size_m)
    shapely.prepare(area)
    # Only the hexagons on the area's edge are cut (a tenth of a hot-spot analysis when every
    # hexagon was): the others are wholly inside or wholly outside.
    whole = shapely.contains_properly(area, lattice.polygons)
    cut = ~whole & shapely.intersects(area, lattice.polygons)
    inside_m2 = np.zeros(len(lattice))
    inside_m2[whole] = shapely.area(lattice.polygons[whole])
    inside_m2[cut] = shapely.area(shapely.intersection(lattice.polygons[cut], area))
    keep = inside_m2 > 1e-6 * lattice.area_m2
    q, r = lattice.q[keep], lattice.r[keep]
    return gpd.GeoDataFrame(
        {"cell_id": [f"{a}:{b}" for a, b in zip(q.tolist(), r.tolist(), strict=True)],
         "name": [f"六边形 {a}:{b}" for a, b in zip(q.tolist(), r.tolist(), strict=True)],
         "community": "", "q": q, "r": r, "area_m2": inside_m2[keep]},
        geometry=lattice.polygons[keep], crs=_metric_srid(district),
    )  # fmt: skip


def cells(kind: str, *, size_m: float | None = None, district: str | None = None) -> gpd.GeoDataFrame:
    """Grid cells or hexagons (``size_m`` default settings.GRIDMAP_HEX_SIZE_M)."""
    if kind == "grid":
        return grid_cells(district=district)
    if kind == "hex":
        return hex_cells(size_m=size_m or settings.GRIDMAP_HEX_SIZE_M, district=district)
    msg = f"统计单元无效：应为网格或六边形；收到的是“{str(kind)[:20]}”"
    raise IncidentQueryError(msg)


# --- counting ----------------------------------------------------------------------------------

# Incidents of the filter as fixed-width binary COPY rows (float8 lon, float8 lat of the stored
# WGS84 point[, int4 time bin]), read straight into numpy part by part while the COPY runs
# (layers.patrols.binary_copy): no Python object per point and no ST_Transform per row. Points
# are projected by project_lonlat_m (or, should pyproj not be PostGIS bit for bit, by
# ST_Transform in the COPY) and put in hexagons by cells.hex_axial_coords, the one home of the
# hexagon rounding.
_HEX_POINTS_SQL = "COPY (SELECT {x}, {y}{bin} FROM incidents_incident i WHERE {where}) TO STDOUT (FORMAT binary)"
_LONLAT_FIELDS = [("lon", ">f8"), ("lat", ">f8")]
_BIN_FIELDS = [("bin", ">i4")]


def _lonlat_rows(copy_out: memoryview, *, with_bin: bool) -> np.ndarray:
    """The rows of a whole PostgreSQL binary COPY of (float8, float8[, int4]) without NULLs as
    a structured big-endian array (fields lon, lat in degrees[, bin])."""
    parser = CopyRows(_LONLAT_FIELDS + (_BIN_FIELDS if with_bin else []))
    rows = parser.feed(bytes(copy_out))
    parser.finish()
    return rows


@functools.lru_cache(maxsize=16)
def _to_metric(srid: int) -> pyproj.Transformer:
    """pyproj's transformation from WGS84 (lon, lat degrees) to EPSG ``srid`` (metres)."""
    return pyproj.Transformer.from_crs(4326, srid, always_xy=True)


@functools.lru_cache(maxsize=16)
def pyproj_is_postgis(srid: int) -> bool:
    """Whether pyproj projects to EPSG ``srid`` exactly as this database's ST_Transform does,
    checked once per process on 1,000 points of the CRS's area of use. Bit for bit, not approximately: a
    point on a hexagon edge must fall on the same side whichever library projected it. When
    they differ (another PROJ version or pipeline), hexagon counts are projected in PostGIS."""
    area = pyproj.CRS.from_epsg(srid).area_of_use
    west, south, east, north = area.bounds if area else (73.0, 18.0, 135.0, 54.0)  # else: China
    rng = np.random.default_rng(srid)
    lon, lat = rng.uniform(west, east, 1_000), rng.uniform(south, north, 1_000)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_X(g), ST_Y(g) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, k)"
            " CROSS JOIN LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(u.x, u.y), 4326), %s) AS g ORDER BY u.k",
            [lon.tolist(), lat.tolist(), int(srid)],
        )
        theirs = np.array(cur.fetchall(), dtype=float)
    return bool(np.array_equal(project_lonlat_m(lon, lat, srid=srid), theirs))


def project_lonlat_m(lon_deg: np.ndarray, lat_deg: np.ndarray, *, srid: int) -> np.ndarray:
    """(n, 2) coordinates in metres in EPSG ``srid`` of WGS84 points (degrees), vectorised by
    pyproj: the same coordinates as PostGIS's ST_Transform (tests/patrols/test_hex_fetch.py)."""
    x, y = _to_metric(int(srid)).transform(np.asarray(lon_deg, dtype=float), np.asarray(lat_deg, dtype=float))
    return np.column_stack([x, y])


def _hex_points(where: str, params: list, *, size_m: float, bin_edges: list | None,
                srid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axial (q, r) of the hexagons of ``size_m`` metres in EPSG ``srid`` and (n,) int64 time bins
    (0 without edges) of the filtered incidents, three int64 arrays."""
    bin_sql, bin_params = (", width_bucket(i.reported_at, %s::timestamptz[])::int4", [bin_edges]) if bin_edges else ("", [])
    in_python = pyproj_is_postgis(int(srid))
    point = "i.geom" if in_python else "ST_Transform(i.geom, %s)"
    point_params = [] if in_python else [int(srid), int(srid)]
    query = _HEX_POINTS_SQL.format(x=f"ST_X({point})", y=f"ST_Y({point})", bin=bin_sql, where=where)
    parser = CopyRows(_LONLAT_FIELDS + (_BIN_FIELDS if bin_edges else []))
    qs, rs, bins = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    with connection.cursor() as cur:
        # COPY takes no server-side parameters: psycopg2 binds them (quoted) as it does for execute.
        for part in copy_parts(cur.cursor, cur.mogrify(query, [*point_params, *bin_params, *params])):
            rows = parser.feed(part)
            if len(rows) == 0:
                continue
            if in_python:
                xy_m = project_lonlat_m(rows["lon"], rows["lat"], srid=srid)
            else:
                xy_m = np.column_stack([rows["lon"].astype(float), rows["lat"].astype(float)])
            q, r = hex_axial_coords(xy_m, size_m=size_m)
            qs.append(q)
            rs.append(r)
            bins.append(rows["bin"].astype(np.int64) if bin_edges else np.zeros(len(rows), dtype=np.int64))
    parser.finish()
    return np.concatenate(qs), np.concatenate(rs), np.concatenate(bins)


# Counted per grid id first and named after: joining the grid's code to each incident and
# grouping by text cost 0.29 s at a million incidents, against 0.17 s (bench/hotspots.py).
_GRID_KEY_SQL = """
SELECT g.code AS k1, 0 AS k2 {extra_cols}, p.n
  FROM (SELECT i.grid_id {extra}, count(*) AS n FROM incidents_incident i WHERE {where}
         GROUP BY i.grid_id {extra_cols}) p
  JOIN grids_grid g ON g.id = p.grid_id
"""


def _counts_query(flt: IncidentFilter, kind: str, size_m: float, *, bin_edges: list | None = None) -> list[tuple]:
    """Count rows: (grid code, 0[, bin], count) or (q, r[, bin], count)."""
    where, params = flt.where()
    extra, extra_cols, extra_params = "", "", []
    if bin_edges is not None:
        extra, extra_cols, extra_params = (
            ", width_bucket(i.reported_at, %s::timestamptz[]) AS bin",
            ", bin",
            [bin_edges],
        )
    if kind == "hex":
        return _hex_counts(where, params, size_m, bin_edges=bin_edges, srid=_metric_srid(flt.district))
    query = _GRID_KEY_SQL.format(extra=extra, extra_cols=extra_cols, where=where)
    with connection.cursor() as cur:
        cur.execute(query, [*extra_params, *params])
        return cur.fetchall()


_DENSE_KEYS_MAX = 4_000_000  # 32 MB of counts


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_counts=True)`` for int64 rows: same rows, same order,
    same counts (see :func:`_unique_columns`)."""
    return _unique_columns(list(np.asarray(rows, dtype=np.int64).T), width=rows.shape[1])


def _unique_columns(columns: list[np.ndarray], *, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of the int64 ``columns`` (lexicographic order) and how often each occurs,
    as ``np.unique(np.column_stack(columns), axis=0, return_counts=True)``. Done on one packed
    int64 key per row, built column by column (strided access to rows of a stacked array was
    0.04 s a million rows), counted into a dense array when the keys span few enough values
    and sorted otherwise."""
    width = len(columns) if width is None else width
    if len(columns) == 0 or len(columns[0]) == 0:
        return np.zeros((0, width), dtype=np.int64), np.zeros(0, dtype=np.int64)
    low = np.array([c.min() for c in columns], dtype=np.int64)
    span = np.array([c.max() for c in columns], dtype=np.int64) - low + 1
    size = float(np.prod(span.astype(float)))
    if size >= 2.0**62:
        return np.unique(np.column_stack(columns), axis=0, return_counts=True)
    key = columns[0] - low[0]
    for column, start, extent in zip(columns[1:], low[1:], span[1:], strict=True):  # first column most significant
        key = key * extent + (column - start)
    if size <= _DENSE_KEYS_MAX:  # a district's hexagons × time bins: no sort needed
        dense = np.bincount(key)
        keys = np.flatnonzero(dense)
        n = dense[keys]
    else:
        keys, n = np.unique(key, return_counts=True)
    out = np.empty((len(keys), width), dtype=np.int64)
    for j in range(width - 1, -1, -1):
        keys, out[:, j] = np.divmod(keys, span[j])
    return out + low, n


def _hex_counts(where: str, params: list, size_m: float, *, bin_edges: list | None, srid: int) -> list[tuple]:
    """(q, r[, bin], count) rows for the hexagons of ``size_m`` metres (in EPSG ``srid``) holding incidents."""
    q, r, bins = _hex_points(where, params, size_m=size_m, bin_edges=bin_edges, srid=srid)
    if len(bins) == 0:
        return []
    keys, n = _unique_columns([q, r, bins])
    if bin_edges is None:
        return [(int(k[0]), int(k[1]), int(c)) for k, c in zip(keys, n, strict=True)]
    return [(int(k[0]), int(k[1]), int(k[2]), int(c)) for k, c in zip(keys, n, strict=True)]


def _positions(frame: gpd.GeoDataFrame, kind: str, keys: list[tuple]) -> np.ndarray:
    """Row of ``frame`` for each (k1, k2) key, -1 when the key is not a cell of the frame."""
    if kind == "hex":
        index = {(int(q), int(r)): i for i, (q, r) in enumerate(zip(frame["q"], frame["r"], strict=True))}
        return np.array([index.get((int(k1), int(k2)), -1) for k1, k2 in keys], dtype=np.int64)
    index = {code: i for i, code in enumerate(frame["cell_id"])}
    return np.array([index.get(k1, -1) for k1, _ in keys], dtype=np.int64)


def count_incidents(flt: IncidentFilter, *, kind: str = "grid", size_m: float | None = None) -> gpd.GeoDataFrame:
    """Cells of the study area with the number of filtered incidents in each (0 included).

    ``frame.attrs`` keeps ``kind``, ``size_m`` (hexagons), ``filter`` (IncidentFilter) and
    ``outside`` (incidents of the filter whose hexagon is not a cell: on the very edge).
    """
    check_categories(flt.categories)
    size = float(size_m or settings.GRIDMAP_HEX_SIZE_M)
    frame = cells(kind, size_m=size, district=flt.district)
    rows = _counts_query(flt, kind, size)
    pos = _positions(frame, kind, [(r[0], r[1]) for r in rows])
    n = np.array([r[2] for r in rows], dtype=np.int64)
    counts = np.zeros(len(frame), dtype=np.int64)
    np.add.at(counts, pos[pos >= 0], n[pos >= 0])
    frame["count"] = counts
    frame.attrs.update(kind=kind, size_m=size if kind == "hex" else None, filter=flt, outside=int(n[pos < 0].sum()))
    return frame


def bin_edges(until: dt.datetime, *, bin_kind: str = "week", n_bins: int = 12) -> list[dt.datetime]:
    """``n_bins + 1`` edges of equal calendar steps (7 days or one month) ending at ``until``.

    Counting back from ``until`` keeps every bin complete: the final bin is the last 7 days
    (or month), not a half-finished calendar week.
    """
    if bin_kind not in BIN_KINDS:
        msg = f"时间分箱无效：应为按周或按月；收到的是“{str(bin_kind)[:20]}”"
        raise IncidentQueryError(msg)
    if n_bins < 1:
        msg = f"n_bins must be positive, got {n_bins}"
        raise IncidentQueryError(msg)
    end = pd.Timestamp(until.astimezone(local_zone()))
    step = pd.DateOffset(weeks=1) if bin_kind == "week" else pd.DateOffset(months=1)
    return [(end - step * k).to_pydatetime() for k in range(n_bins, -1, -1)]


def count_incidents_by_bin(
    flt: IncidentFilter, edges: Sequence[dt.datetime], *, kind: str = "grid", size_m: float | None = None
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Cells and an (n_bins, n_cells) array of counts; bin b is edges[b] ≤ t < edges[b + 1].

    The filter's own since/until are replaced by the edges.
    """
    edges = list(edges)
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        msg = "edges must be at least two increasing datetimes"
        raise IncidentQueryError(msg)
    check_categories(flt.categories)
    flt = flt.replace(since=edges[0], until=edges[-1])
    size = float(size_m or settings.GRIDMAP_HEX_SIZE_M)
    frame = cells(kind, size_m=size, district=flt.district)
    rows = _counts_query(flt, kind, size, bin_edges=edges)
    cube = np.zeros((len(edges) - 1, len(frame)), dtype=np.int64)
    if rows:
        pos = _positions(frame, kind, [(r[0], r[1]) for r in rows])
        b = np.array([r[2] for r in rows], dtype=np.int64) - 1  # width_bucket counts from 1
        n = np.array([r[3] for r in rows], dtype=np.int64)
        ok = (pos >= 0) & (b >= 0) & (b < cube.shape[0])
        np.add.at(cube, (b[ok], pos[ok]), n[ok])
    frame["count"] = cube.sum(axis=0)
    frame.attrs.update(kind=kind, size_m=size if kind == "hex" else None, filter=flt, bin_edges=edges)
    return frame, cube


def incident_points(flt: IncidentFilter, *, limit: int | None = None) -> pd.DataFrame:
    """The filtered incidents, newest first: id, reported_at (local), category code/name/
    colour, status, grid code, lon/lat (WGS84 degrees) and x_m/y_m (metres, metric CRS of the study area)."""
    check_categories(flt.categories)
    where, params = flt.where()
    # ``where`` is built by IncidentFilter from fixed fragments; every value in it is bound.
    query = sql.SQL("""
        SELECT i.id, i.reported_at, k.code, k.name, k.color, i.status, g.code,
               ST_X(i.geom), ST_Y(i.geom), ST_X(t.g), ST_Y(t.g)
          FROM incidents_incident i
          JOIN incidents_incidentcategory k ON k.id = i.category_id
          JOIN grids_grid g ON g.id = i.grid_id
          CROSS JOIN LATERAL (SELECT ST_Transform(i.geom, %s) AS g) t
         WHERE {where}
         ORDER BY i.reported_at DESC, i.id DESC
         {limit}
    """).format(where=sql.SQL(where), limit=sql.SQL("LIMIT %s" if limit is not None else ""))
    with connection.cursor() as cur:
        cur.execute(query, [_metric_srid(flt.district), *params, *([limit] if limit is not None else [])])
        rows = cur.fetchall()
    columns = ["id", "reported_at", "category", "category_name", "color", "status", "grid",
               "lon", "lat", "x_m", "y_m"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    if len(frame):
        frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True).dt.tz_convert(settings.TIME_ZONE)
    return frame
