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
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from layers.facilities.analysis import siting
from layers.facilities.models import FacilityType, SuggestedSite
from layers.facilities.walking.graph import geoms_to_wgs84, load_graph, lonlat_to_metric
from layers.facilities.walking.placement import placement
from layers.facilities.walking.refresh import refresh_pending


class SitingError(Exception):
    """Siting cannot run; the message says why."""


@dataclass(frozen=True)
class Site:
    rank: int
    label: str
    lon: float
    lat: float
    node_id: int | None
    newly_covered_households: int
    newly_covered_residents: int


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


def _demand(type_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Uncovered households: (lon/lat, residents, priority flag), total households, covered now."""
    sql = """
        SELECT ST_X(h.geom), ST_Y(h.geom), v.residents, COALESCE(v.tags && %s::varchar[], false), v.covered
          FROM gridmap_household_coverage v JOIN people_household h ON h.id = v.household_id
         WHERE v.facility_type_id = %s
    """
    code = FacilityType.objects.get(pk=type_id).code
    with connection.cursor() as cur:
        cur.execute(sql, [settings.GRIDMAP_COVERAGE_FOCUS_TAGS.get(code, []), type_id])
        rows = cur.fetchall()
    if not rows:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0, dtype=bool), 0, 0
    data = np.array(rows, dtype=object)
    covered = data[:, 4].astype(bool)
    lonlat = data[~covered, :2].astype(float)
    return lonlat, data[~covered, 2].astype(float), data[~covered, 3].astype(bool), len(rows), int(covered.sum())


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
    graph = load_graph()
    if graph is None:
        msg = "no walk network loaded: run `manage.py import_network FILE` first (siting needs walking distances)"
        raise SitingError(msg)
    threshold_m = ftype.threshold_minutes * settings.GRIDMAP_WALK_SPEED_M_PER_MIN
    tolerance = settings.GRIDMAP_SNAP_TOLERANCE_M
    lonlat, residents, focus, total, covered_before = _demand(ftype.pk)
    rule = replace(placement(graph), tolerance_m=tolerance)  # households snap as for their walking times
    demand = rule.snap(graph, lonlat_to_metric(lonlat))
    weight = np.where(focus, settings.GRIDMAP_SITING_FOCUS_WEIGHT if focus_weight is None else focus_weight, 1.0)
    if candidates_file is None:
        nodes = siting.useful_nodes(graph, demand, threshold_m=threshold_m)
        candidates = siting.node_points(graph, nodes)
        node_ids = graph.node_ids[nodes]
        labels = [f"路网节点 {n}" for n in node_ids]
        source = "路网节点 (network nodes)"
        xy = shapely.get_coordinates(shapely.line_interpolate_point(
            graph.geoms_m[candidates.edge], candidates.fraction, normalized=True))
        cand_lonlat = shapely.get_coordinates(geoms_to_wgs84(shapely.points(xy)))
    else:
        cand_lonlat, labels = read_candidates(candidates_file)
        placed = rule.snap(graph, lonlat_to_metric(cand_lonlat))
        keep = np.flatnonzero(placed.on_network)
        candidates = placed.take(keep)
        cand_lonlat, labels = cand_lonlat[keep], [labels[i] for i in keep]
        node_ids = np.full(len(keep), -1)
        source = str(candidates_file)[-300:]
    matrix = siting.coverage_matrix(graph, demand, candidates, threshold_m=threshold_m)
    problem = siting.reduce_problem(matrix, weight)
    solution = siting.solve_mclp(problem.matrix, problem.weights, count)
    chosen = problem.column_candidate[solution.columns]
    sites, newly = _sites(matrix, chosen, residents, cand_lonlat, labels, node_ids)
    result = Suggestion(type_code, ftype.threshold_minutes, total, covered_before, covered_before + int(newly.sum()),
                        sites, source, int(candidates.edge.size))
    _store(ftype, result)
    return result


def _sites(matrix, chosen: np.ndarray, residents: np.ndarray, lonlat: np.ndarray, labels: list[str],
           node_ids: np.ndarray) -> tuple[list[Site], np.ndarray]:
    csc = matrix.tocsc()
    newly = np.zeros(matrix.shape[0], dtype=bool)
    gains = []
    for j in chosen:
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        newly[rows] = True
        gains.append((len(rows), int(residents[rows].sum()), j))
    gains.sort(key=lambda g: (-g[0], g[2]))  # rank by households newly covered
    sites = [Site(rank + 1, labels[j], float(lonlat[j, 0]), float(lonlat[j, 1]),
                  int(node_ids[j]) if node_ids[j] >= 0 else None, n, r) for rank, (n, r, j) in enumerate(gains)]
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
                          threshold_minutes=result.threshold_minutes, candidates=result.candidates, created_at=now)
            for s in result.sites
        ])

