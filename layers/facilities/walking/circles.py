"""Service circles of facilities: computed with layers.facilities.analysis.isochrones, stored in
facilities_facilitycircle (one row per facility and minutes, replaced as a whole).

Circles are built in metres in the metric CRS of the facility's district (layers.grids.crs):
a 50 m street buffer is 50 m on the ground in any zone."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from django.utils import timezone

from layers.facilities.analysis import isochrones
from layers.facilities.analysis.network_graph import WalkGraph
from layers.facilities.models import AccessMethod, NetworkState
from layers.facilities.walking.graph import (
    by_metric_srid,
    geoms_to_wgs84,
    load_graph,
    lonlat_to_metric,
    points_lonlat,
)

if TYPE_CHECKING:
    from layers.facilities.walking.placement import Placement

BATCH = 64


@dataclass(frozen=True)
class CircleParams:
    """Minutes of the circles, walking speed (m/min), band half width (m), largest hole
    filled (m²) and snap tolerance (m); defaults from settings."""

    minutes: tuple[int, ...]
    walk_speed_m_per_min: float
    buffer_m: float
    hole_fill_m2: float
    snap_tolerance_m: float

    @classmethod
    def from_settings(cls, minutes: Iterable[int] | None = None) -> CircleParams:
        return cls(
            minutes=tuple(sorted(set(minutes or settings.GRIDMAP_CIRCLE_MINUTES))),
            walk_speed_m_per_min=settings.GRIDMAP_WALK_SPEED_M_PER_MIN,
            buffer_m=settings.GRIDMAP_CIRCLE_BUFFER_M,
            hole_fill_m2=settings.GRIDMAP_CIRCLE_HOLE_FILL_M2,
            snap_tolerance_m=settings.GRIDMAP_SNAP_TOLERANCE_M,
        )

    @property
    def reaches_m(self) -> list[float]:
        return [m * self.walk_speed_m_per_min for m in self.minutes]


def facility_ids_for(type_code: str | None = None, district: str | None = None) -> list[int]:
    """Facilities of a type (None: all), in a district (a 6-digit code; None: everywhere)."""
    from psycopg2 import sql

    from layers.jobs.districts import facility_in_district_sql

    query = sql.SQL("SELECT f.id FROM facilities_facility f JOIN facilities_facilitytype t ON t.id = f.type_id"
                    " WHERE (%s::text IS NULL OR t.code = %s) AND (%s::text IS NULL OR {}) ORDER BY f.id")
    with connection.cursor() as cur:
        cur.execute(query.format(sql.SQL(facility_in_district_sql("f"))), [type_code, type_code, district, district])
        return [r[0] for r in cur.fetchall()]


def rebuild_circles(facility_ids: Iterable[int], *, params: CircleParams | None = None,
                    progress: Callable[[int], None] | None = None) -> int:
    """Recompute and store the circles of these facilities (ids that no longer exist are
    skipped); returns the number of circle rows written. ``progress(n)`` after each batch."""
    params = params or CircleParams.from_settings()
    ids = sorted(set(facility_ids))
    if not ids:
        return 0
    version = NetworkState.current().version
    all_fid, all_lonlat = points_lonlat(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM facilities_facility WHERE id = ANY(%s) ORDER BY id", [ids])
    written = 0
    for srid, members in by_metric_srid(all_lonlat):
        graph = load_graph(srid)
        rule = None
        if graph is not None:
            from layers.facilities.walking.placement import placement

            rule = replace(placement(graph, srid), tolerance_m=params.snap_tolerance_m)
        for start in range(0, len(members), BATCH):
            part = members[start:start + BATCH]
            fid, lonlat = all_fid[part], all_lonlat[part]
            rows = _circle_rows(graph, fid, lonlat_to_metric(lonlat, srid), params, version, srid, rule)
            _write(fid.tolist(), params.minutes, rows)
            written += len(rows)
            if progress:
                progress(len(part))
    if progress and len(all_fid) < len(ids):
        progress(len(ids) - len(all_fid))  # facilities no longer there
    return written


def _circle_rows(graph: WalkGraph | None, fid: np.ndarray, xy_m: np.ndarray, params: CircleParams,
                 version: int, srid: int, placement: Placement | None = None) -> list[tuple]:
    """Circle rows of facilities at ``xy_m`` (metres, EPSG ``srid``, the graph's CRS);
    ``placement`` snaps them preferring the connected network (layers.facilities.walking.placement)."""
    n, reaches = len(fid), params.reaches_m
    polygons = np.empty((n, len(reaches)), dtype=object)
    done = np.zeros((n, len(reaches)), dtype=bool)
    method = np.full(n, AccessMethod.BUFFER.value, dtype=object)
    snap_d = np.full(n, np.nan)
    snap_edge = np.full(n, -1, dtype=np.int64)
    reached: dict[tuple[int, int], np.ndarray] = {}
    if graph is not None:
        placed = (placement.snap(graph, xy_m) if placement is not None
                  else graph.snap(xy_m, snap_tolerance_m=params.snap_tolerance_m))
        snap_d = placed.snap_distance_m
        on = placed.on_network
        on_method = np.where(graph.on_fragment(placed), AccessMethod.FRAGMENT.value, AccessMethod.NETWORK.value)
        method = np.where(on, on_method, AccessMethod.OFF_NETWORK.value).astype(object)
        snap_edge = np.where(on, graph.edge_ids[np.maximum(placed.edge, 0)], -1)
        pieces, slots = [], []
        for per_reach in isochrones.circle_pieces(graph, placed, reaches):
            for j, p in enumerate(per_reach):
                pieces.append(p.lines_m)
                slots.append((p.source, j))
                reached[(p.source, j)] = p.reached_nodes
        if pieces:
            built = isochrones.buffer_pieces(pieces, buffer_m=params.buffer_m, hole_fill_m2=params.hole_fill_m2)
            for (i, j), polygon in zip(slots, built, strict=True):
                polygons[i, j] = polygon
                done[i, j] = True
    discs = isochrones.straight_line_circles(xy_m, reaches)
    polygons[~done] = discs[~done]
    areas = shapely.area(polygons)
    wgs = geoms_to_wgs84(polygons.ravel(), srid).reshape(polygons.shape)
    now = timezone.now().isoformat()
    rows = []
    for i in range(n):
        for j, minutes in enumerate(params.minutes):
            rows.append((
                int(fid[i]), minutes, _multipolygon_hex(wgs[i, j]), method[i], reaches[j],
                params.walk_speed_m_per_min, params.buffer_m, _nullable(snap_d[i]),
                int(snap_edge[i]) if snap_edge[i] >= 0 else None, float(areas[i, j]),
                reached.get((i, j), np.zeros(0, dtype=np.int64)), version, now,
            ))
    return rows


def _multipolygon_hex(geom: shapely.Geometry) -> str:
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon) and not p.is_empty]
    multi = shapely.MultiPolygon(parts)
    return shapely.to_wkb(shapely.set_srid(multi, 4326), hex=True, include_srid=True)


def _nullable(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, np.ndarray):
        return "{" + ",".join(map(str, value.tolist())) + "}"
    return str(value)


COPY_COLUMNS = ("facility_id, minutes, geom, method, reach_m, walk_speed_m_per_min, buffer_m, snap_distance_m, "
                "snapped_edge_id, area_m2, reached_nodes, network_version, computed_at")


def _write(facility_ids: list[int], minutes: tuple[int, ...], rows: list[tuple]) -> None:
    buffer = io.StringIO("".join("\t".join(_text(v) for v in row) + "\n" for row in rows))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM facilities_facilitycircle WHERE facility_id = ANY(%s) AND minutes = ANY(%s)",
                    [facility_ids, list(minutes)])
        cur.copy_expert(f"COPY facilities_facilitycircle ({COPY_COLUMNS}) FROM STDIN", buffer)
