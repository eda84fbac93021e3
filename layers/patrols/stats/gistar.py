"""Getis-Ord Gi* hot spots on incident counts per cell, with permutation inference.

The core, :func:`gi_star`, takes plain arrays and a libpysal ``W``; its caller
(layers.patrols.hotspots) builds the weights from the cells of a GeoDataFrame.

Weights
    Gi* is computed by ``esda.G_Local(y, w, star=True, transform="B")``: binary weights, the
    focal cell included with weight 1. Neighbours come either from
    :func:`distance_band_weights` (cell centroids within ``threshold_m`` metres, ESRI's
    "fixed distance band") or from libpysal contiguity (``Queen`` / ``Rook``) on the cell
    polygons. Whatever is passed in is reduced to that binary structure by
    :func:`binary_weights`: every listed neighbour with a non-zero weight counts 1 and
    self-neighbours are dropped (Gi* adds the focal cell itself).

Classes (DOMAIN.md section 5, the ESRI convention)
    ``classes`` is +3/+2/+1 for a hot spot and -3/-2/-1 for a cold spot at 99/95/90 %
    confidence, 0 otherwise. A cell gets level k for the highest k where BOTH
    ``|z| > Z_THRESHOLDS[k]`` (1.65, 1.96, 2.58) AND ``p_sim < P_THRESHOLDS[k]``
    (0.10, 0.05, 0.01); the sign is the sign of z. ``p_sim`` is two-sided: esda returns a
    one-sided "directed" pseudo p-value, (min(#sims >= obs, #sims < obs) + 1) / (P + 1),
    which we double (capped at 1) to put it on the same two-sided scale as the z thresholds.
    The smallest two-sided p with P permutations is 2 / (P + 1), so the 99 % class needs
    P >= 200 (default 999).

False discovery rate
    With ``fdr=q`` the Benjamini-Hochberg procedure at level q runs on ``p_sim`` of all
    non-island cells; cells it does not reject get class 0, the others keep their class.

Islands and flat fields
    A cell without neighbours has no neighbourhood to test (esda would give it a spurious
    tiny p): its z, p_sim and p_norm are NaN, its class is 0, ``islands`` flags it and it is
    left out of the FDR family. If all counts are equal (for instance a bin with no
    incidents) Gi* is undefined: every non-island cell gets z = 0, p = 1, class 0. A cell
    that neighbours every other cell compares its neighbourhood with itself (the whole
    area): z and p are NaN, class 0, ``all_neighbours`` flags it and :meth:`GiStarResult.notes`
    says why (shown as ``gi_note`` in the hot spot table and map).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from esda.getisord import G_Local
from libpysal.weights import W
from scipy import sparse, stats
from scipy.spatial import cKDTree

if TYPE_CHECKING:
    pass

Z_THRESHOLDS: tuple[float, float, float] = (1.65, 1.96, 2.58)
"""|z| must exceed these for the 90 / 95 / 99 % classes."""
P_THRESHOLDS: tuple[float, float, float] = (0.10, 0.05, 0.01)
"""The two-sided permutation p must be below these for the 90 / 95 / 99 % classes."""

NOTE_ALL_NEIGHBOURS = "该单元与全部单元相邻，无法计算热点统计量"
NOTE_ISLAND = "该单元没有相邻单元，无法计算热点统计量"
NOTE_NO_Z = "无法计算热点统计量"

# Tolerance so lattice neighbours at exactly threshold_m are kept despite rounding.
_BAND_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class GiStarResult:
    """Gi* per cell, arrays aligned with the counts (that is with ``weights.id_order``).

    Attributes:
        z: Gi* z-score under the normality assumption (esda ``Zs``); NaN for islands.
        p_sim: two-sided permutation pseudo p-value (2 x esda's directed ``p_sim``, <= 1).
        p_norm: two-sided normal p-value of ``z``.
        classes: int8 in -3..3 (see module docstring), after FDR if requested.
        islands: True where the cell has no neighbour.
        all_neighbours: True where the cell neighbours every other cell (z, p NaN).
        fdr_pass: cells kept by Benjamini-Hochberg, or None when ``fdr`` was not set.
        permutations: number of permutations used.
    """

    z: np.ndarray
    p_sim: np.ndarray
    p_norm: np.ndarray
    classes: np.ndarray
    islands: np.ndarray
    all_neighbours: np.ndarray
    fdr_pass: np.ndarray | None
    permutations: int

    def notes(self) -> list[str]:
        """Why a cell has no Gi* (Chinese, "" where it has one)."""
        return [NOTE_ALL_NEIGHBOURS if a else NOTE_ISLAND if i else NOTE_NO_Z if not np.isfinite(z) else ""
                for z, i, a in zip(self.z.tolist(), self.islands.tolist(), self.all_neighbours.tolist(), strict=True)]


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def binary_weights(weights: W) -> W:
    """Return ``weights`` as binary (all 1) with no self-neighbours; never modifies the input.

    Returns the same object when it already is binary with a zero diagonal.
    """
    sp = weights.sparse.tocsr()
    if not sp.diagonal().any() and np.all(sp.data == 1):
        return weights
    coo = sp.tocoo()
    keep = (coo.data != 0) & (coo.row != coo.col)
    ids = list(weights.id_order)
    neighbors: dict = {i: [] for i in ids}
    for r, c in zip(coo.row[keep].tolist(), coo.col[keep].tolist(), strict=True):
        neighbors[ids[r]].append(ids[c])
    return W(neighbors, id_order=ids, silence_warnings=True)


def distance_band_weights(xy_m: np.ndarray, *, threshold_m: float) -> W:
    """Binary distance-band weights: cells whose centroids are within ``threshold_m`` metres.

    ``xy_m`` is an (n, 2) array of projected coordinates in metres; ids are 0..n-1. The focal
    cell is not its own neighbour (Gi* adds it). Distances equal to ``threshold_m`` count
    (with a 1e-9 relative tolerance), so on a hexagon lattice ``threshold_m = size_m`` gives
    the 6 adjacent cells and on a square lattice of side s, ``1.5 * s`` gives the 8 around.
    Cells with nobody in range become islands (see module docstring).
    """
    xy = np.asarray(xy_m, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
        msg = "xy_m must be a finite (n, 2) array of coordinates in metres"
        raise ValueError(msg)
    if not threshold_m > 0:
        msg = f"threshold_m must be positive, got {threshold_m}"
        raise ValueError(msg)
    n = len(xy)
    pairs = cKDTree(xy).query_pairs(r=threshold_m * (1 + _BAND_RTOL), output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.lexsort((j, i))
    i, j = i[order], j[order]
    starts = np.searchsorted(i, np.arange(n + 1))
    neighbors = {k: j[starts[k] : starts[k + 1]].tolist() for k in range(n)}
    return W(neighbors, id_order=list(range(n)), silence_warnings=True)


def contiguity_weights(polygons_m: np.ndarray, *, buffer_m: float) -> W:
    """Binary contiguity: cells whose polygons, each grown by ``buffer_m`` metres, intersect.

    The same neighbours, in the same order, as ``libpysal.weights.fuzzy_contiguity(frame,
    buffering=True, buffer=buffer_m, predicate="intersects")`` (one STRtree query of the grown
    polygons against themselves), without its per-cell scan of all pairs. Ids are 0..n-1.
    """
    import shapely

    grown = shapely.buffer(np.asarray(polygons_m, dtype=object), buffer_m)
    inp, res = shapely.STRtree(grown).query(grown, predicate="intersects")
    keep = inp != res
    inp, res = inp[keep], res[keep]
    order = np.argsort(inp, kind="stable")  # grouped by cell, the tree's order kept within a cell
    inp, res = inp[order], res[order]
    n = len(grown)
    starts = np.searchsorted(inp, np.arange(n + 1))
    neighbors = {k: res[starts[k] : starts[k + 1]].tolist() for k in range(n)}
    return W(neighbors, id_order=list(range(n)), silence_warnings=True)


def exact_p(p_sim: np.ndarray, permutations: int | None = None) -> np.ndarray:
    """Permutation p-values as float64 without float32 noise.

    esda stores p_sim as float32: 0.01 comes back as 0.0099999998, which is below 0.01.
    With ``permutations`` P every p is a multiple of 1 / (P + 1): it is rounded to that grid
    (k / (P + 1) computed in float64, so 1/100 is exactly the float 0.01). Without P a
    float32 input is read back as the shortest decimal that gives the same float32
    (np.float32(0.01) → 0.01); float64 input is returned as it is.
    """
    raw = np.asarray(p_sim)
    if permutations is not None:
        grid = float(permutations + 1)
        with np.errstate(invalid="ignore"):
            return np.round(raw.astype(np.float64) * grid) / grid
    if raw.dtype == np.float32:
        flat = [float(np.format_float_positional(v, unique=True)) if np.isfinite(v) else float(v)
                for v in raw.ravel()]
        return np.asarray(flat, dtype=np.float64).reshape(raw.shape)
    return raw.astype(np.float64)


def classify_gi(z: np.ndarray, p_sim: np.ndarray, *, permutations: int | None = None) -> np.ndarray:
    """Classes -3..3 from z-scores and two-sided permutation p-values (rule in module doc).

    The p thresholds are strict (p = 0.010 is 95 %, not 99 %), compared in float64 after
    :func:`exact_p`. NaN z or p gives class 0.
    """
    z = np.asarray(z, dtype=float)
    p = exact_p(p_sim, permutations)
    level = np.zeros(z.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for k, (z_k, p_k) in enumerate(zip(Z_THRESHOLDS, P_THRESHOLDS, strict=True), start=1):
            level[(np.abs(z) > z_k) & (p < p_k)] = k
    return (level * np.sign(np.nan_to_num(z))).astype(np.int8)


def benjamini_hochberg(p_values: np.ndarray, *, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg step-up: True where the hypothesis is rejected at FDR ``alpha``.

    Rejects every p <= p_(k), k the largest rank with p_(k) <= k * alpha / m. NaN p-values
    are left out of the family (m counts finite p only) and never rejected.
    """
    if not 0 < alpha < 1:
        msg = f"alpha must be in (0, 1), got {alpha}"
        raise ValueError(msg)
    p = np.asarray(p_values, dtype=float)
    finite = np.isfinite(p)
    m = int(finite.sum())
    if m == 0:
        return np.zeros(p.shape, dtype=bool)
    ps = np.sort(p[finite])
    below = np.nonzero(ps <= np.arange(1, m + 1) * alpha / m)[0]
    if below.size == 0:
        return np.zeros(p.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return finite & (p <= ps[below[-1]])


def _validate_counts(counts: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(counts, dtype=float)
    if y.ndim != 1 or y.shape[0] != n:
        msg = f"counts must be a 1-D array of length {n} (the number of cells in weights)"
        raise ValueError(msg)
    if not np.isfinite(y).all() or (y < 0).any():
        msg = "counts must be finite and non-negative"
        raise ValueError(msg)
    return y


# Counts whose sums stay below 2**40 are added exactly in float64 (see _gi_star_counts).
_EXACT_SUM_LIMIT = float(2**40)
# Cells per block of the vectorised permutations: block × permutations floats at a time.
_BLOCK_ELEMENTS = 1_000_000


def _exact_counts(y: np.ndarray) -> bool:
    """True for whole, non-negative counts whose total is summed exactly in float64."""
    return bool(np.all(y == np.floor(y))) and float(y.sum()) < _EXACT_SUM_LIMIT


def _binary_csr(weights: W) -> sparse.csr_matrix:
    """The neighbour structure of ``weights`` (already binary, no self-neighbours) as a CSR of ones."""
    sp = weights.sparse.tocsr()
    return sparse.csr_matrix((np.ones(sp.nnz), sp.indices, sp.indptr), shape=sp.shape)


def _gi_star_counts(y: np.ndarray, adjacency: sparse.csr_matrix, *, permutations: int,
                    seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and esda's directed permutation p of whole counts, identical to
    ``esda.G_Local(y, w, transform="B", star=True, permutations=..., seed=...)``.

    The z-scores follow esda's ``G_Local.calc`` operation for operation. The permutations are
    esda's own draws (``esda.crand.vec_permutations`` with the same seed), but evaluated for
    all cells of a cardinality at once instead of one cell at a time: cell i's k-th random
    neighbour is the ``perm``-th cell of the others, i.e. cell ``perm + (perm >= i)``. With
    whole counts every sum is exact in float64, so comparing the integer sums decides
    exactly as esda's ``(sum + y_i) / y.sum() >= G_i`` does: the same counts, the same p.
    """
    from esda.crand import vec_permutations

    n = y.shape[0]
    degree = np.diff(adjacency.indptr)
    neighbour_sum = adjacency @ y
    # esda G_Local.calc with star=True (remove_self False) and binary weights with a unit diagonal.
    remove_self = False
    statistic = (neighbour_sum + y) / (y.sum() - y * remove_self)
    empirical_mean = (y.sum() - y * remove_self) / n
    mean_of_squares = ((y**2).sum() - (y**2) * remove_self) / n
    empirical_variance = mean_of_squares - empirical_mean**2
    cardinality = (degree + 1).astype(float)
    expected_value = cardinality / n
    expected_variance = cardinality * (n - cardinality)
    expected_variance /= n - 1
    expected_variance *= 1 / n**2
    expected_variance *= empirical_variance / (empirical_mean**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (statistic - expected_value) / np.sqrt(expected_variance)
    if seed is None:
        seed = np.random.randint(12345, 12345000)  # as esda.crand does
    perm = vec_permutations(int(degree.max()), n, permutations, seed)
    larger = np.zeros(n, dtype=np.int64)
    for c in np.unique(degree[degree > 0]).tolist():
        cells = np.flatnonzero(degree == c)
        ids = perm[:, :c]
        low, step = y[ids], y[np.minimum(ids + 1, n - 1)] - y[ids]
        base = low.sum(axis=1)
        ids_t, step_t = np.ascontiguousarray(ids.T), np.ascontiguousarray(step.T)
        block = max(1, _BLOCK_ELEMENTS // permutations)
        for start in range(0, len(cells), block):
            part = cells[start:start + block, None]
            sums = np.repeat(base[None, :], len(part), axis=0)
            for k in range(c):  # one neighbour column at a time: long contiguous rows, no small-axis sum
                sums += (ids_t[k][None, :] >= part) * step_t[k][None, :]
            larger[part[:, 0]] = np.count_nonzero(sums >= neighbour_sum[part], axis=1)
    flip = (permutations - larger) < larger
    larger[flip] = permutations - larger[flip]
    return z, (larger + 1.0) / (permutations + 1.0)


def gi_star(
    counts: np.ndarray,
    weights: W,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    fdr: float | None = None,
    n_jobs: int = 1,
) -> GiStarResult:
    """Getis-Ord Gi* of incident ``counts`` per cell with permutation inference.

    Args:
        counts: (n,) non-negative counts, ordered as ``weights.id_order``.
        weights: libpysal ``W``, used as binary (see module docstring).
        permutations: conditional permutations for ``p_sim`` (at least 1).
        seed: seed for esda's permutations; None draws one from numpy's global state.
        fdr: if set, Benjamini-Hochberg false discovery rate applied to the classes.
        n_jobs: esda worker processes (1 = in process; -1 = all CPUs).

    Returns:
        GiStarResult with arrays aligned with ``counts``.
    """
    if permutations < 1:
        msg = f"permutations must be >= 1, got {permutations}"
        raise ValueError(msg)
    y = _validate_counts(counts, weights.n)
    w = binary_weights(weights)
    degree = np.asarray(w.sparse.getnnz(axis=1))
    islands = degree == 0
    n = y.shape[0]
    if np.ptp(y) == 0:
        z, p_sim = np.zeros(n), np.ones(n)
    elif _exact_counts(y) and w.sparse.getnnz() > 0:
        adjacency = _binary_csr(w)
        z, p_directed = _gi_star_counts(y, adjacency, permutations=permutations, seed=seed)
        p_sim = np.minimum(1.0, 2.0 * p_directed)
    else:
        with warnings.catch_warnings():
            # esda asks callers to pick crand's `alternative`; G_Local cannot pass one.
            warnings.filterwarnings(
                "ignore", message="The alternative hypothesis", category=DeprecationWarning
            )
            # libpysal re-warns about islands / components when esda copies the weights;
            # islands are handled here and disconnected parts are fine for a local statistic.
            warnings.filterwarnings("ignore", message="The weights matrix is not fully connected")
            warnings.filterwarnings("ignore", message=".*island")
            # A cell neighbouring every other one has no variance: esda divides 0 by 0 (NaN, flagged below).
            with np.errstate(invalid="ignore", divide="ignore"):
                g = G_Local(
                    y, w, transform="B", star=True, permutations=permutations,
                    seed=seed, keep_simulations=False, n_jobs=n_jobs,
                )  # fmt: skip
        z = np.asarray(g.Zs, dtype=float).copy()
        # esda's directed p = (k + 1) / (P + 1) comes as float32: back to that exact fraction.
        p_sim = np.minimum(1.0, 2.0 * exact_p(g.p_sim, permutations))
    z[islands] = np.nan
    p_sim[islands] = np.nan
    # A cell neighbouring every other cell sees the whole study area: its Gi* has no
    # variance (esda gives z = NaN); it is flagged, not silently "not significant".
    all_neighbours = (degree >= n - 1) & (n > 1)
    z[all_neighbours] = np.nan
    p_sim[all_neighbours] = np.nan
    p_norm = 2.0 * stats.norm.sf(np.abs(z))
    classes = classify_gi(z, p_sim)
    fdr_pass = None
    if fdr is not None:
        fdr_pass = benjamini_hochberg(p_sim, alpha=fdr)
        classes[~fdr_pass] = 0
        fdr_pass = _read_only(fdr_pass)
    return GiStarResult(
        z=_read_only(z),
        p_sim=_read_only(p_sim),
        p_norm=_read_only(p_norm),
        classes=_read_only(classes),
        islands=_read_only(islands),
        all_neighbours=_read_only(all_neighbours),
        fdr_pass=fdr_pass,
        permutations=permutations,
    )
