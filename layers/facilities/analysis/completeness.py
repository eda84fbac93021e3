"""Fifteen-minute life-circle completeness (15分钟社区生活圈, GB 50180-2018, TD/T 1062-2021),
pure on arrays: which facility types each household reaches within its level's minutes, and
per group (community, grid) how many households have every type of a level.

A type of level L (5, 10 or 15 minutes) is *reached* by a household when its walking time to
the nearest facility of the type is at most L minutes. A household is *complete* at level L
when it reaches every type of every level up to L: the standard asks a lower tier's
facilities wherever a higher tier is planned, so the 15-minute circle includes the 5- and
10-minute types.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Completeness:
    """Counts per group (rows of every array follow ``groups``' order, 0 … n_groups - 1).

    ``levels``: the levels' minutes, ascending; ``households[g]``; ``complete[g, k]``
    households of group g complete at ``levels[k]``; ``reached[g, t]`` households of group g
    reaching type t within its level's minutes."""

    levels: np.ndarray
    households: np.ndarray
    complete: np.ndarray
    reached: np.ndarray


def reached_types(minutes: np.ndarray, type_level_minutes: np.ndarray) -> np.ndarray:
    """(n households, T types) bool: walking ``minutes`` (NaN: no facility of the type
    reachable) at most the type's level minutes."""
    minutes = np.asarray(minutes, dtype=float)
    with np.errstate(invalid="ignore"):
        return minutes <= np.asarray(type_level_minutes, dtype=float)[None, :]


def life_circle_completeness(minutes: np.ndarray, type_level_minutes: np.ndarray, group: np.ndarray,
                             n_groups: int) -> Completeness:
    """Completeness of households in groups.

    ``minutes``: (n, T) walking minutes from each household to the nearest facility of each
    type (NaN where none is reachable); ``type_level_minutes``: (T,) each type's level (5, 10,
    15); ``group``: (n,) each household's group index in 0 … ``n_groups`` - 1."""
    levels_of_type = np.asarray(type_level_minutes, dtype=float)
    levels = np.unique(levels_of_type)
    reach = reached_types(minutes, levels_of_type)
    group = np.asarray(group, dtype=np.int64)
    households = np.bincount(group, minlength=n_groups)
    complete = np.zeros((n_groups, len(levels)), dtype=np.int64)
    for k, level in enumerate(levels):
        ok = reach[:, levels_of_type <= level].all(axis=1)
        complete[:, k] = np.bincount(group, weights=ok, minlength=n_groups).astype(np.int64)
    reached = np.zeros((n_groups, reach.shape[1]), dtype=np.int64)
    for t in range(reach.shape[1]):
        reached[:, t] = np.bincount(group, weights=reach[:, t], minlength=n_groups).astype(np.int64)
    return Completeness(levels.astype(np.int64), households, complete, reached)


def missing_types(reached: np.ndarray, households: int, *, min_share: float = 0.5) -> np.ndarray:
    """Indexes of the types that fewer than ``min_share`` of a group's ``households`` reach
    (``reached``: (T,) households reaching each type)."""
    if households <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.asarray(reached) < min_share * households)
