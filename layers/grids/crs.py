"""The metric CRS of a district, of a point, of an extent: the one home of that choice.

Areas, buffers, hexagons, snapping, grid-code ordering and walking graphs work in metres, in
a projection chosen for where the data is (DOMAIN.md §7): the CGCS2000 3-degree
Gauss–Krüger zone whose central meridian is nearest, without the zone number in the
easting, EPSG:4534 (central meridian 75°E) … EPSG:4554 (135°E), EPSG = 4534 + (CM − 75)/3.
Within its zone (±1.5° from the central meridian) the scale error is below 0.04 %.

Each district stores its zone (``District.metric_srid``, chosen from its centroid when it is
created or imported, then kept so that hexagon ids and grid codes stay stable); every
metric operation on a district's objects asks :func:`district_metric_srid`. Points (households,
facilities) take the zone of the district holding them (:func:`metric_srids_for_lonlat`).

settings.GRIDMAP_METRIC_SRID is an override only (unset by default): when set, it is used
for every district, and ``manage.py check`` warns where it distorts a district's lengths
by more than :data:`MAX_SCALE_ERROR` (gridmap.checks).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from django.conf import settings
from django.db import connection

# CGCS2000 3-degree Gauss–Krüger zones without the zone prefix in the easting.
FIRST_SRID, FIRST_CM_DEG = 4534, 75
LAST_SRID, LAST_CM_DEG = 4554, 135
ZONE_WIDTH_DEG = 3
ACCEPTED_SRIDS = tuple(range(FIRST_SRID, LAST_SRID + 1))
# Longitudes this module accepts (China spans 73°E–135°E; a zone reaches 1.5° past its CM).
LON_RANGE_DEG = (FIRST_CM_DEG - 1.5 * ZONE_WIDTH_DEG, LAST_CM_DEG + 1.5 * ZONE_WIDTH_DEG)
# A metric CRS whose scale at a district's centre is off by more than this (1 m per km) is
# "far from the district's zone" (manage.py check warns).
MAX_SCALE_ERROR = 0.001


def override_srid() -> int | None:
    """settings.GRIDMAP_METRIC_SRID when set (used for every district), else None."""
    value = getattr(settings, "GRIDMAP_METRIC_SRID", None)
    return int(value) if value not in (None, "") else None


def central_meridian_deg(lon_deg: float) -> int:
    """Central meridian (degrees east) of the 3-degree zone holding ``lon_deg`` (a longitude
    on a zone border, x.5 × 3, goes to the eastern zone)."""
    lon = float(lon_deg)
    if not LON_RANGE_DEG[0] <= lon <= LON_RANGE_DEG[1]:
        msg = (f"经度 {lon:.4f} 不在中国的高斯-克吕格 3 度带范围内 ({LON_RANGE_DEG[0]}–{LON_RANGE_DEG[1]}°E) "
               f"(longitude outside the CGCS2000 3-degree zones of China)")
        raise ValueError(msg)
    cm = ZONE_WIDTH_DEG * int(np.floor(lon / ZONE_WIDTH_DEG + 0.5))
    return min(max(cm, FIRST_CM_DEG), LAST_CM_DEG)


def zone_srid_for_lonlat(lon_deg: float, lat_deg: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger zone of a point (degrees), ignoring
    the override: what a district stores."""
    del lat_deg  # the zones are bands of longitude
    return FIRST_SRID + (central_meridian_deg(lon_deg) - FIRST_CM_DEG) // ZONE_WIDTH_DEG


def metric_srid_for_lonlat(lon_deg: float, lat_deg: float) -> int:
    """The metric CRS (EPSG code, units metres) for work at a point: the override when set,
    else the point's Gauss–Krüger zone."""
    return override_srid() or zone_srid_for_lonlat(lon_deg, lat_deg)


def metric_srid_for_extent(bounds_deg: Sequence[float]) -> int:
    """The metric CRS for an extent (min lon, min lat, max lon, max lat; degrees): that of its centre."""
    x0, y0, x1, y1 = (float(v) for v in bounds_deg)
    return metric_srid_for_lonlat((x0 + x1) / 2, (y0 + y1) / 2)


def metric_srid_for_geoms(geoms: Sequence) -> int:
    """The metric CRS for WGS84 geometries (GEOS or shapely): that of their common extent."""
    if not len(geoms):
        msg = "no geometries to choose a metric CRS for"
        raise ValueError(msg)
    if isinstance(geoms[0], shapely.Geometry):
        return metric_srid_for_extent(shapely.total_bounds(np.asarray(geoms, dtype=object)))
    boxes = np.array([g.extent for g in geoms], dtype=float).reshape(-1, 4)
    return metric_srid_for_extent((*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0)))


def district_metric_srid(district_or_code) -> int:
    """The metric CRS (EPSG code) of a district (a District or its 6-digit code): the
    override when set, else the zone stored on the district."""
    if override := override_srid():
        return override
    if hasattr(district_or_code, "metric_srid"):
        return int(district_or_code.metric_srid)
    with connection.cursor() as cur:
        cur.execute("SELECT metric_srid FROM grids_district WHERE code = %s", [str(district_or_code)])
        row = cur.fetchone()
    if row is None:
        msg = f"区 {district_or_code} 不存在 (no such district)"
        raise LookupError(msg)
    return int(row[0])


def community_metric_srid(community) -> int:
    """The metric CRS of a community's district (a Community instance)."""
    if override := override_srid():
        return override
    with connection.cursor() as cur:
        cur.execute("SELECT d.metric_srid FROM grids_street s JOIN grids_district d ON d.id = s.district_id"
                    " WHERE s.id = %s", [community.street_id])
        return int(cur.fetchone()[0])


def district_srids() -> list[int]:
    """The distinct metric CRSs of the stored districts (the override alone when set)."""
    if override := override_srid():
        return [override]
    with connection.cursor() as cur:
        cur.execute("SELECT DISTINCT metric_srid FROM grids_district ORDER BY 1")
        return [int(r[0]) for r in cur.fetchall()]


def zone_srids_for_lonlat(lonlat_deg: np.ndarray) -> np.ndarray:
    """(n,) Gauss–Krüger zone EPSG codes of (n, 2) lon/lat degrees (vectorised; clipped to
    the zones of China)."""
    lon = np.asarray(lonlat_deg, dtype=float).reshape(-1, 2)[:, 0]
    cm = ZONE_WIDTH_DEG * np.floor(lon / ZONE_WIDTH_DEG + 0.5)
    cm = np.clip(np.nan_to_num(cm, nan=FIRST_CM_DEG), FIRST_CM_DEG, LAST_CM_DEG)
    return (FIRST_SRID + (cm - FIRST_CM_DEG) // ZONE_WIDTH_DEG).astype(np.int64)


def metric_srids_for_lonlat(lonlat_deg: np.ndarray) -> np.ndarray:
    """(n,) metric CRS of each of (n, 2) lon/lat points: the override when set; else the CRS of
    the district holding the point (when all districts share one, that one without looking);
    points outside every district take their own zone."""
    lonlat = np.asarray(lonlat_deg, dtype=float).reshape(-1, 2)
    srids = district_srids()
    if len(srids) == 1:
        return np.full(len(lonlat), srids[0], dtype=np.int64)
    out = zone_srids_for_lonlat(lonlat)
    if not srids or not len(lonlat):
        return out
    with connection.cursor() as cur:
        cur.execute("SELECT metric_srid, ST_AsBinary(geom) FROM grids_district ORDER BY code DESC")
        rows = cur.fetchall()
    for srid, wkb in rows:  # a point on a shared border goes to the smallest code (last written)
        geom = shapely.from_wkb(bytes(wkb))
        shapely.prepare(geom)
        out[shapely.intersects_xy(geom, lonlat[:, 0], lonlat[:, 1])] = srid
    return out
