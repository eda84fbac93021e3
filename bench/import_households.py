"""Import a generated 1,000,000-row household ledger, next to a plain geopandas read + to_postgis.

    .venv/bin/python bench/import_households.py [--rows 1000000] [--keep-file]

Builds a 100 × 100 lattice of grids (100 communities) in its own database
(gridmap_import_bench unless GRIDMAP_DB_NAME is set), writes a CSV ledger with Chinese
headers (UTF-8 with BOM, as Excel saves it; valid ID numbers, tags, phones) under var/bench/,
then times:

  - the importer (importers.loaders.households, as ``import_households FILE --crs wgs84``):
    streamed in 50,000-row chunks, every row checked (column by column), COPY into a staging
    table, duplicate and extent checks in SQL, grids linked in bulk on arrays
    (layers.grids.linking.link_rows_into: the SQL rule's answer), one INSERT … SELECT;
  - with --trigger-linking, the same first import with the grid found row by row by the
    household_link_grid trigger instead;
  - with --analyze-during-write S, the same first import while another connection runs ANALYZE
    on the households S seconds into its write, as autovacuum does after a dry run left a
    million dead rows (it waits for the import now; it used to leave statistics that made the
    checks at commit scan a whole index per row);
  - the same import again (every row matched on 编号 and found unchanged: idempotency);
  - plain geopandas: pandas.read_csv + points_from_xy + GeoDataFrame.to_postgis into a
    new table (no checks, no trigger, no indexes, whole file in memory).

and prints rows per second for each, their ratio and the peak memory of the importer.
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from _db import ROOT, setup_django

CELL_DEG = 0.001  # ≈ 96 m × 111 m at 30.6° N
SIDE = 100
X0, Y0 = 104.0, 30.6
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"]
TAGS = ["", "", "", "", "低保", "独居老人", "高龄", "流动人口", "残疾、低保", "慢性病", "有幼儿"]
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_grids() -> None:
    from django.db import connection

    ext = SIDE * CELL_DEG
    from layers.grids.crs import zone_srid_for_lonlat

    with connection.cursor() as cur:
        cur.execute("TRUNCATE people_household, incidents_incident, incidents_incidenttransition RESTART IDENTITY CASCADE")
        cur.execute("DELETE FROM grids_gridassignment; DELETE FROM grids_grid; DELETE FROM grids_community;"
                    " DELETE FROM grids_street; DELETE FROM grids_district")
        cur.execute("INSERT INTO grids_district (code, name, geom, source, metric_srid) VALUES ('510104', '基准区', "
                    "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326)), 'bench', %s) RETURNING id", [X0, Y0, X0 + ext, Y0 + ext, zone_srid_for_lonlat(X0, Y0)])
        district = cur.fetchone()[0]
        cur.execute("INSERT INTO grids_street (district_id, code, name, geom) VALUES (%s, '510104001', '基准街道', "
                    "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326))) RETURNING id",
                    [district, X0, Y0, X0 + ext, Y0 + ext])
        street = cur.fetchone()[0]
        block = SIDE // 10 * CELL_DEG
        cur.execute("""
            INSERT INTO grids_community (street_id, code, name, geom)
            SELECT %s, '510104001' || lpad((r * 10 + c + 1)::text, 3, '0'), '基准社区' || (r * 10 + c + 1),
                   ST_Multi(ST_MakeEnvelope(%s + c * %s, %s + r * %s, %s + (c + 1) * %s, %s + (r + 1) * %s, 4326))
              FROM generate_series(0, 9) r, generate_series(0, 9) c""",
                    [street, X0, block, Y0, block, X0, block, Y0, block])
        cur.execute("""
            INSERT INTO grids_grid (community_id, code, name, geom)
            SELECT cm.id, cm.code || lpad(((9 - gy %% 10) * 10 + gx %% 10 + 1)::text, 3, '0'), '网格',
                   ST_Multi(ST_MakeEnvelope(%s + gx * %s, %s + gy * %s, %s + (gx + 1) * %s, %s + (gy + 1) * %s, 4326))
              FROM (SELECT gx, gy FROM generate_series(0, %s - 1) gx, generate_series(0, %s - 1) gy) cells
              JOIN grids_community cm ON cm.code = '510104001' || lpad(((gy / 10) * 10 + gx / 10 + 1)::text, 3, '0')""",
                    [X0, CELL_DEG, Y0, CELL_DEG, X0, CELL_DEG, Y0, CELL_DEG, SIDE, SIDE])
        cur.execute("ANALYZE grids_grid")


def write_ledger(path: Path, rows: int, seed: int = 7) -> None:
    """A CSV ledger of ``rows`` households inside the lattice, written in 200,000-row parts."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        for start in range(0, rows, 200_000):
            n = min(200_000, rows - start)
            body = np.char.add("510104", rng.integers(19400101, 20051228, n).astype(str))
            body = np.char.add(body, np.char.zfill(rng.integers(0, 999, n).astype(str), 3))
            digits = np.array([list(map(int, b)) for b in body.tolist()])
            check = np.array(list("10X98765432"))[(digits * WEIGHTS).sum(axis=1) % 11]
            frame = pd.DataFrame({
                "编号": [f"B{i:08d}" for i in range(start + 1, start + n + 1)],
                "户主姓名": np.char.add(rng.choice(SURNAMES, n), rng.choice(GIVEN, n)),
                "地址": [f"基准路{i % 500 + 1}号{i % 30 + 1}栋{i % 6 + 1}0{i % 4 + 1}" for i in range(start, start + n)],
                "人口数": rng.integers(1, 7, n),
                "联系电话": np.char.add("1380013", np.char.zfill(rng.integers(0, 9999, n).astype(str), 4)),
                "身份证号": np.char.add(body, check),
                "人员类别": rng.choice(TAGS, n),
                "经度": np.round(rng.uniform(X0 + 1e-5, X0 + SIDE * CELL_DEG - 1e-5, n), 6),
                "纬度": np.round(rng.uniform(Y0 + 1e-5, Y0 + SIDE * CELL_DEG - 1e-5, n), 6),
            })
            frame.to_csv(f, index=False, header=start == 0, lineterminator="\r\n")


ANALYZERS: list[threading.Thread] = []


def analyze_later(seconds: float) -> Callable[[str, int, int | None], None]:
    """An import progress callback that, once writing starts, runs ANALYZE on the households
    from another connection ``seconds`` later, as autovacuum does after a dry run left dead rows."""
    from django.db import connection

    def on_progress(stage: str, _rows: int, _total: int | None) -> None:
        if stage != "write":
            return

        def analyze() -> None:
            time.sleep(seconds)
            other = connection.get_new_connection(connection.get_connection_params())
            other.autocommit = True
            t = time.perf_counter()
            with other.cursor() as cur:
                cur.execute("ANALYZE people_household")
            print(f"  (the ANALYZE from another connection waited {time.perf_counter() - t:.1f} s)")
            other.close()

        thread = threading.Thread(target=analyze, daemon=True)
        thread.start()
        ANALYZERS.append(thread)

    return on_progress


def time_importer(path: Path, *, trigger_linking: bool = False, analyze_after_s: float | None = None
                  ) -> tuple[float, float, object]:
    from importers.loaders.base import ImportOptions
    from importers.loaders.households import HouseholdLoader

    on_progress = analyze_later(analyze_after_s) if analyze_after_s is not None else None
    loader = HouseholdLoader(path, ImportOptions(crs="wgs84", progress=False, trigger_linking=trigger_linking,
                                                 on_progress=on_progress))
    apply = loader.apply
    spent: dict[str, float] = {}

    def timed_apply(result) -> None:
        t = time.perf_counter()
        apply(result)
        spent["apply"] = time.perf_counter() - t

    loader.apply = timed_apply
    t = time.perf_counter()
    result = loader.run()
    return time.perf_counter() - t, spent.get("apply", 0.0), result


def time_geopandas(path: Path) -> float:
    import geopandas as gpd
    from django.db import connection
    from sqlalchemy import create_engine

    s = connection.settings_dict
    engine = create_engine(f"postgresql+psycopg2://{s['USER']}@/{s['NAME']}?host={s['HOST']}&port={s['PORT']}")
    t = time.perf_counter()
    df = pd.read_csv(path, encoding="utf-8-sig", dtype={"编号": str, "联系电话": str, "身份证号": str})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["经度"], df["纬度"]), crs="EPSG:4326")
    gdf.to_postgis("bench_plain_households", engine, if_exists="replace", index=False)
    seconds = time.perf_counter() - t
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_plain_households")
    engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep-file", action="store_true", help="keep the generated CSV under var/bench/")
    parser.add_argument("--trigger-linking", action="store_true",
                        help="also time a first import that links grids row by row in the trigger")
    parser.add_argument("--analyze-during-write", type=float, metavar="SECONDS",
                        help="also time a first import while another connection runs ANALYZE on the households "
                             "SECONDS into its write (autovacuum after a dry run)")
    args = parser.parse_args()
    setup_django("gridmap_import_bench")
    path = ROOT / "var" / "bench" / f"households_{args.rows}.csv"
    t = time.perf_counter()
    build_grids()
    write_ledger(path, args.rows)
    print(f"setup: {SIDE * SIDE:,} grids, {args.rows:,}-row ledger ({path.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - t:.1f} s")
    rss0 = peak_rss_mb()
    first, apply_s, result = time_importer(path)
    rss1 = peak_rss_mb()
    print(result.summary())
    again, _, result2 = time_importer(path)
    print(result2.summary())
    plain = time_geopandas(path)
    rss2 = peak_rss_mb()
    trigger = None
    if args.trigger_linking:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("TRUNCATE people_household CASCADE")
            cur.execute("VACUUM ANALYZE people_household")
        trigger = time_importer(path, trigger_linking=True)
    analyzed = None
    if args.analyze_during_write is not None:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("TRUNCATE people_household CASCADE")
        analyzed = time_importer(path, analyze_after_s=args.analyze_during_write)
        for thread in ANALYZERS:
            thread.join()
    n = args.rows
    print(f"\nimport {n:,} households from CSV")
    print(f"  importer, first import (created)   {first:8.1f} s  {n / first:10,.0f} rows/s "
          f"(of which writing: grid linking + INSERT {apply_s:.1f} s)")
    if trigger is not None:
        print(f"  importer, grids by the row trigger {trigger[0]:8.1f} s  {n / trigger[0]:10,.0f} rows/s "
              f"(of which writing {trigger[1]:.1f} s)")
    if analyzed is not None:
        print(f"  importer, ANALYZE {args.analyze_during_write:g} s into the write "
              f"{analyzed[0]:5.1f} s  {n / analyzed[0]:10,.0f} rows/s")
    print(f"  importer, re-import (unchanged)    {again:8.1f} s  {n / again:10,.0f} rows/s")
    print(f"  geopandas read_csv + to_postgis    {plain:8.1f} s  {n / plain:10,.0f} rows/s (no checks, no trigger)")
    print(f"  ratio importer / geopandas = {first / plain:.2f} (time)")
    print(f"  peak memory: before import {rss0:,.0f} MB, after importer {rss1:,.0f} MB, after geopandas {rss2:,.0f} MB")
    if not args.keep_file:
        path.unlink()


if __name__ == "__main__":
    main()
