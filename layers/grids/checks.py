"""``manage.py check``: settings.GRIDMAP_METRIC_SRID, when set, overrides every district's own
metric CRS (layers.grids.crs); warn where it distorts a district's lengths."""

from __future__ import annotations

from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError
from pyproj import CRS, Proj
from pyproj.exceptions import CRSError

from layers.grids.crs import MAX_SCALE_ERROR, override_srid, zone_srid_for_lonlat


def scale_error_at(srid: int, lon_deg: float, lat_deg: float) -> float:
    """|scale − 1| of the projection ``srid`` at a point (degrees): 0.001 is 1 m per km."""
    factors = Proj(CRS.from_epsg(srid)).get_factors(lon_deg, lat_deg)
    return max(abs(factors.meridional_scale - 1), abs(factors.parallel_scale - 1))


def _district_centres() -> list[tuple[str, str, float, float]]:
    from django.db import connection

    try:
        with connection.cursor() as cur:
            cur.execute("SELECT code, name, ST_X(c), ST_Y(c)"
                        " FROM (SELECT code, name, ST_Centroid(geom) AS c FROM grids_district) d ORDER BY code")
            return cur.fetchall()
    except DatabaseError:  # no database yet, or not migrated: nothing to compare with
        return []


@register("gridmap")
def check_metric_srid_override(app_configs=None, **kwargs) -> list[CheckMessage]:
    srid = override_srid()
    if srid is None:
        return []
    try:
        crs = CRS.from_epsg(srid)
    except CRSError:
        return [Error(f"GRIDMAP_METRIC_SRID={srid} 不是已知的 EPSG 代码 (unknown EPSG code)", id="gridmap.E001")]
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        return [Error(f"GRIDMAP_METRIC_SRID={srid} 不是以米为单位的投影坐标系 (not a projected CRS in metres)",
                      id="gridmap.E002")]
    out: list[CheckMessage] = []
    for code, name, lon, lat in _district_centres():
        error = scale_error_at(srid, lon, lat)
        if error > MAX_SCALE_ERROR:
            zone = zone_srid_for_lonlat(lon, lat)
            out.append(Warning(
                f"GRIDMAP_METRIC_SRID=EPSG:{srid} 在区 {name} ({code}) 的长度变形为 {error:.2%}, 超过 "
                f"{MAX_SCALE_ERROR:.1%} (the override distorts this district's lengths by {error:.2%})",
                hint=f"取消 GRIDMAP_METRIC_SRID, 每个区使用自己的投影 (该区为 EPSG:{zone}) "
                     f"(unset it: each district then uses its own zone)",
                id="gridmap.W001"))
    return out
