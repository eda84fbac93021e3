"""Gi* with 999 permutations on 10,000 hexagon cells, ours next to a direct esda.G_Local run.

    .venv/bin/python bench/hotspots_core.py [--incidents 1000000] [--side 100] [--repeats 3]

Draws incidents (fixed seed) from a clustered mixture: half uniform over the study area,
half from 25 Gaussian clusters of 150-800 m standard deviation. They are aggregated over a
side x side lattice of pointy-top hexagons of 200 m (edge to edge, so ~20 km x 17 km),
neighbours are the 6 adjacent cells (distance band of 200 m), and then it times, for
n_jobs = 1 and n_jobs = -1 (all CPUs):
  - ours: layers.patrols.stats.gistar.gi_star(counts, w, permutations=999, seed=0), which
    adds the input checks, the two-sided p, the classes and keep_simulations=False;
  - esda: esda.G_Local(counts, w, transform="B", star=True, permutations=999, seed=0)
    with esda's defaults otherwise (keep_simulations=True), and once more with
    keep_simulations=False to show what the wrapper itself costs,
on the same counts and weights, and prints the times (median of the repeats) and ratios.
No database is needed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZE_M = 200.0
PERMUTATIONS = 999


def incidents(n: int, extent_m: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """n points: half uniform over [0, extent], half from 25 Gaussian clusters."""
    n_bg = n // 2
    background = rng.uniform((0.0, 0.0), extent_m, (n_bg, 2))
    centres = rng.uniform((0.0, 0.0), extent_m, (25, 2))
    sigma = rng.uniform(150.0, 800.0, 25)
    which = rng.choice(25, size=n - n_bg, p=rng.dirichlet(np.ones(25)))
    clustered = centres[which] + rng.normal(size=(n - n_bg, 2)) * sigma[which, None]
    return np.vstack([background, clustered])


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--side", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    import esda

    from layers.patrols.stats.cells import hex_axial_coords, hex_centres_m
    from layers.patrols.stats.gistar import distance_band_weights, gi_star

    side = args.side
    rows, cols = np.divmod(np.arange(side * side), side)
    q, r = cols - rows // 2, rows  # a rectangular block of rows of the axial lattice
    centres = hex_centres_m(q, r, size_m=SIZE_M)
    extent = (float(centres[:, 0].max()), float(centres[:, 1].max()))
    rng = np.random.default_rng(20240601)
    points = incidents(args.incidents, extent, rng)

    t0 = time.perf_counter()
    pq, pr = hex_axial_coords(points, size_m=SIZE_M)
    pcol = pq + pr // 2
    inside = (pr >= 0) & (pr < side) & (pcol >= 0) & (pcol < side)
    counts = np.bincount(pr[inside] * side + pcol[inside], minlength=side * side).astype(float)
    t_agg = time.perf_counter() - t0
    t0 = time.perf_counter()
    w = distance_band_weights(centres, threshold_m=SIZE_M)
    t_w = time.perf_counter() - t0

    n_in = int(counts.sum())
    print(f"{args.incidents:,} incidents, {n_in:,} inside {side * side:,} hexagons of {SIZE_M:.0f} m")
    lo, mid, hi = counts.min(), np.median(counts), counts.max()
    print(f"  counts per cell: min {lo:.0f}, median {mid:.0f}, max {hi:.0f}")
    print(f"  aggregation (axial rounding + bincount): {t_agg:.3f} s; distance-band weights: {t_w:.3f} s")

    def ours(n_jobs: int) -> Callable[[], Any]:
        return lambda: gi_star(counts, w, permutations=PERMUTATIONS, seed=0, n_jobs=n_jobs)

    def direct(n_jobs: int, *, keep: bool = True) -> Callable[[], Any]:
        def run() -> object:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # crand's `alternative` notice, as gi_star does
                return esda.G_Local(counts, w, transform="B", star=True, permutations=PERMUTATIONS,
                                    seed=0, n_jobs=n_jobs, keep_simulations=keep)  # fmt: skip
        return run

    print(f"Gi* with {PERMUTATIONS} permutations, median of {args.repeats}:")
    for n_jobs in (1, -1):
        t_ours, res = timed(ours(n_jobs), args.repeats)
        t_esda, ref = timed(direct(n_jobs), args.repeats)
        t_lean, _ = timed(direct(n_jobs, keep=False), args.repeats)
        same_z = np.array_equal(res.z, ref.Zs)
        same_p = np.allclose(res.p_sim, np.minimum(1.0, 2.0 * ref.p_sim.astype(float)))
        print(f"  n_jobs={n_jobs:>2}: ours {t_ours:.2f} s | esda.G_Local {t_esda:.2f} s, ratio ours/esda "
              f"{t_ours / t_esda:.2f} | esda without kept simulations {t_lean:.2f} s, "
              f"ratio {t_ours / t_lean:.2f}")
        print(f"             z identical: {same_z}; p_sim = 2 x esda p_sim: {same_p}")
    levels, n_cells = np.unique(res.classes, return_counts=True)
    print("  classes:", dict(zip(levels.tolist(), n_cells.tolist(), strict=True)))


if __name__ == "__main__":
    main()
