"""Incident hot spots from the database: counts → weights → Gi* classes, the kernel density
heat surface and emerging hot spots (the glue between ``incident_counts`` and the pure
statistics of ``hotspots``, ``emerging`` and ``density``).

Weights (binary; Gi* adds the focal cell itself, esda ``star=True``)
    grid cells (网格): queen contiguity, i.e. two grids are neighbours when their borders
        share at least one point. Built by ``libpysal.weights.fuzzy_contiguity`` on the
        polygons in the metric CRS grown by ``GRID_CONTIGUITY_BUFFER_M`` (0.5 m, so gaps
        under 1 m still join): grid borders drawn in WGS84 are not exactly shared once
        projected (T-junctions, sub-metre slivers, corners that differ in the last bit).
        On the demo district libpysal's vertex-based ``Queen`` misses 1 of 126 neighbour
        pairs and its strict (shapely ``touches``) contiguity misses 6; the buffered test
        finds them all.
    hexagons: distance band of 1.01 × the centre spacing ``size_m``: exactly the 6 adjacent
        hexagons (the next ring starts at √3 × size_m).

Classes: ±3/±2/±1 = hot/cold spot at 99/95/90 %, 0 = not significant (``hotspots.classify_gi``:
|z| above 2.58/1.96/1.65 AND the two-sided permutation p below 0.01/0.05/0.10), optionally
after a Benjamini–Hochberg false discovery rate on the permutation p-values.

Heat surface: ``density.kde_quartic`` on the filtered incidents in metres, bandwidth by the
Silverman-type rule documented there unless ``bandwidth_m`` (or settings.GRIDMAP_KDE_BANDWIDTH_M)
is given; the surface covers the study area grown by the bandwidth.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from django.conf import settings
from django.utils import timezone
from libpysal.weights import W

from layers.patrols.counts import (
    IncidentFilter,
    IncidentQueryError,
    bin_edges,
    count_incidents,
    count_incidents_by_bin,
    incident_points,
    study_area_m,
)
from layers.patrols.stats.cells import hex_centres_m
from layers.patrols.stats.density import DensityGrid, kde_quartic
from layers.patrols.stats.emerging import CATEGORY_LABELS_ZH, EmergingResult, emerging_hotspots
from layers.patrols.stats.gistar import contiguity_weights, distance_band_weights, gi_star

GRID_CONTIGUITY_BUFFER_M = 0.5
HEX_BAND_FACTOR = 1.01
CLASS_LABELS_ZH: dict[int, str] = {
    3: "热点 99%", 2: "热点 95%", 1: "热点 90%", 0: "不显著", -1: "冷点 90%", -2: "冷点 95%", -3: "冷点 99%",
}  # fmt: skip
"""Chinese label of each Gi* class."""
MAX_KDE_CELLS = 1_000_000


_WEIGHTS_CACHE: OrderedDict[tuple, tuple[W, str]] = OrderedDict()
_WEIGHTS_CACHE_SIZE = 8


def _layout_key(frame: gpd.GeoDataFrame, kind: str) -> tuple:
    """What the weights depend on: the cells' kind, CRS, size and exact geometry (WKB digest)."""
    digest = hashlib.blake2b(digest_size=16)
    for wkb in shapely.to_wkb(frame.geometry.to_numpy()).tolist():
        digest.update(wkb)
    return kind, str(frame.crs), frame.attrs.get("size_m"), len(frame), digest.hexdigest()


def cell_weights(frame: gpd.GeoDataFrame) -> tuple[W, str]:
    """Binary weights for the cells of ``frame`` (ids 0..n-1 in row order) and how they were built.

    Built once per layout (cells with the same geometry in the same order) and kept for the
    next analysis of the same district: the weights are shared, so callers never modify them
    (gi_star and emerging_hotspots do not).
    """
    kind = frame.attrs.get("kind")
    if kind not in ("grid", "hex"):
        msg = f"frame.attrs['kind'] must be 'grid' or 'hex', got {kind!r}"
        raise ValueError(msg)
    key = _layout_key(frame, kind)
    if key in _WEIGHTS_CACHE:
        _WEIGHTS_CACHE.move_to_end(key)
        return _WEIGHTS_CACHE[key]
    if kind == "grid":
        w = contiguity_weights(frame.geometry.to_numpy(), buffer_m=GRID_CONTIGUITY_BUFFER_M)
        built = w, f"网格 queen 邻接 (边界共点, 容差 {2 * GRID_CONTIGUITY_BUFFER_M:g} m)"
    else:
        size_m = float(frame.attrs["size_m"])
        # The cells are whole hexagons of the lattice (counts.hex_cells): their centres come from
        # (q, r). GEOS's centroids of 10,000 hexagons took 0.08 s, a tenth of an analysis.
        xy = hex_centres_m(frame["q"].to_numpy(), frame["r"].to_numpy(), size_m=size_m)
        threshold_m = HEX_BAND_FACTOR * size_m
        w = distance_band_weights(xy, threshold_m=threshold_m)
        built = w, f"六边形 {size_m:g} m, 距离带 {threshold_m:g} m (相邻 6 格)"
    _WEIGHTS_CACHE[key] = built
    while len(_WEIGHTS_CACHE) > _WEIGHTS_CACHE_SIZE:
        _WEIGHTS_CACHE.popitem(last=False)
    return built


@dataclass(frozen=True, eq=False)
class HotspotResult:
    """Gi* per cell. ``cells`` is the counts frame (metric CRS) plus ``gi_z``, ``gi_p_sim``,
    ``gi_p_norm``, ``gi_class`` (-3..3), ``gi_island``, ``gi_label`` (Chinese class name) and
    ``gi_note`` (why a cell has no Gi*, e.g. it neighbours every other cell; "" otherwise)."""

    cells: gpd.GeoDataFrame
    weights_description: str
    permutations: int
    fdr: float | None

    @property
    def kind(self) -> str:
        return self.cells.attrs["kind"]

    @property
    def filter(self) -> IncidentFilter:
        return self.cells.attrs["filter"]

    @property
    def n_incidents(self) -> int:
        return int(self.cells["count"].sum())

    def class_counts(self) -> dict[int, int]:
        """Number of cells in each class 3..-3 (all seven keys)."""
        counts = self.cells["gi_class"].value_counts()
        return {k: int(counts.get(k, 0)) for k in CLASS_LABELS_ZH}

    def ranked(self) -> gpd.GeoDataFrame:
        """Cells hottest first: by class, then z-score, then count."""
        z = self.cells["gi_z"].fillna(-np.inf)
        order = np.lexsort((-self.cells["count"].to_numpy(), -z.to_numpy(), -self.cells["gi_class"].to_numpy()))
        return self.cells.iloc[order]


def gi_for_cells(
    frame: gpd.GeoDataFrame, *, permutations: int | None = None, seed: int | None = None, fdr: float | None = None
) -> HotspotResult:
    """Gi* on a counts frame of ``incident_counts`` (never modified; a copy is returned)."""
    permutations = permutations or settings.GRIDMAP_HOTSPOT_PERMUTATIONS
    if len(frame) == 0:
        msg = "研究区内没有网格：请先导入社区和网格边界"
        raise IncidentQueryError(msg)
    w, description = cell_weights(frame)
    result = gi_star(frame["count"].to_numpy(dtype=float), w, permutations=permutations, seed=seed, fdr=fdr)
    out = frame.copy()
    out["gi_z"] = result.z
    out["gi_p_sim"] = result.p_sim
    out["gi_p_norm"] = result.p_norm
    out["gi_class"] = result.classes
    out["gi_island"] = result.islands
    out["gi_label"] = [CLASS_LABELS_ZH[int(c)] for c in result.classes]
    out["gi_note"] = result.notes()
    out.attrs = dict(frame.attrs)
    return HotspotResult(cells=out, weights_description=description, permutations=permutations, fdr=fdr)


def hexagon_names(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The names of a hexagon counts frame's cells: those with incidents by the streets at their
    centre (``layers.facilities.places``: "六边形单元 · 人民南路与锦里西路交叉口附近"), the others
    "无事件的六边形单元": a person reads streets, never the lattice's q:r ids."""
    from layers.facilities.places import place_names

    busy = np.flatnonzero(frame["count"].to_numpy() > 0)
    names = np.full(len(frame), "无事件的六边形单元", dtype=object)
    if len(busy):
        xy = hex_centres_m(frame["q"].to_numpy()[busy], frame["r"].to_numpy()[busy], size_m=float(frame.attrs["size_m"]))
        names[busy] = [f"六边形单元 · {n}" for n in place_names(xy, int(frame.crs.to_epsg()))]
    return names


def hotspots(
    flt: IncidentFilter,
    *,
    kind: str = "grid",
    size_m: float | None = None,
    permutations: int | None = None,
    seed: int | None = None,
    fdr: float | None = None,
) -> HotspotResult:
    """Gi* hot and cold spots of the filtered incidents per grid cell or hexagon.

    ``seed`` None uses settings.GRIDMAP_HOTSPOT_SEED; ``fdr`` is the Benjamini–Hochberg rate
    (e.g. 0.05) or None for none.
    """
    frame = count_incidents(flt, kind=kind, size_m=size_m)
    seed = settings.GRIDMAP_HOTSPOT_SEED if seed is None else seed
    if kind != "hex":
        return gi_for_cells(frame, permutations=permutations, seed=seed, fdr=fdr)
    # Gi* (numpy) runs in a thread while the database names the hexagons: on two cores the two
    # overlap (0.1 s of a 0.8 s analysis of a million incidents, bench/hotspots.py).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridmap-gi") as pool:
        gi = pool.submit(gi_for_cells, frame, permutations=permutations, seed=seed, fdr=fdr)
        names = hexagon_names(frame)
        result = gi.result()
    result.cells["name"] = names
    return result


RANKINGS: dict[str, str] = {"gi": "按显著热点排序", "count": "按事件数排名（不代表统计显著）"}
"""Route rankings (``hottest_cells(rank=...)``) and their Chinese labels."""


def hottest_cells(result: HotspotResult, top_n: int, *, rank: str = "gi") -> gpd.GeoDataFrame:
    """The at most ``top_n`` cells a patrol should visit, among cells with incidents.

    ``rank="gi"``: only the significant hot spots (Gi* class 1..3, i.e. 90/95/99 %), 99 %
    first, then by their own count, then by z-score. Within a class the count decides, not
    z: z is high for a quiet cell wedged between busy ones, and a patrol is better spent
    where the incidents themselves happen. Fewer significant hot spots than ``top_n`` give a
    shorter list (never filled with cells that are not significant); none give an empty one.

    ``rank="count"``: by the cell's own count, then z-score: the busiest places whether or
    not they are significant (a count ranking, not a statistical finding).
    """
    if top_n < 1:
        msg = f"巡逻点数应为正整数；收到的是 {top_n}"
        raise IncidentQueryError(msg)
    if rank not in RANKINGS:
        msg = f"路线排序无效：应为按显著热点或按事件数；收到的是“{str(rank)[:20]}”"
        raise IncidentQueryError(msg)
    c = result.cells[result.cells["count"] > 0]
    if rank == "gi":
        c = c[c["gi_class"] > 0]
    z = c["gi_z"].fillna(-np.inf).to_numpy()
    if rank == "count":
        order = np.lexsort((-z, -c["count"].to_numpy()))
    else:
        order = np.lexsort((-z, -c["count"].to_numpy(), -c["gi_class"].to_numpy()))
    return c.iloc[order[:top_n]]


def has_hot_spots(result: HotspotResult) -> bool:
    """True when at least one cell with incidents is a significant hot spot."""
    cells = result.cells
    return bool(((cells["gi_class"] > 0) & (cells["count"] > 0)).any())


def ranking_notes(result: HotspotResult) -> list[str]:
    """Plain-Chinese lines for the patrol page: no significant hot spot for the filter, or
    the busiest cell not significant (and why a busy cell can be 不显著)."""
    cells = result.cells[result.cells["count"] > 0]
    if cells.empty:
        return []
    notes = []
    if not has_hot_spots(result):
        notes.append("所选条件下没有显著热点（置信度 90% 及以上）。下面的路线是按事件数的排名，"
                     "只说明哪里事件多，不代表统计上显著。")
    busiest = cells.iloc[int(np.argmax(cells["count"].to_numpy()))]
    if int(busiest["gi_class"]) <= 0:
        why = str(busiest.get("gi_note") or "") or "它周围的单元事件很少"
        notes.append(
            f"事件最多的「{busiest['name']}」（{int(busiest['count'])} 起）显示为{busiest['gi_label']}：{why}。"
            "热点分析把一个单元连同四周单元的事件数与全区比较，找的是连成一片的多发区域，"
            "单个单元事件多而四周很少时也会不显著；如要先去事件最多的地方，请把路线排序选为“按事件数”。"
        )
    return notes


# --- heat surface ---------------------------------------------------------------------------------


def density_surface(
    flt: IncidentFilter, *, bandwidth_m: float | None = None, cell_size_m: float | None = None
) -> DensityGrid | None:
    """Quartic kernel density (incidents per km²) of the filtered incidents, or None when
    there are fewer than two. Cells default to a fifth of the bandwidth (coarser if the
    grid would exceed a million cells)."""
    points = incident_points(flt)
    if len(points) < 2:
        return None
    xy = points[["x_m", "y_m"]].to_numpy(dtype=float)
    bandwidth_m = bandwidth_m or settings.GRIDMAP_KDE_BANDWIDTH_M
    if bandwidth_m is None:
        from layers.patrols.stats.density import silverman_bandwidth_m

        try:
            bandwidth_m = silverman_bandwidth_m(xy)
        except ValueError:  # all incidents at one place: no spread to measure
            bandwidth_m = float(settings.GRIDMAP_HEX_SIZE_M)
    area = study_area_m(district=flt.district)
    x0, y0, x1, y1 = area.bounds if area is not None else (*xy.min(axis=0), *xy.max(axis=0))
    bounds = (x0 - bandwidth_m, y0 - bandwidth_m, x1 + bandwidth_m, y1 + bandwidth_m)
    area_m2 = (bounds[2] - bounds[0]) * (bounds[3] - bounds[1])
    cell = max(cell_size_m or bandwidth_m / 5.0, math.sqrt(area_m2 / MAX_KDE_CELLS))
    return kde_quartic(xy, bandwidth_m=bandwidth_m, cell_size_m=cell, bounds_m=bounds)


# --- emerging hot spots ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EmergingAnalysis:
    """Emerging hot spots per cell. ``cells`` is the counts frame plus ``category`` (code of
    ``emerging.CATEGORIES``), ``category_zh``, ``trend_z``/``trend_p`` (Mann–Kendall on the
    Gi* z-scores), ``hot_bins`` and ``cold_bins`` (bins with a significant spot)."""

    cells: gpd.GeoDataFrame
    edges: list
    bin_kind: str
    result: EmergingResult
    weights_description: str


def emerging(
    flt: IncidentFilter,
    *,
    kind: str = "grid",
    size_m: float | None = None,
    bin_kind: str | None = None,
    n_bins: int | None = None,
    permutations: int | None = None,
    seed: int | None = None,
    alpha: float = 0.10,
    fdr: float | None = None,
) -> EmergingAnalysis:
    """Emerging hot spots over ``n_bins`` weekly or monthly bins ending at ``flt.until``
    (default now); the filter's ``since`` is ignored (the bins set the window)."""
    bin_kind = bin_kind or settings.GRIDMAP_EMERGING_BIN
    n_bins = n_bins or settings.GRIDMAP_EMERGING_BINS
    edges = bin_edges(flt.until or timezone.now(), bin_kind=bin_kind, n_bins=n_bins)
    frame, cube = count_incidents_by_bin(flt, edges, kind=kind, size_m=size_m)
    if len(frame) == 0:
        msg = "研究区内没有网格：请先导入社区和网格边界"
        raise IncidentQueryError(msg)
    w, description = cell_weights(frame)
    try:
        result = emerging_hotspots(
            cube, w, permutations=permutations or settings.GRIDMAP_HOTSPOT_PERMUTATIONS,
            seed=settings.GRIDMAP_HOTSPOT_SEED if seed is None else seed, alpha=alpha, fdr=fdr,
        )  # fmt: skip
    except ValueError as e:
        raise IncidentQueryError(f"时空热点分析参数无效：{e}") from e
    level = {0.10: 1, 0.05: 2, 0.01: 3}[round(alpha, 2)]
    out = frame.copy()
    out["category"] = result.categories
    out["category_zh"] = [CATEGORY_LABELS_ZH[c] for c in result.categories]
    out["trend_z"] = result.trend.z
    out["trend_p"] = result.trend.p
    out["hot_bins"] = (result.classes >= level).sum(axis=0)
    out["cold_bins"] = (result.classes <= -level).sum(axis=0)
    out.attrs = dict(frame.attrs)
    return EmergingAnalysis(cells=out, edges=edges, bin_kind=bin_kind, result=result, weights_description=description)
