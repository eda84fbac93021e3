"""Hot spots from the database: 1,000,000 incidents over 10,000 cells, Gi* with 999 permutations,
our pipeline next to a direct esda.G_Local run on the same counts and weights.

    .venv/bin/python bench/hotspots.py [--incidents 1000000] [--side 100] [--db gridmap_bench_hotspots]
                                       [--reuse] [--repeats 1]

Builds (unless --reuse finds it) a district of side × side grids of 0.001° (≈ 96 m × 111 m,
100 communities) in its own database, and incidents drawn like bench/hotspots_core.py (half
uniform, half from 25 Gaussian clusters of 150–800 m), reported over the last 90 days. Then,
for grid cells (queen contiguity) and for hexagons sized to give about as many cells:

  ours  = layers.patrols.hotspots.hotspots(): the SQL count per cell (zeros included),
          the weights, and gi_star (esda's permutations evaluated for all cells at once) with
          classes; timed on a layout seen for the first time (weights built) and again (the
          weights of a layout are kept, as for the next analysis of the same district);
  esda  = esda.G_Local(counts, w, transform="B", star=True, permutations=999, seed=0) on the
          same counts and weights, as esda's users call it (keep_simulations=True), n_jobs=1;

and prints both times and their ratio, plus the parts of ours, that z and p are identical, and
for hexagons our count (lon/lat by binary COPY, pyproj, cells.hex_axial_coords) next to
projecting in PostGIS (ST_Transform) and fetching rows into Python, with a check that both give
the same counts.
The database is dropped of its incidents and areas on every build: never point --db at data
you want to keep.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
X0, Y0, CELL_DEG = 104.0, 30.6, 0.001


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def build(n_incidents: int, side: int) -> None:
    from django.db import connection, transaction

    from layers.grids import linking
    from layers.grids.crs import zone_srid_for_lonlat

    ext = side * CELL_DEG
    block = side // 10
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE incidents_incident, incidents_incidenttransition, people_household RESTART IDENTITY CASCADE")
        cur.execute("DELETE FROM grids_gridassignment; DELETE FROM grids_grid; DELETE FROM grids_community;"
                    " DELETE FROM grids_street; DELETE FROM grids_district")  # fmt: skip
        cur.execute("INSERT INTO grids_district (code, name, geom, source, metric_srid) VALUES ('510104', '基准区', "
                    "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326)), 'bench', %s) RETURNING id", [X0, Y0, X0 + ext, Y0 + ext, zone_srid_for_lonlat(X0, Y0)])  # fmt: skip
        district = cur.fetchone()[0]
        cur.execute("INSERT INTO grids_street (district_id, code, name, geom) VALUES (%s, '510104001', '基准街道', "
                    "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326))) RETURNING id", [district, X0, Y0, X0 + ext, Y0 + ext])  # fmt: skip
        street = cur.fetchone()[0]
        step = block * CELL_DEG
        cur.execute(
            """INSERT INTO grids_community (street_id, code, name, geom)
               SELECT %s, '510104001' || lpad((r * 10 + c + 1)::text, 3, '0'), '基准社区' || (r * 10 + c + 1),
                      ST_Multi(ST_MakeEnvelope(%s + c * %s, %s + r * %s, %s + (c + 1) * %s, %s + (r + 1) * %s, 4326))
                 FROM generate_series(0, 9) r, generate_series(0, 9) c""",
            [street, X0, step, Y0, step, X0, step, Y0, step],
        )
        cur.execute(
            """INSERT INTO grids_grid (community_id, code, name, geom)
               SELECT cm.id, cm.code || lpad(((%s - 1 - gy %% %s) * %s + gx %% %s + 1)::text, 3, '0'), '网格',
                      ST_Multi(ST_MakeEnvelope(%s + gx * %s, %s + gy * %s, %s + (gx + 1) * %s, %s + (gy + 1) * %s, 4326))
                 FROM (SELECT gx, gy FROM generate_series(0, %s - 1) gx, generate_series(0, %s - 1) gy) cells
                 JOIN grids_community cm ON cm.code = '510104001' || lpad(((gy / %s) * 10 + gx / %s + 1)::text, 3, '0')""",
            [block, block, block, block, X0, CELL_DEG, Y0, CELL_DEG, X0, CELL_DEG, Y0, CELL_DEG, side, side,
             block, block],
        )  # fmt: skip
    print(f"areas: 100 communities, {side * side:,} grids in {time.perf_counter() - t0:.1f} s")

    rng = np.random.default_rng(20240601)
    half = n_incidents // 2
    centres = rng.uniform((X0, Y0), (X0 + ext, Y0 + ext), (25, 2))
    sigma_deg = rng.uniform(150.0, 800.0, 25) / 100_000.0  # ≈ metres → degrees at this scale
    which = rng.choice(25, size=n_incidents - half, p=rng.dirichlet(np.ones(25)))
    clustered = centres[which] + rng.normal(size=(n_incidents - half, 2)) * sigma_deg[which, None]
    points = np.vstack([rng.uniform((X0, Y0), (X0 + ext, Y0 + ext), (half, 2)), clustered])
    outside = (points[:, 0] <= X0) | (points[:, 0] >= X0 + ext) | (points[:, 1] <= Y0) | (points[:, 1] >= Y0 + ext)
    points[outside] = rng.uniform((X0, Y0), (X0 + ext, Y0 + ext), (int(outside.sum()), 2))  # keep n exactly
    ages_s = rng.uniform(0, 89 * 86400, len(points))
    buffer = io.StringIO()
    np.savetxt(buffer, np.column_stack([points, ages_s]), fmt="%.7f\t%.7f\t%.0f")
    buffer.seek(0)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_points (lon float8, lat float8, age_s float8) ON COMMIT DROP")
        cur.cursor.copy_expert("COPY bench_points FROM STDIN", buffer)
        cur.execute("SELECT set_config('gridmap.set_based_linking', 'on', true)")  # linked below, in one pass
        cur.execute(
            """INSERT INTO incidents_incident (geom, category_id, description, address, reported_at, status,
                                            reporter_name, satisfaction, external_id, synthetic, district_code)
               SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326),
                      (SELECT id FROM incidents_incidentcategory WHERE code = 'security_risk'),
                      '基准事件', '', now() - make_interval(secs => age_s), 'reported', '', '', '', true, '510104'
                 FROM bench_points"""
        )  # fmt: skip

    with connection.cursor() as cur:
        cur.execute("REINDEX TABLE incidents_incident")
        cur.execute("VACUUM ANALYZE incidents_incident")
    linking.link_all(("incident",))
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE incidents_incident")
    print(f"incidents: {len(points):,} inserted and linked in {time.perf_counter() - t0:.1f} s")


def direct_esda(counts: np.ndarray, w: Any, *, keep: bool = True) -> Callable[[], Any]:
    import esda

    from layers.patrols.stats.gistar import binary_weights

    wb = binary_weights(w)

    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return esda.G_Local(counts, wb, transform="B", star=True, permutations=999, seed=0,
                                keep_simulations=keep)  # fmt: skip

    return run


def bench_kind(kind: str, size_m: float | None, repeats: int) -> tuple[float, float, float]:
    """Times of ours (first analysis of the layout, and again with its weights kept) and of esda."""
    from layers.patrols import hotspots as hs
    from layers.patrols.counts import IncidentFilter, count_incidents
    from layers.patrols.stats.gistar import gi_star

    flt = IncidentFilter.last_days(365)

    def cold() -> Any:
        hs._WEIGHTS_CACHE.clear()  # a layout never analysed: the weights are built inside the timing
        return hs.hotspots(flt, kind=kind, size_m=size_m, permutations=999, seed=0)

    t_cold, result = timed(cold, repeats)
    t_warm, _ = timed(lambda: hs.hotspots(flt, kind=kind, size_m=size_m, permutations=999, seed=0), repeats)
    t_count, frame = timed(lambda: count_incidents(flt, kind=kind, size_m=size_m), repeats)

    def weights() -> Any:
        hs._WEIGHTS_CACHE.clear()
        return hs.cell_weights(frame)

    t_w, (w, description) = timed(weights, repeats)
    counts = frame["count"].to_numpy(dtype=float)
    t_gi, ours = timed(lambda: gi_star(counts, w, permutations=999, seed=0), repeats)
    t_esda, ref = timed(direct_esda(counts, w), repeats)
    t_lean, lean = timed(direct_esda(counts, w, keep=False), repeats)
    same_z = np.array_equal(ours.z, ref.Zs) and np.array_equal(result.cells["gi_z"].to_numpy(), ref.Zs)
    same_p = np.array_equal(ours.p_sim, np.minimum(1.0, 2.0 * np.round(ref.p_sim.astype(float) * 1000) / 1000))
    print(f"\n{kind}: {len(frame):,} cells ({description}), {int(counts.sum()):,} incidents counted")
    print(f"  ours, whole pipeline (hotspots()), first run of the layout: {t_cold:6.2f} s")
    print(f"  ours, whole pipeline, weights of the layout kept:          {t_warm:6.2f} s")
    print(f"    count per cell + cells:            {t_count:6.2f} s")
    print(f"    weights (built):                    {t_w:6.2f} s")
    print(f"    gi_star (999 permutations):         {t_gi:6.2f} s")
    print(f"  esda.G_Local direct, same input:    {t_esda:6.2f} s  (keep_simulations=False: {t_lean:.2f} s)")
    print(f"  ratio ours pipeline / esda: first run {t_cold / t_esda:.2f}, kept weights {t_warm / t_esda:.2f} "
          f"(vs esda without kept simulations: {t_cold / t_lean:.2f}, {t_warm / t_lean:.2f}); "
          f"gi_star / esda: {t_gi / t_esda:.2f}")  # fmt: skip
    print(f"  z identical: {same_z}; p_sim = 2 × esda's p_sim: {same_p}")
    print("  classes:", {int(k): int(v) for k, v in zip(*np.unique(ours.classes, return_counts=True), strict=True)})
    if kind == "hex":
        from django.db import connection

        from layers.patrols.stats.cells import hex_axial_coords

        def python_assign() -> dict:
            where, params = flt.where()
            sql = f"SELECT ST_X(t.g), ST_Y(t.g) FROM incidents_incident i CROSS JOIN LATERAL (SELECT ST_Transform(i.geom, %s) AS g) t WHERE {where}"  # noqa: S608, E501
            with connection.cursor() as cur:
                cur.execute(sql, [frame.crs.to_epsg(), *params])
                xy = np.array(cur.fetchall(), dtype=float)
            q, r = hex_axial_coords(xy, size_m=frame.attrs["size_m"])
            keys, n = np.unique(np.column_stack([q, r]), axis=0, return_counts=True)
            return {(int(a), int(b)): int(c) for (a, b), c in zip(keys, n, strict=True)}

        t_py, by_python = timed(python_assign, repeats)
        by_sql = {(int(a), int(b)): int(c) for a, b, c in zip(frame["q"], frame["r"], frame["count"], strict=True) if c}
        print(f"  incidents into hexagons: count_incidents (COPY lon/lat, pyproj; cells included) {t_count:.2f} s; "
              f"ST_Transform in PostGIS, rows fetched, hex_axial_coords + unique {t_py:.2f} s; "
              f"same counts per hexagon: {by_sql == by_python}")  # fmt: skip
    return t_cold, t_warm, t_esda


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--side", type=int, default=100, help="grids per side (side × side cells)")
    parser.add_argument("--db", default="gridmap_bench_hotspots")
    parser.add_argument("--reuse", action="store_true", help="keep the data if it is already there")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    os.environ["GRIDMAP_DB_NAME"] = args.db  # never the working database: build() empties tables
    from _db import setup_django

    setup_django(args.db)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM grids_grid), (SELECT count(*) FROM incidents_incident)")
        n_grids, n_incidents = cur.fetchone()
    if not (args.reuse and n_grids == args.side**2 and n_incidents >= 0.99 * args.incidents):
        build(args.incidents, args.side)
    # Analyses run in the background worker, warmed at its start (gridmap.warm: imports, and the
    # startup heap frozen out of the garbage collector's full passes). This process is warmed
    # the same way; esda runs in it after ours, so both get it.
    from gridmap.warm import warm_process

    warm_process()
    try:
        import numba

        print(f"numba {numba.__version__} is installed (esda uses it for the permutations)")
    except ImportError:
        print("numba is not installed (esda runs its permutations in plain numpy)")
    grid = bench_kind("grid", None, args.repeats)
    # Hexagons of about the grid cell's area: sqrt(96 m × 111 m / (sqrt(3) / 2)) ≈ 111 m.
    hexes = bench_kind("hex", 111.0, args.repeats)
    print("\nsummary (s)            ours first run  ours kept weights  esda.G_Local  ratio first / kept")
    for name, (cold, warm, ref) in (("grid cells", grid), ("hexagons", hexes)):
        print(f"  {name:<20} {cold:14.2f} {warm:18.2f} {ref:13.2f}   {cold / ref:.2f} / {warm / ref:.2f}")


if __name__ == "__main__":
    main()
