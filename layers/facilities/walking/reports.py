"""Coverage as coverage_report and the planner map read it, aggregated in SQL over
gridmap_household_coverage_in (layers/facilities/sql/0004_coverage_by_district.sql), plus the
gap areas. A district's figures read only the partitions holding its grids' households.

A household is covered for a type when its stored walking time is at most the type's
threshold (FacilityType.threshold_minutes). Priority groups (settings.
GRIDMAP_COVERAGE_FOCUS_TAGS: 独居老人/高龄 for elderly care, 有幼儿 for kindergartens) are
counted separately. Call :func:`layers.facilities.walking.refresh.refresh_pending` first (the commands
and the map do) so that nothing queued is left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from psycopg2 import sql

from layers.facilities.analysis.coverage import gap_polygons
from layers.facilities.walking.graph import by_metric_srid, geoms_to_wgs84, lonlat_to_metric
from layers.grids.partitions import district_codes_holding_district
from layers.people.models import Household

# The code and name columns of each reporting level (c: the community, g: the grid).
LEVELS = {
    "community": (sql.Identifier("c", "code"), sql.Identifier("c", "name")),
    "grid": (sql.Identifier("g", "code"), sql.Identifier("g", "name")),
}

# Priority tags per type code as a relation the queries join (bound as JSON).
_FOCUS = sql.SQL("LEFT JOIN (SELECT key AS code, ARRAY(SELECT jsonb_array_elements_text(value))::varchar[] AS tags"
          "             FROM jsonb_each(%s::jsonb)) f ON f.code = v.type_code")


def _focus_json() -> str:
    return json.dumps(settings.GRIDMAP_COVERAGE_FOCUS_TAGS, ensure_ascii=False)


@dataclass(frozen=True)
class CoverageRow:
    """Coverage of one facility type in one community or grid (``code`` None: households
    outside every grid; ``code`` "*": all households; ``total`` "district": one district's
    households, ``code`` its 6-digit code). ``district`` is the row's district code."""

    type_code: str
    type_name: str
    threshold_minutes: int
    code: str | None
    name: str
    households: int
    covered_households: int
    residents: int
    covered_residents: int
    focus_households: int
    focus_covered: int
    straight_line: int
    fragment_households: int = 0
    """Households on a cut-off part of the network without a facility of the type (路网不连通):
    neither covered nor a gap of the facilities, a gap of the street data."""
    district: str | None = None
    total: str = ""
    """"" a community or grid, "district" a district's total, "all" the total of every household."""

    @property
    def household_share(self) -> float | None:
        return self.covered_households / self.households if self.households else None

    @property
    def resident_share(self) -> float | None:
        return self.covered_residents / self.residents if self.residents else None

    @property
    def focus_share(self) -> float | None:
        return self.focus_covered / self.focus_households if self.focus_households else None


# The district of a coverage row (c: its community), joined after the grid and community.
_DISTRICT = sql.SQL("LEFT JOIN grids_street s ON s.id = c.street_id LEFT JOIN grids_district d ON d.id = s.district_id")


def _partitions(district: str | None) -> list[str] | None:
    """The district codes of the partitions holding ``district``'s households (the argument of
    gridmap_household_coverage_in); None (every partition) for every district."""
    return None if district is None else district_codes_holding_district(Household, district)


def coverage_data_version() -> int:
    """The sequence gridmap_coverage_data_version (sql/0003_coverage_version.sql): a new value
    after every statement writing households, facility types, walking times or the grid levels."""
    with connection.cursor() as cur:
        cur.execute("SELECT last_value FROM gridmap_coverage_data_version")
        return int(cur.fetchone()[0])


def coverage_rows(*, level: str = "community", type_code: str | None = None,
                  district: str | None = None) -> list[CoverageRow]:
    """:func:`compute_coverage_rows`, from the cache when nothing it reads has been written
    since (the sequence gridmap_coverage_data_version, sql/0003_coverage_version.sql, draws a
    new value on every write to households, types, walking times and the grid levels)."""
    import hashlib

    from django.core.cache import cache

    text = f"{level}|{type_code!r}|{district!r}|{_focus_json()}|v{coverage_data_version()}"
    key = "gridmap:coverage:" + hashlib.sha256(text.encode()).hexdigest()[:40]
    rows = cache.get(key)
    if rows is None:
        rows = compute_coverage_rows(level=level, type_code=type_code, district=district)
        cache.set(key, rows, timeout=24 * 3600)
    return rows


def compute_coverage_rows(*, level: str = "community", type_code: str | None = None,
                          district: str | None = None) -> list[CoverageRow]:
    """Per facility type and community (or grid), then a total ("*") per type. ``district`` (a
    6-digit code) keeps that district's households; with None (all) and households in several
    districts, each district's total follows its units (``total`` "district")."""
    code_sql, name_sql = LEVELS[level]
    # Households are counted per type and grid first (one hash aggregate over the district's
    # rows), and the grid's community and district are joined to those few rows: joined per
    # household and type they cost three index lookups a row (20 s for a 178,572-household
    # district, 15 types, against 5 s).
    query = sql.SQL("""
        WITH per_grid AS (
            SELECT v.facility_type_id, v.grid_id,
                   count(*) AS households, count(*) FILTER (WHERE v.covered) AS covered,
                   COALESCE(sum(v.residents), 0) AS residents,
                   COALESCE(sum(v.residents) FILTER (WHERE v.covered), 0) AS covered_residents,
                   count(*) FILTER (WHERE v.tags && f.tags) AS focus,
                   count(*) FILTER (WHERE v.tags && f.tags AND v.covered) AS focus_covered,
                   count(*) FILTER (WHERE v.method IN ('buffer', 'offnet')) AS straight_line,
                   count(*) FILTER (WHERE v.method = 'fragment') AS fragment
              FROM gridmap_household_coverage_in(%s::text[]) v
              {_FOCUS}
             WHERE %s::text IS NULL OR v.type_code = %s
             GROUP BY 1, 2
        )
        SELECT t.code, t.name, t.threshold_minutes, {code_sql}, {name_sql},
               sum(p.households), sum(p.covered), sum(p.residents), sum(p.covered_residents),
               sum(p.focus), sum(p.focus_covered), sum(p.straight_line),
               GROUPING({code_sql}) = 1, sum(p.fragment),
               d.code, d.name, GROUPING(d.code) = 1
          FROM per_grid p
          JOIN facilities_facilitytype t ON t.id = p.facility_type_id
          LEFT JOIN grids_grid g ON g.id = p.grid_id
          LEFT JOIN grids_community c ON c.id = g.community_id
          {_DISTRICT}
         WHERE %s::text IS NULL OR d.code = %s
         GROUP BY GROUPING SETS ((t.sort_order, t.code, t.name, t.threshold_minutes, {code_sql}, {name_sql},
                                  d.code, d.name),
                                 (t.sort_order, t.code, t.name, t.threshold_minutes, d.code, d.name),
                                 (t.sort_order, t.code, t.name, t.threshold_minutes))
         ORDER BY t.sort_order, t.code, GROUPING(d.code), d.code NULLS LAST, GROUPING({code_sql}),
                  {code_sql} NULLS LAST
    """).format(code_sql=code_sql, name_sql=name_sql, _FOCUS=_FOCUS, _DISTRICT=_DISTRICT)
    with connection.cursor() as cur:
        cur.execute(query, [_partitions(district), _focus_json(), type_code, type_code, district, district])
        rows = cur.fetchall()
    several = not district and len({r[14] for r in rows if r[14]}) > 1
    out = []  # per type: each district's units then its total (when several), the type's total last
    for r in rows:
        counts = dict(zip(("households", "covered_households", "residents", "covered_residents",
                           "focus_households", "focus_covered", "straight_line"), map(int, r[5:12]), strict=True))
        common = {"type_code": r[0], "type_name": r[1], "threshold_minutes": r[2], **counts,
                  "fragment_households": int(r[13])}
        if r[16]:  # every household of the type
            out.append(CoverageRow(code="*", name="合计", total="all", district=district, **common))
        elif r[12]:  # one district's households
            if several and r[14]:
                out.append(CoverageRow(code=r[14], name=f"{r[15]}合计", total="district", district=r[14], **common))
        else:
            out.append(CoverageRow(code=r[3], name=r[4] or "未关联网格", district=r[14], **common))
    return out


@dataclass(frozen=True)
class CompletenessRow:
    """Life-circle completeness of a community or grid: per level (5/10/15) the share of
    households reaching every type of that level within its threshold; ``all_share`` every type."""

    code: str | None
    name: str
    households: int
    level_shares: dict[int, float]
    all_share: float


def completeness_rows(*, level: str = "community", district: str | None = None) -> list[CompletenessRow]:
    """Completeness per community (or grid); ``district`` keeps one district's households. With
    None (all) and households in several districts, a total row per district follows (its
    6-digit code, name "…合计")."""
    rows = _completeness(*LEVELS[level], district)
    districts = [r for r in _completeness(sql.Identifier("d", "code"), sql.Identifier("d", "name"), district)
                 if r.code] if not district else []
    if len(districts) > 1:
        rows += [CompletenessRow(r.code, f"{r.name}合计", r.households, r.level_shares, r.all_share)
                 for r in districts]
    return rows


def _completeness(code_sql: sql.Composable, name_sql: sql.Composable, district: str | None) -> list[CompletenessRow]:
    query = sql.SQL("""
        WITH per_household AS (  -- the grid's names joined after, as in compute_coverage_rows
            SELECT v.household_id, v.grid_id, v.level_minutes, bool_and(v.covered) AS ok
              FROM gridmap_household_coverage_in(%s::text[]) v
             GROUP BY 1, 2, 3
        ), per_level AS (
            SELECT p.household_id, {code_sql} AS code, {name_sql} AS name, p.level_minutes, p.ok
              FROM per_household p
              LEFT JOIN grids_grid g ON g.id = p.grid_id
              LEFT JOIN grids_community c ON c.id = g.community_id
              {_DISTRICT}
             WHERE %s::text IS NULL OR d.code = %s
        )
        SELECT code, name, level_minutes, count(*), avg(ok::int)
          FROM per_level GROUP BY 1, 2, 3
        UNION ALL
        SELECT code, name, 0, count(*), avg(ok::int)
          FROM (SELECT household_id, code, name, bool_and(ok) AS ok FROM per_level GROUP BY 1, 2, 3) a
         GROUP BY 1, 2
         ORDER BY 1 NULLS LAST, 3
    """).format(code_sql=code_sql, name_sql=name_sql, _DISTRICT=_DISTRICT)
    with connection.cursor() as cur:
        cur.execute(query, [_partitions(district), district, district])
        rows = cur.fetchall()
    result: dict[str | None, CompletenessRow] = {}
    for code, name, lvl, n, share in rows:
        entry = result.setdefault(code, CompletenessRow(code, name or "未关联网格", int(n), {}, 0.0))
        if lvl == 0:
            result[code] = CompletenessRow(code, entry.name, int(n), entry.level_shares, float(share))
        else:
            entry.level_shares[int(lvl)] = float(share)
    return list(result.values())


@dataclass(frozen=True)
class GapArea:
    """An area (WGS84 polygon) of households a type leaves uncovered, with counts."""

    geom: shapely.Polygon
    households: int
    residents: int
    focus_households: int


# Households h of district %s (all when NULL; the parameter given twice) stored in the partitions
# %s (:func:`_partitions`, all when NULL; given twice), which lets the planner skip the others.
_HOUSEHOLD_IN_DISTRICT = sql.SQL(
    "(%s::text IS NULL OR h.grid_id IN (SELECT g.id FROM grids_grid g JOIN grids_community c ON c.id = g.community_id"
    " JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id WHERE d.code = %s))"
    " AND (%s::text[] IS NULL OR h.district_code = ANY(%s::text[]))")


def gap_areas(type_code: str, *, buffer_m: float | None = None, district: str | None = None) -> list[GapArea]:
    """The households not covered for ``type_code``, merged into areas (discs of
    ``buffer_m`` metres on the ground, default settings.GRIDMAP_GAP_BUFFER_M, joined where
    they touch), largest first. Households on cut-off network fragments (路网不连通) are left
    out: see :func:`fragment_areas`."""
    query = sql.SQL("""
        SELECT ST_X(h.geom), ST_Y(h.geom), v.residents, COALESCE(v.tags && f.tags, false)
          FROM gridmap_household_coverage_in(%s::text[]) v
          JOIN people_household h ON h.id = v.household_id AND h.district_code = v.district_code
          {_FOCUS}
         WHERE v.type_code = %s AND NOT v.covered AND v.method IS DISTINCT FROM 'fragment' AND {in_district}
    """).format(_FOCUS=_FOCUS, in_district=_HOUSEHOLD_IN_DISTRICT)
    with connection.cursor() as cur:
        codes = _partitions(district)
        cur.execute(query, [codes, _focus_json(), type_code, district, district, codes, codes])
        rows = cur.fetchall()
    if not rows:
        return []
    data = np.array(rows, dtype=object)
    lonlat = data[:, :2].astype(float)
    gaps = []
    for srid, members in by_metric_srid(lonlat):  # each district in its own metric CRS
        areas = gap_polygons(lonlat_to_metric(lonlat[members], srid), data[members, 2].astype(float),
                             data[members, 3].astype(bool), buffer_m=buffer_m or settings.GRIDMAP_GAP_BUFFER_M)
        wgs = geoms_to_wgs84(areas.polygons, srid)
        gaps += [GapArea(wgs[i], int(areas.households[i]), int(areas.residents[i]), int(areas.focus[i]))
                 for i in range(len(wgs))]
    return sorted(gaps, key=lambda g: -g.households)  # stable: ties keep their order


def fragment_areas(type_code: str, *, buffer_m: float | None = None, district: str | None = None) -> list[GapArea]:
    """The households left on cut-off parts of the network for ``type_code`` (method
    'fragment', 路网不连通), merged into areas as :func:`gap_areas` merges gaps."""
    with connection.cursor() as cur:
        codes = _partitions(district)
        cur.execute(sql.SQL(
            "SELECT ST_X(h.geom), ST_Y(h.geom), h.residents FROM gridmap_household_coverage_in(%s::text[]) v"
            " JOIN people_household h ON h.id = v.household_id AND h.district_code = v.district_code"
            " WHERE v.type_code = %s AND v.method = 'fragment' AND {in_district} ORDER BY h.id").format(
                in_district=_HOUSEHOLD_IN_DISTRICT), [codes, type_code, district, district, codes, codes])
        rows = cur.fetchall()
    if not rows:
        return []
    data = np.array(rows, dtype=float)
    found = []
    for srid, members in by_metric_srid(data[:, :2]):  # each district in its own metric CRS
        areas = gap_polygons(lonlat_to_metric(data[members, :2], srid), data[members, 2],
                             np.zeros(len(members), dtype=bool), buffer_m=buffer_m or settings.GRIDMAP_GAP_BUFFER_M)
        wgs = geoms_to_wgs84(areas.polygons, srid)
        found += [GapArea(wgs[i], int(areas.households[i]), int(areas.residents[i]), 0) for i in range(len(wgs))]
    return sorted(found, key=lambda g: -g.households)
