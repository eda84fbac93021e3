"""Walking time from every household to the nearest facility of each type, stored in
facilities_householdaccess. Recomputed set-based per type (one multi-source Dijkstra per type
for all households); a row is written only where its values change."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from psycopg2 import sql
from scipy.spatial import cKDTree

from layers.facilities.analysis.coverage import PreparedPoints, nearest_walks_each, prepare
from layers.facilities.analysis.network_graph import WalkGraph
from layers.facilities.models import AccessMethod
from layers.facilities.walking.graph import by_metric_srid, load_graph, lonlat_to_metric, points_lonlat
from layers.facilities.walking.placement import Placement, placement
from layers.grids.partitions import district_codes_of
from layers.people.models import Household


@dataclass(frozen=True)
class AccessCounts:
    """Households and types looked at, and rows inserted or changed."""

    households: int
    types: int
    rows_written: int


def all_type_ids() -> list[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM facilities_facilitytype ORDER BY id")
        return [r[0] for r in cur.fetchall()]


def households_without_access() -> list[int]:
    """Households lacking a walking-time row for some facility type."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT h.id FROM people_household h"
            " WHERE (SELECT count(*) FROM facilities_householdaccess a WHERE a.household_id = h.id)"
            "     < (SELECT count(*) FROM facilities_facilitytype)")
        return [r[0] for r in cur.fetchall()]


def refresh_access(type_ids: Iterable[int] | None = None, household_ids: Iterable[int] | None = None, *,
                   district: str | None = None, progress: Callable[[int], None] | None = None) -> AccessCounts:
    """Recompute walking times of these types (None: all) for these households (None: all;
    with ``district``, a 6-digit code, all households of that district). Facilities of every
    district count: the nearest one may lie across the district's border."""
    types = sorted(set(type_ids)) if type_ids is not None else all_type_ids()
    if district is not None:
        from layers.jobs.districts import in_district_sql

        query = sql.SQL("SELECT h.id, ST_X(h.geom), ST_Y(h.geom) FROM people_household h WHERE {} ORDER BY h.id")
        hid, lonlat = points_lonlat(query.format(sql.SQL(in_district_sql("h"))), [district])
        codes = [district]
    elif household_ids is None:
        hid, lonlat = points_lonlat("SELECT id, ST_X(geom), ST_Y(geom) FROM people_household ORDER BY id")
        codes = None
    else:
        hid, lonlat = points_lonlat("SELECT id, ST_X(geom), ST_Y(geom) FROM people_household WHERE id = ANY(%s)"
                                    " ORDER BY id", [sorted(set(household_ids))])
        codes = district_codes_of(Household, hid.tolist())
    if len(hid) == 0 or not types:
        return AccessCounts(len(hid), len(types), 0)
    speed = settings.GRIDMAP_WALK_SPEED_M_PER_MIN
    facilities = [points_lonlat("SELECT id, ST_X(geom), ST_Y(geom) FROM facilities_facility WHERE type_id = %s"
                                " ORDER BY id", [type_id]) for type_id in types]
    results = walks_by_metric_srid(lonlat, [f_lonlat for _, f_lonlat in facilities], district=district)
    written = 0
    with transaction.atomic():
        for type_id, (fid, _), (distance, facility, method, snap) in zip(types, facilities, results, strict=True):
            facility_ids = np.where(facility >= 0, fid[np.maximum(facility, 0)] if len(fid) else -1, -1)
            written += _write(hid, type_id, facility_ids, distance, speed, snap, method, codes)
            if progress:
                progress(1)
    return AccessCounts(len(hid), len(types), written)


def walks_by_metric_srid(lonlat: np.ndarray, facility_sets_lonlat: list[np.ndarray], *,
                         district: str | None = None) -> list[tuple]:
    """walking_distances_each for households at ``lonlat`` (degrees), worked out in the metric
    CRS of each household's district (layers.grids.crs), every facility projected into it.
    ``district``: the households are that district's, walked on its part of the network."""
    n = len(lonlat)
    out = [(np.full(n, np.inf), np.full(n, -1, dtype=np.int64), np.empty(n, dtype=object), np.full(n, np.nan))
           for _ in facility_sets_lonlat]
    for srid, members in by_metric_srid(lonlat):
        xy = lonlat_to_metric(lonlat[members], srid)
        graph = load_graph(srid, district=district)
        # Households and facilities join the network preferring its connected part (placement).
        rule = placement(graph, srid) if graph is not None else None
        placed = prepare(graph, rule.snap(graph, xy)) if graph is not None else None
        part = walking_distances_each(graph, placed, xy, [lonlat_to_metric(f, srid) for f in facility_sets_lonlat],
                                      placement=rule)
        for full, values in zip(out, part, strict=True):
            for column, value in zip(full, values, strict=True):
                column[members] = value
    return out


def walking_distances_each(graph: WalkGraph | None, placed: PreparedPoints | None, xy_m: np.ndarray,
                           facility_sets_xy_m: list[np.ndarray], *, placement: Placement | None = None) -> list[tuple]:
    """Per facility set (type): (metres or inf, facility index or -1, method, snap distance m)
    per household. On the network: walks from the snapped household to the nearest snapped
    facility (facilities off the network cannot be walked to); without one: straight lines.
    A household on a cut-off fragment that reaches no facility of the set is 'fragment'
    (路网不连通), not simply uncovered. ``placement``: how facilities are snapped (default:
    the nearest street within the snap tolerance)."""
    n = len(xy_m)
    if graph is None or placed is None:
        method = np.full(n, AccessMethod.BUFFER.value, dtype=object)
        out = []
        for facility_xy_m in facility_sets_xy_m:
            if len(facility_xy_m) == 0:
                out.append((np.full(n, np.inf), np.full(n, -1), method, np.full(n, np.nan)))
            else:
                d, k = cKDTree(facility_xy_m).query(xy_m)
                out.append((d, k.astype(np.int64), method, np.full(n, np.nan)))
        return out
    tolerance = settings.GRIDMAP_SNAP_TOLERANCE_M
    sources = [placement.snap(graph, f) if placement is not None else graph.snap(f, snap_tolerance_m=tolerance)
               for f in facility_sets_xy_m]
    on = placed.points.on_network
    fragment = graph.on_fragment(placed.points)
    method = np.where(on, AccessMethod.NETWORK.value, AccessMethod.OFF_NETWORK.value).astype(object)
    out = []
    for w in nearest_walks_each(graph, placed, sources):
        cut_off = fragment & ~np.isfinite(w.distance_m)
        out.append((w.distance_m, w.source, np.where(cut_off, AccessMethod.FRAGMENT.value, method).astype(object),
                    placed.points.snap_distance_m))
    return out


def _write(hid: np.ndarray, type_id: int, facility_ids: np.ndarray, distance: np.ndarray, speed: float,
           snap: np.ndarray, method: np.ndarray, codes: list[str] | None) -> int:
    """Insert or update the walking times of one type for households ``hid``; ``codes``: their
    districts (None: every district). Returns how many rows changed."""
    finite = np.isfinite(distance)
    dist_txt = np.where(finite, np.char.mod("%.2f", np.where(finite, distance, 0)), r"\N")
    min_txt = np.where(finite, np.char.mod("%.4f", np.where(finite, distance / speed, 0)), r"\N")
    snap_ok = np.isfinite(snap)
    snap_txt = np.where(snap_ok, np.char.mod("%.2f", np.where(snap_ok, snap, 0)), r"\N")
    fac_txt = np.where(facility_ids >= 0, facility_ids.astype(str), r"\N")
    lines = [f"{h}\t{type_id}\t{f}\t{d}\t{m}\t{s}\t{k}\n" for h, f, d, m, s, k in zip(
        hid.tolist(), fac_txt.tolist(), dist_txt.tolist(), min_txt.tolist(), snap_txt.tolist(), method.tolist(),
        strict=True)]
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS _access_new")
        cur.execute(
            "CREATE TEMP TABLE _access_new (household_id bigint, facility_type_id bigint, facility_id bigint,"
            " distance_m float8, minutes float8, snap_distance_m float8, method varchar(8)) ON COMMIT DROP")
        cur.copy_expert("COPY _access_new FROM STDIN", io.StringIO("".join(lines)))
        cur.execute("ANALYZE _access_new")
        # The households' districts are named so that only their partitions are read: joined on
        # the id alone, every type of every district's rebuild hashed the whole province's
        # households (3.4 s a type at 10 million), which made a province's rebuild grow with the
        # square of its size. Only rows whose values change are written (and get a new computed_at).
        cur.execute(
            """
            INSERT INTO facilities_householdaccess
                   (household_id, facility_type_id, facility_id, distance_m, minutes, snap_distance_m, method,
                    computed_at, district_code)
            SELECT n.household_id, n.facility_type_id, n.facility_id, n.distance_m, n.minutes, n.snap_distance_m,
                   n.method, now(), h.district_code
              FROM _access_new n JOIN people_household h ON h.id = n.household_id
             WHERE %(all)s OR h.district_code = ANY(%(codes)s)
            ON CONFLICT (household_id, facility_type_id, district_code) DO UPDATE
               SET facility_id = EXCLUDED.facility_id, distance_m = EXCLUDED.distance_m,
                   minutes = EXCLUDED.minutes, snap_distance_m = EXCLUDED.snap_distance_m,
                   method = EXCLUDED.method, computed_at = EXCLUDED.computed_at
             WHERE (facilities_householdaccess.facility_id, facilities_householdaccess.distance_m,
                    facilities_householdaccess.minutes, facilities_householdaccess.snap_distance_m,
                    facilities_householdaccess.method)
                   IS DISTINCT FROM
                   (EXCLUDED.facility_id, EXCLUDED.distance_m, EXCLUDED.minutes, EXCLUDED.snap_distance_m,
                    EXCLUDED.method)
            """, {"all": codes is None, "codes": list(codes or ())})
        return cur.rowcount
