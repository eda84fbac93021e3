"""Judge a hot spot map on a later period: hit rate and Prediction Accuracy Index.

PAI = (n / N) / (a / A) (Chainey, Tompson & Uhlig 2008): n of the N later incidents fall in
the flagged cells, which cover a of the study area A. PAI = 1 is no better than chance;
higher is better. Cell ids are any hashable labels; when areas come as a plain array the
ids are the positions 0..n-1.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PAIResult:
    """Hit rate, area share and PAI of a set of flagged cells.

    Attributes:
        n_hits: later incidents in flagged cells (n).
        n_incidents: all later incidents (N).
        hit_rate: n / N.
        area_flagged_m2: area of the flagged cells in square metres (a).
        area_total_m2: area of all cells in square metres (A).
        area_share: a / A.
        pai: (n / N) / (a / A); NaN when no cell is flagged.
    """

    n_hits: int
    n_incidents: int
    hit_rate: float
    area_flagged_m2: float
    area_total_m2: float
    area_share: float
    pai: float


def _as_series(values: Mapping[Hashable, float] | pd.Series | np.ndarray, name: str) -> pd.Series:
    if isinstance(values, pd.Series):
        s = values.astype(float)
    elif isinstance(values, Mapping):
        s = pd.Series(dict(values), dtype=float)
    else:
        s = pd.Series(np.asarray(values, dtype=float))
    if not s.index.is_unique:
        msg = f"{name}: cell ids must be unique"
        raise ValueError(msg)
    if s.isna().any() or not np.isfinite(s.to_numpy()).all():
        msg = f"{name} must be finite for every cell"
        raise ValueError(msg)
    return s


def _unknown(ids: pd.Index, known: pd.Index, name: str) -> None:
    missing = ids.difference(known)
    if len(missing):
        msg = f"{name} has ids that are not cells: {list(missing[:5])}"
        raise ValueError(msg)


def prediction_accuracy(
    flagged_cell_ids: Iterable[Hashable],
    cell_areas_m2: Mapping[Hashable, float] | pd.Series | np.ndarray,
    later_incident_cell_ids: Iterable[Hashable],
) -> PAIResult:
    """Hit rate and PAI of ``flagged_cell_ids`` against incidents of a later period.

    Args:
        flagged_cell_ids: the cells marked as hot spots (duplicates are ignored).
        cell_areas_m2: area in square metres of every cell of the study area (its sum is A).
        later_incident_cell_ids: the cell of each later incident, one entry per incident.
            Drop incidents outside the study area first: unknown ids raise ValueError.
    """
    areas = _as_series(cell_areas_m2, "cell_areas_m2")
    if (areas < 0).any() or areas.sum() <= 0:
        msg = "cell_areas_m2 must be non-negative with a positive total"
        raise ValueError(msg)
    flagged = pd.Index(pd.unique(pd.Series(list(flagged_cell_ids), dtype=object)))
    incidents = pd.Series(list(later_incident_cell_ids), dtype=object)
    _unknown(flagged, areas.index, "flagged_cell_ids")
    _unknown(pd.Index(incidents.unique()), areas.index, "later_incident_cell_ids")
    if len(incidents) == 0:
        msg = "there are no later incidents to judge the map on"
        raise ValueError(msg)
    n_hits = int(incidents.isin(flagged).sum())
    area_flagged = float(areas.loc[flagged].sum()) if len(flagged) else 0.0
    area_total = float(areas.sum())
    hit_rate = n_hits / len(incidents)
    area_share = area_flagged / area_total
    return PAIResult(
        n_hits=n_hits,
        n_incidents=len(incidents),
        hit_rate=hit_rate,
        area_flagged_m2=area_flagged,
        area_total_m2=area_total,
        area_share=area_share,
        pai=hit_rate / area_share if area_share > 0 else float("nan"),
    )


def top_cells_by_area_share(
    scores: Mapping[Hashable, float] | pd.Series | np.ndarray,
    areas: Mapping[Hashable, float] | pd.Series | np.ndarray,
    *,
    area_share: float = 0.05,
) -> list[Hashable]:
    """The highest-scoring cells whose total area stays within ``area_share`` of all cells.

    Cells are taken in decreasing score (ties: the order of ``scores``) until the next one
    would push the flagged area above ``area_share`` x the total area of ``areas``; so the
    flagged share never exceeds ``area_share``. Both inputs are keyed by cell id (arrays:
    positions). Areas are in any one unit (square metres in gridmap).
    """
    if not 0 < area_share <= 1:
        msg = f"area_share must be in (0, 1], got {area_share}"
        raise ValueError(msg)
    s = _as_series(scores, "scores")
    a = _as_series(areas, "areas")
    _unknown(s.index, a.index, "scores")
    if (a < 0).any() or a.sum() <= 0:
        msg = "areas must be non-negative with a positive total"
        raise ValueError(msg)
    order = s.sort_values(ascending=False, kind="stable").index
    cumulative = a.loc[order].cumsum().to_numpy()
    limit = area_share * float(a.sum()) * (1 + 1e-12)  # tolerate rounding in the sum
    n_take = int(np.searchsorted(cumulative, limit, side="right"))
    return [k.item() if isinstance(k, np.generic) else k for k in order[:n_take]]
