"""Where a patrol starts, and how long it stays at each stop: read from the page's query.

``start`` is "" (no start: the route begins at its best end), ``police:<id>`` (a facility of
the catalogue's type ``police``, 派出所/警务室) or ``here`` with ``lat`` and ``lon`` (the
worker's position, from the browser's geolocation or typed). ``return=1`` closes the
round back to the start; ``dwell`` is the minutes planned at each stop. Every refusal is a
Chinese message naming the field (:class:`StartError`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from layers.patrols.filters import IncidentQueryError

POLICE_TYPE = "police"
MAX_DWELL_MIN = 120


class StartError(IncidentQueryError):
    """A start point, return or dwell option that cannot be used (Chinese, names the field)."""


@dataclass(frozen=True)
class StartPoint:
    """``kind`` "none", "police" or "here"; WGS84 ``lon``/``lat`` (None for "none"); the
    Chinese ``name`` shown on the route; ``facility_id`` for a police room."""

    kind: str = "none"
    lon: float | None = None
    lat: float | None = None
    name: str = ""
    facility_id: int | None = None

    @property
    def lon_lat(self) -> tuple[float, float] | None:
        return None if self.lon is None or self.lat is None else (self.lon, self.lat)

    @property
    def value(self) -> str:
        """The ``start`` query value that chooses this point again."""
        return {"police": f"police:{self.facility_id}", "here": "here"}.get(self.kind, "")


def _number(text: str, field: str, low: float, high: float) -> float:
    text = (text or "").strip()
    if not text:
        msg = f"{field}未填写：请允许浏览器定位，或填写{field}"
        raise StartError(msg)
    try:
        value = float(text) if len(text) <= 32 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        msg = f"{field}应为数字（十进制度数），收到的内容无法识别"
        raise StartError(msg)
    if not low <= value <= high:
        msg = f"{field}应在 {low:g} 到 {high:g} 之间；收到的是 {value:g}"
        raise StartError(msg)
    return value


def position(lat_text: str, lon_text: str) -> tuple[float, float]:
    """(lon, lat) of the worker's position from the ``lat`` and ``lon`` fields, validated."""
    lat = _number(lat_text, "纬度", -180, 180)
    lon = _number(lon_text, "经度", -180, 180)
    if 3 <= lon <= 54 and 73 <= lat <= 136:  # a position in China with the two swapped
        msg = f"位置（纬度 {lat:g}，经度 {lon:g}）不在国内：纬度和经度是否写反了？"
        raise StartError(msg)
    if not -90 <= lat <= 90:
        msg = f"纬度应在 -90 到 90 之间；收到的是 {lat:g}"
        raise StartError(msg)
    if not (3 <= lat <= 54 and 73 <= lon <= 136):  # China's extent: the district is in it
        msg = f"位置（纬度 {lat:g}，经度 {lon:g}）不在国内，请检查定位"
        raise StartError(msg)
    return lon, lat


def police_rooms(district: str | None = None) -> list[tuple[int, str, float, float]]:
    """(id, name, lon, lat) of the facilities of type 派出所/警务室, in the district's grids
    when ``district`` is given, by name."""
    sql = """
        SELECT f.id, f.name, ST_X(f.geom), ST_Y(f.geom)
          FROM facilities_facility f JOIN facilities_facilitytype t ON t.id = f.type_id
         WHERE t.code = %s
           AND (%s::text IS NULL OR EXISTS (
                SELECT 1 FROM grids_grid g JOIN grids_community c ON c.id = g.community_id
                  JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id
                 WHERE d.code = %s AND ST_Intersects(g.geom, f.geom)))
         ORDER BY f.name, f.id
    """
    with connection.cursor() as cur:
        cur.execute(sql, [POLICE_TYPE, district, district])
        return [(int(a), str(b), float(c), float(d)) for a, b, c, d in cur.fetchall()]


def parse_start(query: Mapping[str, str], *, district: str | None = None) -> StartPoint:
    """The start point chosen by ``query`` (see the module docstring)."""
    value = (query.get("start") or "").strip()
    if not value:
        return StartPoint()
    if value == "here":
        lon, lat = position(query.get("lat", ""), query.get("lon", ""))
        return StartPoint("here", lon, lat, "我的位置")
    kind, _, ident = value.partition(":")
    if kind == POLICE_TYPE and ident.isascii() and ident.isdigit() and len(ident) <= 12:
        for pk, name, lon, lat in police_rooms(district):
            if pk == int(ident):
                return StartPoint("police", lon, lat, name, pk)
        msg = "起点无效：所选派出所/警务室不存在或不在所选区内"
        raise StartError(msg)
    msg = "起点无效：请选择派出所/警务室或“我的位置”"
    raise StartError(msg)


def parse_dwell(text: str | None) -> float:
    """Minutes at each stop from the ``dwell`` field (default settings.GRIDMAP_PATROL_DWELL_MIN)."""
    text = (text or "").strip()
    if not text:
        return float(settings.GRIDMAP_PATROL_DWELL_MIN)
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and int(text) <= MAX_DWELL_MIN):
        msg = f"每站停留时间应为 0 到 {MAX_DWELL_MIN} 之间的整数分钟"
        raise StartError(msg)
    return float(int(text))
