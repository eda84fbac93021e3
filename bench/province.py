"""A province of 1, 3 and 10 million households: our bulk paths next to the analyst's tools.

    .venv/bin/python bench/province.py [--households 1000000 3000000 10000000] [--workers 1 2]
                                       [--stages generate,import,link,walking,coverage,hotspots,summary,pages]
                                       [--seed 20261129] [--keep-file]

For each size, bench/province_gen.py builds the province in its own database
(gridmap_province_bench, emptied first): districts of 3 × 3 copies of the demo district
(~100k–180k households, 450 grids each), facilities, the walk network, incidents; the
households are written as the importer's CSV ledger under var/bench/. Then, per stage, ours
next to the peer tool on the same data in the same run:

  import    importers.loaders.households (every check on, COPY, grids linked set-based)
            vs pandas.read_csv + points_from_xy + GeoDataFrame.to_postgis (no checks)
  link      layers.grids.linking.link_all (every household from scratch, compute + write)
            vs geopandas.sjoin(covered_by) in memory (+ the smallest-code border rule; read untimed)
  walking   layers.jobs.districts.run_per_district(["walking"], workers=N) for each --workers
            vs pandana (get_node_ids + set_pois + nearest_pois per type, same network, 3 km cap)
  coverage  run_per_district(["coverage"]) vs pandas read_sql + groupby (district, type), one
            district's partition at a time
  hotspots  run_per_district(["hotspots"]) and our pipeline in one process
            (layers.patrols.hotspots.hotspots per district) vs esda.G_Local per district
            (counts per grid read with SQL, libpysal Queen weights, 999 permutations)
  summary   the leaders' city-wide page (layers.summaries.services.summarize, level "all")
            vs pandas read_sql + groupby of the same figures per district
  pages     a grid worker's pages (/my/, /api/incidents/, /incidents/) for two grids
            (bench/province_pages.py; no peer)

Memory: the peak resident set (VmRSS sampled every 0.2 s) of this process and its children
(Dask workers) plus the PostgreSQL backends connected to the bench database: "peak MB" is
that sum. Growth: seconds per million households at each size; a stage whose figure at the
largest size is within 15 % of the smallest's (or below) grows "linear or better".
A stage whose tool is not there (layers.jobs.districts before the dask branch lands) prints
"not available": no figure is made up.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
DB_NAME = "gridmap_province_bench"
STAGES = ("generate", "import", "link", "walking", "coverage", "hotspots", "summary", "pages")
PANDANA_MAXDIST_M = 3000.0
HOTSPOT_DAYS = 30  # the patrol page's default window, as the Dask hot spot step


# --- memory ------------------------------------------------------------------------------------


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children", encoding="ascii") as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


class PeakMemory:
    """Samples VmRSS of this process tree and of the bench database's backends every 0.2 s."""

    def __init__(self) -> None:
        import psycopg2
        from django.db import connection

        s = connection.settings_dict
        self._conn = psycopg2.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"])
        self._conn.autocommit = True
        self.peak_mb = 0.0
        self._stop = threading.Event()

    def _backends(self) -> list[int]:
        with self._conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            return [r[0] for r in cur.fetchall()]

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            pids = [me, *_children(me), *self._backends()]
            self.peak_mb = max(self.peak_mb, sum(_rss_kb(p) for p in pids) / 1024)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self.peak_mb = 0.0
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Figure:
    seconds: float | None
    peak_mb: float | None
    note: str = ""


@dataclass
class StageResult:
    stage: str
    rows: int
    ours: dict[str, Figure] = field(default_factory=dict)
    peer: dict[str, Figure] = field(default_factory=dict)


def measure(mem: PeakMemory, fn: Callable[[], object]) -> tuple[Figure, object]:
    with mem:
        t = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t
    return Figure(seconds, mem.peak_mb), out


def not_available(why: str) -> Figure:
    return Figure(None, None, f"not available ({why})")


# --- stages ------------------------------------------------------------------------------------


def run_importer(path: Path) -> object:
    from importers.loaders.base import ImportOptions
    from importers.loaders.households import HouseholdLoader

    return HouseholdLoader(path, ImportOptions(crs="wgs84", progress=False)).run()


def stage_import(mem: PeakMemory, path: Path, n: int) -> StageResult:
    import geopandas as gpd
    import pandas as pd
    from django.db import connection
    from sqlalchemy import create_engine

    with connection.cursor() as cur:
        cur.execute("TRUNCATE people_household RESTART IDENTITY CASCADE")
        cur.execute("VACUUM ANALYZE people_household")
    res = StageResult("import", n)
    res.ours["importer"], result = measure(mem, lambda: run_importer(path))
    print("   ", str(result.summary()).splitlines()[0][:160])
    s = connection.settings_dict
    engine = create_engine(f"postgresql+psycopg2://{s['USER']}@/{s['NAME']}?host={s['HOST']}&port={s['PORT']}")

    def plain() -> None:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype={"编号": str, "联系电话": str, "身份证号": str})
        gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["经度"], df["纬度"]), crs="EPSG:4326")
        gdf.to_postgis("bench_plain_households", engine, if_exists="replace", index=False, chunksize=200_000)

    res.peer["read_csv + to_postgis"], _ = measure(mem, plain)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_plain_households")
    engine.dispose()
    return res


def stage_link(mem: PeakMemory, n: int) -> StageResult:
    import geopandas as gpd
    from django.db import connection, transaction

    from layers.grids import linking

    with transaction.atomic(), connection.cursor() as cur:
        # Unlink without the row triggers: the access queue's statement trigger joins the old and
        # new transition tables of every row, which a bulk UPDATE of the whole table does not need.
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("UPDATE people_household SET grid_id = NULL")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE people_household")
    res = StageResult("link", n)
    res.ours["link_all"], _ = measure(mem, lambda: linking.link_all(("household",)))
    warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
    points = gpd.read_postgis("SELECT id, geom FROM people_household", connection.connection, geom_col="geom")
    grids = gpd.read_postgis("SELECT id AS grid_id, code, geom FROM grids_grid", connection.connection,
                             geom_col="geom")

    def sjoin() -> object:
        joined = gpd.sjoin(points, grids, predicate="covered_by", how="left")
        return joined.sort_values(["id", "code"]).drop_duplicates("id")

    res.peer["geopandas.sjoin"], joined = measure(mem, sjoin)
    with connection.cursor() as cur:
        cur.execute("SELECT id, grid_id FROM people_household")
        db = dict(cur.fetchall())
    differ = sum(1 for i, g in zip(joined["id"].tolist(), joined["grid_id"].tolist(), strict=True)
                 if db[i] != (None if g != g else int(g)))
    unlinked = sum(1 for g in db.values() if g is None)
    print(f"    agreement: {differ} households differ between PostGIS and geopandas; {unlinked} unlinked")
    return res


def _forget_coverage() -> None:
    """Draw a new coverage data version: the cached coverage rows (layers.facilities.walking.reports)
    no longer match, so every timed run computes them instead of reading the previous run's."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT nextval('gridmap_coverage_data_version')")


def per_district(step: str, workers: list[int], mem: PeakMemory) -> dict[str, Figure]:
    try:
        from layers.jobs.districts import run_per_district
    except ImportError:
        return {f"run_per_district {w} worker{'s' if w > 1 else ''}": not_available("layers.jobs.districts missing")
                for w in workers}
    out = {}
    for w in workers:
        if step == "coverage":
            _forget_coverage()
        fig, outcomes = measure(mem, lambda w=w: run_per_district([step], workers=w))
        failed = [o for o in outcomes if not o.ok]
        fig.note = f"(tasks {sum(o.seconds for o in outcomes):.1f} s in all, {len(outcomes)} districts)"
        if failed:
            fig.note += f" {len(failed)} districts failed: {failed[0].error[:80]}"
        out[f"run_per_district {w} worker{'s' if w > 1 else ''}"] = fig
    return out


def _metric_srid() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT DISTINCT metric_srid FROM grids_district")
        srids = [r[0] for r in cur.fetchall()]
    if len(srids) != 1:
        msg = f"the province spans several metric CRSs: {srids}"
        raise RuntimeError(msg)
    return srids[0]


def stage_walking(mem: PeakMemory, n: int, workers: list[int]) -> StageResult:
    import numpy as np
    import pandas as pd
    from django.db import connection

    res = StageResult("walking", n)
    res.ours.update(per_district("walking", workers, mem))
    try:
        import pandana
    except ImportError:
        res.peer["pandana"] = not_available("pandana not installed")
        return res
    srid = _metric_srid()
    with connection.cursor() as cur:
        cur.execute("SELECT id, ST_X(g), ST_Y(g) FROM (SELECT id, ST_Transform(geom, %s) g FROM facilities_walknode) t",
                    [srid])
        nodes = pd.DataFrame(cur.fetchall(), columns=["id", "x", "y"]).set_index("id")
        cur.execute("SELECT source, target, length_m FROM facilities_walkedge")
        edges = pd.DataFrame(cur.fetchall(), columns=["from", "to", "length"])
        cur.execute("SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, %s) g FROM people_household) t", [srid])
        hh = np.array(cur.fetchall(), dtype=float)
        cur.execute("SELECT t.code, ST_X(g), ST_Y(g) FROM (SELECT type_id, ST_Transform(geom, %s) g"
                    " FROM facilities_facility) f JOIN facilities_facilitytype t ON t.id = f.type_id", [srid])
        fac = pd.DataFrame(cur.fetchall(), columns=["type", "x", "y"])

    def run() -> int:
        net = pandana.Network(nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["length"]], twoway=True)
        node_ids = net.get_node_ids(hh[:, 0], hh[:, 1])
        reached = 0
        for code, group in fac.groupby("type"):
            net.set_pois(code, PANDANA_MAXDIST_M, 1, group["x"], group["y"])
            d = net.nearest_pois(PANDANA_MAXDIST_M, code, num_pois=1)[1].reindex(node_ids).to_numpy()
            reached += int((d < PANDANA_MAXDIST_M).sum())
        return reached

    res.peer["pandana"], reached = measure(mem, run)
    print(f"    pandana: {reached:,} household × type pairs within {PANDANA_MAXDIST_M:g} m")
    return res


def stage_coverage(mem: PeakMemory, n: int, workers: list[int]) -> StageResult:
    import pandas as pd
    from django.db import connection

    res = StageResult("coverage", n)
    res.ours.update(per_district("coverage", workers, mem))
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM facilities_householdaccess)")
        if not cur.fetchone()[0]:
            res.peer["pandas groupby"] = not_available("no walking times stored (walking stage)")
            return res
    # The peer reads one district at a time, as an analyst with 24 GB would: the whole province's
    # walking times (150 million rows at 10 million households) do not fit as Python rows. Each
    # read is pruned to the district's partitions, as ours is.
    sql = """SELECT d.code AS district, a.facility_type_id AS type_id, h.residents, a.minutes, t.threshold_minutes
               FROM facilities_householdaccess a
               JOIN people_household h ON h.id = a.household_id AND h.district_code = a.district_code
               JOIN facilities_facilitytype t ON t.id = a.facility_type_id
               JOIN grids_grid g ON g.id = h.grid_id JOIN grids_community c ON c.id = g.community_id
               JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id
              WHERE a.district_code = %(code)s"""

    def run() -> object:
        with connection.cursor() as cur:
            cur.execute("SELECT DISTINCT district_code FROM people_household ORDER BY 1")
            codes = [r[0] for r in cur.fetchall()]
        parts = []
        for code in codes:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                df = pd.read_sql(sql, connection.connection, params={"code": code})
            df["covered"] = df["minutes"] <= df["threshold_minutes"]
            df["covered_residents"] = df["residents"].where(df["covered"], 0)
            parts.append(df.groupby(["district", "type_id"]).agg(
                households=("covered", "size"), covered=("covered", "sum"), residents=("residents", "sum"),
                covered_residents=("covered_residents", "sum")))
        # A border household kept in a neighbour's partition adds to its grid's district.
        return pd.concat(parts).groupby(level=[0, 1]).sum()

    res.peer["pandas read_sql + groupby"], _ = measure(mem, run)
    return res


def stored_households() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM people_household")
        return cur.fetchone()[0]


def district_codes() -> list[str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT code FROM grids_district ORDER BY code")
        return [r[0] for r in cur.fetchall()]


def stage_hotspots(mem: PeakMemory, n: int, workers: list[int]) -> StageResult:
    import esda
    import geopandas as gpd
    import numpy as np
    from django.db import connection
    from libpysal.weights import Queen

    from layers.patrols import hotspots as hs
    from layers.patrols.counts import IncidentFilter

    res = StageResult("hotspots", n)
    res.ours.update(per_district("hotspots", workers, mem))
    codes = district_codes()

    def ours() -> int:
        hot = 0
        for code in codes:
            result = hs.hotspots(IncidentFilter.last_days(HOTSPOT_DAYS).replace(district=code), kind="grid",
                                 permutations=999, seed=0)
            hot += int((result.cells["gi_class"] > 0).sum())
        return hot

    res.ours["hotspots() per district, 1 process"], hot = measure(mem, ours)
    sql = """SELECT g.code, ST_Transform(g.geom, d.metric_srid) AS geom, coalesce(n.count, 0) AS count
               FROM grids_grid g JOIN grids_community c ON c.id = g.community_id
               JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id
               LEFT JOIN (SELECT grid_id, count(*) FROM incidents_incident
                           WHERE district_code = %s AND reported_at >= now() - make_interval(days => %s)
                           GROUP BY grid_id) n ON n.grid_id = g.id
              WHERE d.code = %s ORDER BY g.code"""  # the district's partition only, as ours reads

    def peer() -> int:
        hot_peer = 0
        for code in codes:
            frame = gpd.read_postgis(sql, connection.connection, geom_col="geom", params=[code, HOTSPOT_DAYS, code])
            w = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g = esda.G_Local(frame["count"].to_numpy(dtype=float), w, transform="B", star=True,
                                 permutations=999, seed=0, n_jobs=1)
            hot_peer += int(((g.Zs > 1.65) & (g.p_sim < 0.05)).sum())
        return hot_peer

    warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
    res.peer["esda.G_Local per district"], hot_peer = measure(mem, peer)
    print(f"    {len(codes)} districts; hot cells: ours {hot}, esda (z > 1.65, directed p < 0.05) {hot_peer}")
    _ = np
    return res


def stage_summary(mem: PeakMemory, n: int) -> StageResult:
    import pandas as pd
    from django.contrib.auth.models import User
    from django.db import connection

    from layers.summaries import services
    from layers.summaries.periods import current_period

    user, _ = User.objects.get_or_create(username="province_bench", defaults={"is_superuser": True, "is_staff": True})
    period = current_period()
    res = StageResult("summary", n)
    res.ours["summarize(all)"], summary = measure(mem, lambda: services.summarize(user, "all", None, period))
    hh_sql = """SELECT d.code AS district, h.residents FROM people_household h JOIN grids_grid g ON g.id = h.grid_id
                  JOIN grids_community c ON c.id = g.community_id JOIN grids_street s ON s.id = c.street_id
                  JOIN grids_district d ON d.id = s.district_id"""
    inc_sql = """SELECT d.code AS district, i.status, k.code AS category, i.satisfaction, i.reported_at
                   FROM incidents_incident i JOIN incidents_incidentcategory k ON k.id = i.category_id
                   JOIN grids_grid g ON g.id = i.grid_id JOIN grids_community c ON c.id = g.community_id
                   JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id
                  WHERE i.reported_at >= %s AND i.reported_at < %s"""

    def peer() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hh = pd.read_sql(hh_sql, connection.connection)
            inc = pd.read_sql(inc_sql, connection.connection, params=[period.start, period.end])
        a = hh.groupby("district").agg(households=("residents", "size"), residents=("residents", "sum"))
        inc["closed"] = inc["status"].isin(["closed", "evaluated"])
        inc["satisfied"] = inc["satisfaction"] == "满意"
        b = inc.groupby("district").agg(reported=("status", "size"), closed=("closed", "sum"),
                                        satisfied=("satisfied", "sum"))
        c = inc.groupby(["district", "category"]).size().unstack(fill_value=0)
        return a.join(b).join(c)

    res.peer["pandas read_sql + groupby"], table = measure(mem, peer)
    ours_total = summary.total.current.get("households", 0)
    print(f"    households on the page {ours_total:,}, in the pandas table {int(table['households'].sum()):,}; "
          f"{len(summary.children)} districts")
    return res


# --- the run -----------------------------------------------------------------------------------


def generate(n: int, seed: int, mem: PeakMemory, pattern) -> tuple[Path, StageResult, dict]:
    import province_gen as gen
    from django.db import connection, transaction

    from layers.grids import linking

    layout = gen.Layout.for_households(n)
    path = gen.ROOT / "var" / "bench" / f"province_{n}.csv"
    counts: dict = {}

    def build() -> None:
        with transaction.atomic(), connection.cursor() as cur:
            gen.reset(cur)
            counts.update(gen.load_areas(cur, pattern, layout))
            counts["facilities"] = gen.load_facilities(cur, pattern, layout)
            counts["nodes"], counts["edges"] = gen.load_network(cur, pattern, layout)
            counts["incidents"] = gen.load_incidents(cur, pattern, layout, seed=seed)
        linking.link_all(("incident",))
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        counts["households"] = gen.write_ledger(path, pattern, layout, seed=seed)

    res = StageResult("generate", n)
    res.ours["province_gen"], _ = measure(mem, build)
    return path, res, counts


def print_table(results: list[StageResult]) -> None:
    print(f"\n{'stage':<9} {'households':>11} {'ours':<36} {'s':>8} {'peak MB':>8} {'peer':<28} {'s':>8} "
          f"{'peak MB':>8} {'ratio':>6}")
    for r in results:
        peer_name, peer = next(iter(r.peer.items()), ("", Figure(None, None)))
        for name, fig in r.ours.items():
            ratio = f"{fig.seconds / peer.seconds:6.2f}" if fig.seconds and peer.seconds else "     -"
            print(f"{r.stage:<9} {r.rows:>11,} {name:<36} {_s(fig.seconds):>8} {_mb(fig.peak_mb):>8} "
                  f"{peer_name:<28} {_s(peer.seconds):>8} {_mb(peer.peak_mb):>8} {ratio}"
                  + (f"  {fig.note}" if fig.note else "") + (f"  peer: {peer.note}" if peer.note else ""))


def _s(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:.1f}" if v >= 1 else f"{v:.3f}"


def _mb(v: float | None) -> str:
    return f"{v:,.0f}" if v is not None else "n/a"


def print_growth(results: list[StageResult]) -> None:
    sizes = sorted({r.rows for r in results})
    if len(sizes) < 2:
        return
    print("\ngrowth: seconds per million households at " + ", ".join(f"{s / 1e6:g} M" for s in sizes))
    by_key: dict[tuple[str, str], dict[int, float]] = {}
    for r in results:
        for side in (r.ours, r.peer):
            for name, fig in side.items():
                if fig.seconds is not None:
                    by_key.setdefault((r.stage, name), {})[r.rows] = fig.seconds / (r.rows / 1e6)
    for (stage, name), per in by_key.items():
        if len(per) < 2:
            continue
        lo, hi = per[min(per)], per[max(per)]
        verdict = "linear or better" if hi <= 1.15 * lo else f"worse than linear (×{hi / lo:.2f} per row)"
        print(f"  {stage:<9} {name:<36} " + "  ".join(f"{per[s]:7.2f}" if s in per else "      -" for s in sizes)
              + f"   {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--walking-workers", type=int, nargs="+", default=None,
                        help="Dask workers for the walking stage only (default: --workers)")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--keep-file", action="store_true", help="keep the CSV ledger under var/bench/")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the province already in the database when it has this many households "
                             "(no generate / import stage)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        parser.error(f"unknown stages {unknown}; choose among {', '.join(STAGES)}")
    os.environ["GRIDMAP_DB_NAME"] = DB_NAME  # never the working database: every size empties it
    from _db import setup_django

    setup_django(DB_NAME)
    import province_gen as gen

    t = time.perf_counter()
    pattern = gen.read_pattern()
    print(f"demo pattern read in {time.perf_counter() - t:.1f} s: {len(pattern.households):,} households, "
          f"{len(pattern.edge_source):,} network edges per copy")
    mem = PeakMemory()
    results: list[StageResult] = []
    for n in args.households:
        layout = gen.Layout.for_households(n)
        print(f"\n== {n:,} households: {layout.districts} districts of ~{n // layout.districts:,}")
        if args.reuse and stored_households() == n:
            print("   reusing the province in the database")
            path = gen.ROOT / "var" / "bench" / f"province_{n}.csv"
        else:
            path, res, counts = generate(n, args.seed, mem, pattern)
            print(f"   generated {counts} in {res.ours['province_gen'].seconds:.1f} s")
            results.append(res)
            if "import" in stages:
                results.append(stage_import(mem, path, n))
            else:
                run_importer(path)  # the households are needed by every later stage
        for stage in stages:
            t = time.perf_counter()
            if stage == "link":
                results.append(stage_link(mem, n))
            elif stage == "walking":
                results.append(stage_walking(mem, n, args.walking_workers or args.workers))
            elif stage == "coverage":
                results.append(stage_coverage(mem, n, args.workers))
            elif stage == "hotspots":
                results.append(stage_hotspots(mem, n, args.workers))
            elif stage == "summary":
                results.append(stage_summary(mem, n))
            elif stage == "pages":
                from province_pages import stage_pages

                results.append(stage_pages(mem, n, StageResult, measure))
            else:
                continue
            print(f"   {stage} done in {time.perf_counter() - t:.1f} s", flush=True)
        print_table([r for r in results if r.rows == n])
        if not args.keep_file:
            path.unlink(missing_ok=True)
    print("\nall sizes (peak MB: VmRSS of this process, its children and the database's backends, sampled)")
    print_table(results)
    print_growth(results)
    _ = math


if __name__ == "__main__":
    main()
