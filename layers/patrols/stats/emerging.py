"""Emerging hot spot analysis: Gi* per time bin plus a Mann-Kendall trend per cell.

A cell is a *hot* (*cold*) spot in a bin when its Gi* class (see ``hotspots``) is at least
+k (at most -k), k = 1, 2, 3 for ``alpha`` = 0.10, 0.05, 0.01. The trend is the Mann-Kendall
test on the cell's series of Gi* z-scores, significant when its two-sided p < ``trend_alpha``
(default: ``alpha``). Categories follow ESRI's Emerging Hot Spot Analysis (ArcGIS Pro,
"How Emerging Hot Spot Analysis works"), "90 %" meaning at least 90 % of the bins:

- new: hot in the final bin and never a hot spot before.
- consecutive: a single uninterrupted run of at least two hot bins ending with the final
  bin, never hot before that run, and less than 90 % of bins hot.
- intensifying: hot in at least 90 % of bins including the final one, and the z-scores
  increase with a significant trend.
- persistent: hot in at least 90 % of bins with no significant trend in the z-scores.
- diminishing: hot in at least 90 % of bins including the final one, and the z-scores
  decrease with a significant trend.
- sporadic: hot in the final bin, on-again off-again hot before, less than 90 % of bins hot,
  and never a cold spot.
- oscillating: hot in the final bin, a cold spot in some earlier bin, less than 90 % hot.
- historical: not hot in the final bin, but hot in at least 90 % of bins.

Cold spots mirror these ("intensifying cold" = z-scores decreasing). Anything else is
``no_pattern``; so are islands. Where ESRI's texts overlap, the state of the final bin
decides first (as in R's sfdep): a cell with an earlier cold spot that is hot now for the
first time is oscillating, not new; a cell cold in the final bin after >= 90 % hot bins
is an oscillating cold spot, not a historical hot spot. Persistent, intensifying and
diminishing are only given when the final bin is hot (otherwise the cell is historical).

Simplification: the Gi* neighbourhood is spatial only (one bin at a time); ESRI can add
neighbouring time steps. ESRI needs at least 10 bins, and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from layers.patrols.stats.gistar import binary_weights, gi_star

if TYPE_CHECKING:
    from libpysal.weights import W

_KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
          "historical")  # fmt: skip
CATEGORIES: tuple[str, ...] = (
    *(f"{k}_hot" for k in _KINDS), *(f"{k}_cold" for k in _KINDS), "no_pattern",
)  # fmt: skip
"""Stable English codes of the 17 categories."""

CATEGORY_LABELS_ZH: MappingProxyType[str, str] = MappingProxyType({
    "new_hot": "新热点", "consecutive_hot": "连续热点", "intensifying_hot": "加强热点",
    "persistent_hot": "持续热点", "diminishing_hot": "减弱热点", "sporadic_hot": "零星热点",
    "oscillating_hot": "振荡热点", "historical_hot": "历史热点",
    "new_cold": "新冷点", "consecutive_cold": "连续冷点", "intensifying_cold": "加强冷点",
    "persistent_cold": "持续冷点", "diminishing_cold": "减弱冷点", "sporadic_cold": "零星冷点",
    "oscillating_cold": "振荡冷点", "historical_cold": "历史冷点",
    "no_pattern": "无模式",
})  # fmt: skip
"""Chinese label for each category code."""

_LEVEL_FOR_ALPHA = {0.10: 1, 0.05: 2, 0.01: 3}
MIN_BINS = 10


@dataclass(frozen=True, eq=False)
class MannKendallResult:
    """Mann-Kendall trend test per series.

    Attributes:
        s: S = sum over i < j of sign(x_j - x_i); > 0 means increasing.
        var_s: variance of S under no trend, with the tie correction.
        z: normal score with continuity correction, (S - sign(S)) / sqrt(var_s); 0 if S = 0.
        p: two-sided p-value of z.
    """

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray


def mann_kendall(series: np.ndarray) -> MannKendallResult:
    """Mann-Kendall test on each column of ``series`` ((n_bins,) or (n_bins, n_series)).

    Var(S) = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18 over groups of t tied values. A
    series with any NaN gets NaN results; an all-tied series gets S = 0, z = 0, p = 1.
    Results are arrays of shape (n_series,), or 0-d arrays for a 1-D input.
    """
    x = np.asarray(series, dtype=float)
    one_d = x.ndim == 1
    if one_d:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 3:
        msg = "series must be (n_bins,) or (n_bins, n_series) with n_bins >= 3"
        raise ValueError(msg)
    n, m = x.shape
    s = np.zeros(m)
    for lag in range(1, n):
        s += np.sign(x[lag:] - x[:-lag]).sum(axis=0)
    xs = np.sort(x, axis=0)
    starts_group = np.ones(xs.shape, dtype=bool)
    starts_group[1:] = xs[1:] != xs[:-1]
    group = np.cumsum(starts_group, axis=0) - 1 + np.arange(m) * n
    t = np.bincount(group.ravel(), minlength=n * m).reshape(m, n).astype(float)
    var_s = (n * (n - 1) * (2 * n + 5) - (t * (t - 1) * (2 * t + 5)).sum(axis=1)) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(var_s), 0.0)
    nan = np.isnan(x).any(axis=0)
    s[nan], var_s[nan], z[nan] = np.nan, np.nan, np.nan
    p = 2.0 * stats.norm.sf(np.abs(z))
    if one_d:
        s, var_s, z, p = (np.asarray(a[0]) for a in (s, var_s, z, p))
    return MannKendallResult(s=s, var_s=var_s, z=z, p=p)


def _final_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True values that ends with the final bin, per column."""
    return np.cumprod(flags[::-1], axis=0).sum(axis=0)


def _one_side(spot: np.ndarray, other: np.ndarray, up: np.ndarray, down: np.ndarray, side: str,
              out: np.ndarray) -> None:  # fmt: skip
    """Fill ``out`` for cells whose final bin is a ``spot`` (hot or cold) of this side."""
    n = spot.shape[0]
    n_spot = spot.sum(axis=0)
    ninety = 10 * n_spot >= 9 * n
    final = spot[-1]
    run = _final_run(spot)
    ever_other = other.any(axis=0)
    rules = [
        (final & ninety & up, "intensifying"),
        (final & ninety & down, "diminishing"),
        (final & ninety & ~up & ~down, "persistent"),
        (final & ~ninety & ever_other, "oscillating"),
        (final & ~ninety & (n_spot == 1), "new"),
        (final & ~ninety & (run >= 2) & (n_spot == run), "consecutive"),
        (final & ~ninety & (n_spot > run), "sporadic"),
    ]
    for mask, kind in rules:
        out[mask & (out == "")] = f"{kind}_{side}"


def classify_emerging(
    hot: np.ndarray,
    cold: np.ndarray,
    *,
    trend_s: np.ndarray,
    trend_p: np.ndarray,
    trend_alpha: float,
) -> np.ndarray:
    """ESRI emerging hot spot category code per cell (rules in the module docstring).

    Args:
        hot, cold: (n_bins, n_cells) booleans, significant hot / cold spot per bin (never both).
        trend_s: Mann-Kendall S of each cell's z-score series (sign = direction), NaN to skip.
        trend_p: its two-sided p-value.
        trend_alpha: a trend is significant when ``trend_p < trend_alpha``.

    Returns:
        (n_cells,) array of codes from ``CATEGORIES``.
    """
    hot, cold = np.asarray(hot, dtype=bool), np.asarray(cold, dtype=bool)
    if hot.ndim != 2 or hot.shape != cold.shape or (hot & cold).any():
        msg = "hot and cold must be (n_bins, n_cells) boolean arrays, never both True"
        raise ValueError(msg)
    s, p = np.asarray(trend_s, dtype=float), np.asarray(trend_p, dtype=float)
    with np.errstate(invalid="ignore"):
        significant = p < trend_alpha
    up, down = significant & (s > 0), significant & (s < 0)
    out = np.full(hot.shape[1], "", dtype="<U17")
    # For cold spots "intensifying" means the z-scores are falling.
    _one_side(hot, cold, up, down, "hot", out)
    _one_side(cold, hot, down, up, "cold", out)
    n = hot.shape[0]
    neither_now = ~hot[-1] & ~cold[-1] & (out == "")
    out[neither_now & (10 * hot.sum(axis=0) >= 9 * n)] = "historical_hot"
    out[neither_now & (10 * cold.sum(axis=0) >= 9 * n)] = "historical_cold"
    # A final cold bin after >= 90 % hot bins is caught above as oscillating cold.
    out[out == ""] = "no_pattern"
    return out


@dataclass(frozen=True, eq=False)
class EmergingResult:
    """Emerging hot spot analysis of a (n_bins, n_cells) count cube.

    Attributes:
        z, p_sim, classes: (n_bins, n_cells) Gi* z-scores, two-sided permutation p-values
            and classes -3..3 of each bin (see ``hotspots.gi_star``).
        trend: Mann-Kendall test of each cell's z-score series.
        categories: (n_cells,) category codes from ``CATEGORIES``.
        islands: (n_cells,) cells without neighbours (always ``no_pattern``).
    """

    z: np.ndarray
    p_sim: np.ndarray
    classes: np.ndarray
    trend: MannKendallResult
    categories: np.ndarray
    islands: np.ndarray

    @property
    def labels_zh(self) -> np.ndarray:
        """Chinese label of each cell's category."""
        return np.array([CATEGORY_LABELS_ZH[c] for c in self.categories])


def emerging_hotspots(
    counts_by_bin: np.ndarray,
    weights: W,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.10,
    trend_alpha: float | None = None,
    fdr: float | None = None,
    n_jobs: int = 1,
) -> EmergingResult:
    """Emerging hot spots from incident counts per time bin (weekly, monthly...) and cell.

    Args:
        counts_by_bin: (n_bins, n_cells) non-negative counts, bins in time order (at least
            10), cells ordered as ``weights.id_order``.
        weights: spatial weights of the cells, used as binary (see ``hotspots``).
        permutations: Gi* permutations per bin.
        seed: bin b uses seed + b (None: unseeded).
        alpha: per-bin significance, one of 0.10, 0.05, 0.01 (Gi* class 1, 2 or 3).
        trend_alpha: Mann-Kendall significance; None means ``alpha``.
        fdr: optional Benjamini-Hochberg rate applied within each bin.
        n_jobs: esda worker processes per Gi* run.
    """
    level = next((v for a, v in _LEVEL_FOR_ALPHA.items() if np.isclose(alpha, a)), None)
    if level is None:
        msg = f"alpha must be one of {sorted(_LEVEL_FOR_ALPHA)}, got {alpha}"
        raise ValueError(msg)
    counts = np.asarray(counts_by_bin, dtype=float)
    if counts.ndim != 2 or counts.shape[0] < MIN_BINS:
        msg = f"counts_by_bin must be (n_bins, n_cells) with at least {MIN_BINS} bins"
        raise ValueError(msg)
    w = binary_weights(weights)
    runs = [
        gi_star(counts[b], w, permutations=permutations, seed=None if seed is None else seed + b,
                fdr=fdr, n_jobs=n_jobs)
        for b in range(counts.shape[0])
    ]  # fmt: skip
    z = np.stack([r.z for r in runs])
    classes = np.stack([r.classes for r in runs])
    trend = mann_kendall(z)
    categories = classify_emerging(
        classes >= level, classes <= -level, trend_s=trend.s, trend_p=trend.p,
        trend_alpha=alpha if trend_alpha is None else trend_alpha,
    )  # fmt: skip
    islands = runs[0].islands
    categories[islands] = "no_pattern"
    return EmergingResult(
        z=z, p_sim=np.stack([r.p_sim for r in runs]), classes=classes, trend=trend,
        categories=categories, islands=islands,
    )  # fmt: skip
