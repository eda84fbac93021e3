"""suggest_sites' work: the maximal covering problem for one facility type on the database.

Demand: the households the type leaves uncovered now (existing facilities kept), on the
network, each weighing 1, or settings.GRIDMAP_SITING_FOCUS_WEIGHT when it belongs to the
type's priority group. Candidates: the network nodes some uncovered household can walk to
within the threshold, or the parcels of a file (polygons by a point on their surface, or
points). The chosen sites replace the type's previous SuggestedSite rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from layers.facilities.analysis import siting
from layers.facilities.models import FacilityType, SuggestedSite
from layers.facilities.places import place_names
from layers.facilities.walking.graph import by_metric_srid, geoms_to_wgs84, load_graph, lonlat_to_metric, network_key
from layers.facilities.walking.placement import placement
from layers.facilities.walking.refresh import refresh_pending
from layers.grids.crs import district_srids


class SitingError(Exception):
    """Siting cannot run; the message says why."""


@dataclass(frozen=True)
class Site:
    """A chosen site: ``newly_covered_*`` count what it adds to the sites ranked before it
    (households no earlier site covers), ``community_gains`` the same per community code
    ([households, priority households]); ``place`` names it by its streets; x_m, y_m are
    metres in EPSG ``metric_srid``."""

    rank: int
    label: str
    lon: float
    lat: float
    node_id: int | None
    newly_covered_households: int
    newly_covered_residents: int
    newly_covered_focus: int = 0
    place: str = ""
    x_m: float | None = None
    y_m: float | None = None
    metric_srid: int | None = None
    community_gains: dict[str, list[int]] | None = None


@dataclass(frozen=True)
class Suggestion:
    type_code: str
    threshold_minutes: int
    households: int
    covered_before: int
    covered_after: int
    sites: list[Site]
    candidates: str
    candidate_count: int


def _demand(type_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Uncovered households: (lon/lat, residents, priority flag, community code ("" outside
    every grid)), total households, covered now."""
    sql = """
        SELECT ST_X(h.geom), ST_Y(h.geom), v.residents, COALESCE(v.tags && %s::varchar[], false), v.covered,
               COALESCE(c.code, '')
          FROM gridmap_household_coverage_in(NULL) v
          JOIN people_household h ON h.id = v.household_id AND h.district_code = v.district_code
          LEFT JOIN grids_community c ON c.id = v.community_id
         WHERE v.facility_type_id = %s
    """
    code = FacilityType.objects.get(pk=type_id).code
    with connection.cursor() as cur:
        cur.execute(sql, [settings.GRIDMAP_COVERAGE_FOCUS_TAGS.get(code, []), type_id])
        rows = cur.fetchall()
    if not rows:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0, dtype=object), 0, 0
    data = np.array(rows, dtype=object)
    covered = data[:, 4].astype(bool)
    lonlat = data[~covered, :2].astype(float)
    return (lonlat, data[~covered, 2].astype(float), data[~covered, 3].astype(bool), data[~covered, 5],
            len(rows), int(covered.sum()))


def read_candidates(path: Path) -> tuple[np.ndarray, list[str]]:
    """Candidate parcels from a vector file (GeoJSON, GeoPackage, Shapefile, ...): lon/lat of a
    point on each parcel's surface, and a label (name/label/id column, else the row number)."""
    import geopandas as gpd
    from pyogrio.errors import DataSourceError

    try:
        frame = gpd.read_file(path)
    except (DataSourceError, OSError) as e:
        msg = f"{path}: cannot read candidate parcels ({e})"
        raise SitingError(msg) from e
    if frame.crs is not None:
        frame = frame.to_crs(4326)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        msg = f"{path}: no parcels with a geometry"
        raise SitingError(msg)
    points = shapely.point_on_surface(frame.geometry.to_numpy())
    column = next((c for c in ("name", "名称", "label", "id", "编号") if c in frame.columns), None)
    labels = [str(v) for v in frame[column]] if column else [f"#{i + 1}" for i in range(len(frame))]
    return shapely.get_coordinates(points), labels


def suggest(type_code: str, count: int, *, candidates_file: Path | None = None,
            focus_weight: float | None = None) -> Suggestion:
    """Choose ``count`` sites for ``type_code`` that newly cover the most (weighted) households."""
    refresh_pending()
    try:
        ftype = FacilityType.objects.get(code=type_code)
    except FacilityType.DoesNotExist as e:
        msg = f"unknown facility type {type_code!r}"
        raise SitingError(msg) from e
    if network_key()[2] == 0:
        msg = "未加载步行路网：请管理员先导入路网（选址需要步行距离）"
        raise SitingError(msg)
    threshold_m = ftype.threshold_minutes * settings.GRIDMAP_WALK_SPEED_M_PER_MIN
    lonlat, residents, focus, community, total, covered_before = _demand(ftype.pk)
    weight = np.where(focus, settings.GRIDMAP_SITING_FOCUS_WEIGHT if focus_weight is None else focus_weight, 1.0)
    parcels = read_candidates(candidates_file) if candidates_file is not None else None
    source = "路网节点 (network nodes)" if parcels is None else str(candidates_file)[-300:]
    # Each district's households in its own metric CRS; a candidate seen from several is one column.
    columns: dict[tuple, tuple[int, float, float, str, int]] = {}
    rows, cols, row_order = [], [], []
    groups = by_metric_srid(lonlat) or [(srid, np.zeros(0, dtype=np.int64)) for srid in district_srids()[:1]]
    for srid, members in groups:
        graph = load_graph(srid)
        # Households snap as for their walking times (preferring the connected network).
        rule = replace(placement(graph, srid), tolerance_m=settings.GRIDMAP_SNAP_TOLERANCE_M)
        demand = rule.snap(graph, lonlat_to_metric(lonlat[members], srid))
        keys, candidates, found = _zone_candidates(graph, srid, demand, threshold_m, parcels, rule)
        matrix = siting.coverage_matrix(graph, demand, candidates, threshold_m=threshold_m).tocoo()
        index = np.array([columns.setdefault(k, (len(columns), *f))[0] for k, f in zip(keys, found, strict=True)],
                         dtype=np.int64)
        rows.append(matrix.row + sum(len(m) for m in row_order))
        cols.append(index[matrix.col] if len(index) else matrix.col)
        row_order.append(members)
    order = np.concatenate(row_order) if row_order else np.zeros(0, dtype=np.int64)
    r, c = (np.concatenate(rows), np.concatenate(cols)) if rows else (np.zeros(0, int), np.zeros(0, int))
    matrix = sp.csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=(len(order), len(columns)))
    residents, weight, focus, community = residents[order], weight[order], focus[order], community[order]
    found = sorted(columns.values())
    cand_lonlat = np.array([(f[1], f[2]) for f in found], dtype=float).reshape(-1, 2)
    labels, node_ids = [f[3] for f in found], np.array([f[4] for f in found], dtype=np.int64)
    problem = siting.reduce_problem(matrix, weight)
    solution = siting.solve_mclp(problem.matrix, problem.weights, count)
    chosen = problem.column_candidate[solution.columns]
    sites, newly = _sites(matrix, chosen, residents, focus, community, cand_lonlat, labels, node_ids)
    result = Suggestion(type_code, ftype.threshold_minutes, total, covered_before, covered_before + int(newly.sum()),
                        sites, source, len(columns))
    _store(ftype, result)
    return result


def _zone_candidates(graph, srid: int, demand, threshold_m: float,
                     parcels: tuple[np.ndarray, list[str]] | None, rule) -> tuple[list[tuple], object, list[tuple]]:
    """Candidates in one metric CRS (EPSG ``srid``): keys (("node", id) or ("parcel", row)), their
    EdgePoints on ``graph``, and (lon, lat, label, node id or -1) of each."""
    if parcels is None:
        nodes = siting.useful_nodes(graph, demand, threshold_m=threshold_m)
        candidates = siting.node_points(graph, nodes)
        node_ids = graph.node_ids[nodes]
        xy = shapely.get_coordinates(shapely.line_interpolate_point(
            graph.geoms_m[candidates.edge], candidates.fraction, normalized=True))
        lonlat = shapely.get_coordinates(geoms_to_wgs84(shapely.points(xy), srid)).reshape(-1, 2)
        return ([("node", int(n)) for n in node_ids], candidates,
                [(float(x), float(y), "", int(n)) for (x, y), n in zip(lonlat, node_ids, strict=True)])
    cand_lonlat, labels = parcels
    placed = rule.snap(graph, lonlat_to_metric(cand_lonlat, srid))
    keep = np.flatnonzero(placed.on_network)
    return ([("parcel", int(i)) for i in keep], placed.take(keep),
            [(float(cand_lonlat[i, 0]), float(cand_lonlat[i, 1]), labels[i], -1) for i in keep])


def _sites(matrix, chosen: np.ndarray, residents: np.ndarray, focus: np.ndarray, community: np.ndarray,
           lonlat: np.ndarray, labels: list[str], node_ids: np.ndarray) -> tuple[list[Site], np.ndarray]:
    """The chosen columns as Sites, ranked by what each adds to those before it, named by their
    streets; and which demand rows they cover."""
    newly = np.zeros(matrix.shape[0], dtype=bool)
    order = siting.marginal_order(matrix, chosen)
    xy = np.full((len(order), 2), np.nan)
    srids = np.zeros(len(order), dtype=np.int64)
    names = [""] * len(order)
    chosen_lonlat = lonlat[[j for j, _ in order]].reshape(-1, 2)
    for srid, members in by_metric_srid(chosen_lonlat) if len(order) else []:
        xy[members] = lonlat_to_metric(chosen_lonlat[members], srid)
        srids[members] = srid
        for k, name in zip(members, place_names(xy[members], srid), strict=True):
            names[k] = name
    sites = []
    for rank, (j, rows) in enumerate(order):
        newly[rows] = True
        gains: dict[str, list[int]] = {}
        for code, is_focus in zip(community[rows], focus[rows], strict=True):
            entry = gains.setdefault(str(code), [0, 0])
            entry[0] += 1
            entry[1] += int(is_focus)
        sites.append(Site(rank + 1, labels[j], float(lonlat[j, 0]), float(lonlat[j, 1]),
                          int(node_ids[j]) if node_ids[j] >= 0 else None, len(rows), int(residents[rows].sum()),
                          int(focus[rows].sum()), names[rank], float(xy[rank, 0]), float(xy[rank, 1]),
                          int(srids[rank]), gains))
    return sites, newly


def _store(ftype: FacilityType, result: Suggestion) -> None:
    from django.contrib.gis.geos import Point

    now = timezone.now()
    with transaction.atomic():
        SuggestedSite.objects.filter(facility_type=ftype).delete()
        SuggestedSite.objects.bulk_create([
            SuggestedSite(facility_type=ftype, rank=s.rank, label=s.label[:200], geom=Point(s.lon, s.lat, srid=4326),
                          node_id=s.node_id, newly_covered_households=s.newly_covered_households,
                          newly_covered_residents=s.newly_covered_residents, covered_before=result.covered_before,
                          covered_after=result.covered_after, households=result.households,
                          threshold_minutes=result.threshold_minutes, candidates=result.candidates, created_at=now,
                          place=s.place[:200], x_m=s.x_m, y_m=s.y_m, metric_srid=s.metric_srid or None,
                          newly_covered_focus=s.newly_covered_focus, community_gains=s.community_gains or {})
            for s in result.sites
        ])

