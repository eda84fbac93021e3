"""Link 1,000,000 households to 10,000 grids in PostGIS, next to geopandas.sjoin.

    .venv/bin/python bench/link_grids.py [--households 1000000] [--grids-per-side 100]

Builds a lattice of 100 m × 100 m grids (100 communities of 100 grids) and uniformly
random households in a separate database (gridmap_bench), then times:
  - PostGIS: the bulk linker (layers.grids.linking.link_all: binary COPY out, shapely STRtree,
    the SQL rule for points on edges, binary COPY of the changed rows, one UPDATE) relinking
    every household from scratch (all grid_id NULL first), i.e. computing and writing 1M links;
    then again on linked data (nothing to write), and its compute alone;
  - PostGIS: the same re-link by the database alone (link_all(method="sql")) and its join alone;
  - PostGIS: inserting the households through the per-row trigger (every write path);
  - geopandas: sjoin(points, grids, predicate="covered_by") on the same data in memory
    (the data is read from PostGIS beforehand; reading is not counted).
and prints both figures and their ratio.
"""

from __future__ import annotations

import argparse
import time

from _db import setup_django

CELL_DEG = 0.001  # ≈ 96 m × 111 m at 30.6° N


def build(n_households: int, side: int) -> None:
    from django.db import connection

    from layers.grids.crs import zone_srid_for_lonlat

    with connection.cursor() as cur:
        cur.execute("TRUNCATE people_household, incidents_incident, incidents_incidenttransition RESTART IDENTITY CASCADE")
        cur.execute("DELETE FROM grids_gridassignment; DELETE FROM grids_grid; DELETE FROM grids_community;"
                    " DELETE FROM grids_street; DELETE FROM grids_district")
        x0, y0 = 104.0, 30.6
        ext = side * CELL_DEG
        cur.execute(
            "INSERT INTO grids_district (code, name, geom, source, metric_srid) VALUES ('510104', '基准区',"
            " ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326)), 'bench', %s) RETURNING id", [x0, y0, x0 + ext, y0 + ext, zone_srid_for_lonlat(x0, y0)])
        district = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO grids_street (district_id, code, name, geom) VALUES (%s, '510104001', '基准街道',"
            " ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326))) RETURNING id", [district, x0, y0, x0 + ext, y0 + ext])
        street = cur.fetchone()[0]
        block = side // 10  # communities are 10 × 10 blocks of grids
        cur.execute(
            """
            INSERT INTO grids_community (street_id, code, name, geom)
            SELECT %s, '510104001' || lpad((r * 10 + c + 1)::text, 3, '0'), '基准社区' || (r * 10 + c + 1),
                   ST_Multi(ST_MakeEnvelope(%s + c * %s, %s + r * %s, %s + (c + 1) * %s, %s + (r + 1) * %s, 4326))
              FROM generate_series(0, 9) r, generate_series(0, 9) c
            """,
            [street, x0, block * CELL_DEG, y0, block * CELL_DEG, x0, block * CELL_DEG, y0, block * CELL_DEG],
        )
        t = time.perf_counter()
        cur.execute(
            """
            INSERT INTO grids_grid (community_id, code, name, geom)
            SELECT cm.id, cm.code || lpad(((%s - 1 - gy %% %s) * %s + gx %% %s + 1)::text, 3, '0'), '网格',
                   ST_Multi(ST_MakeEnvelope(%s + gx * %s, %s + gy * %s, %s + (gx + 1) * %s, %s + (gy + 1) * %s, 4326))
              FROM (SELECT gx, gy FROM generate_series(0, %s - 1) gx, generate_series(0, %s - 1) gy) cells
              JOIN grids_community cm
                ON cm.code = '510104001' || lpad(((gy / %s) * 10 + gx / %s + 1)::text, 3, '0')
            """,
            [block, block, block, block, x0, CELL_DEG, y0, CELL_DEG, x0, CELL_DEG, y0, CELL_DEG,
             side, side, block, block],
        )
        print(f"grids: {side * side} inserted through the topology trigger in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        cur.execute(
            """
            INSERT INTO people_household (geom, address, residents, head_name, id_number, phone, tags,
                                          synthetic, external_id, district_code)
            SELECT ST_SetSRID(ST_MakePoint(%s + random() * %s, %s + random() * %s), 4326), '基准地址', 1, '合成',
                   '', '', '{}', true, '', '510104'
              FROM generate_series(1, %s)
            """,
            [x0, ext, y0, ext, n_households],
        )
        connection.commit() if not connection.get_autocommit() else None
        insert_s = time.perf_counter() - t
        print(f"PostGIS insert of {n_households:,} households through the row trigger: {insert_s:.1f} s "
              f"({n_households / insert_s:,.0f} rows/s)")
        # After a bulk load, rebuild the GiST indexes: built row by row in random order they
        # are ~3× slower to probe than PostGIS's sorted build.
        cur.execute("REINDEX TABLE people_household")
        cur.execute("REINDEX TABLE grids_grid")
        cur.execute("VACUUM ANALYZE people_household")
        cur.execute("ANALYZE grids_grid")


def time_postgis_compute() -> float:
    """The same join as link_all, counted but not written."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT gridmap_point_grids_sql('people_household'::regclass)")
        select = f"SELECT count(grid_id) FROM ({cur.fetchone()[0]}) target"
        t = time.perf_counter()
        cur.execute(select)
        linked = cur.fetchone()[0]
        seconds = time.perf_counter() - t
    print(f"PostGIS compute only: {linked:,} households matched in {seconds:.2f} s")
    return seconds


def time_postgis(method: str = "bulk") -> float:
    from django.db import connection, transaction

    from layers.grids import linking

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT set_config('gridmap.set_based_linking', 'on', true)")
        cur.execute("UPDATE people_household SET grid_id = NULL")
    with connection.cursor() as cur:
        cur.execute("REINDEX TABLE people_household")
        cur.execute("VACUUM ANALYZE people_household")
    t = time.perf_counter()
    changed = linking.link_all(("household",), method=method)[0].changed
    seconds = time.perf_counter() - t
    print(f"PostGIS link_all(method={method!r}): {changed:,} households linked in {seconds:.2f} s")
    return seconds


def time_bulk_compute() -> float:
    """The bulk path without writing: read the points (binary COPY) and compute their grids."""
    from django.db import connection, transaction
    from psycopg2 import sql

    from layers.grids import linking
    from layers.grids.bulk_link import grids_for_points

    with transaction.atomic(), connection.cursor() as cur:
        t = time.perf_counter()
        grids = linking.lock_and_load_grids(cur)
        _, x, y, _ = linking._read_points(cur, sql.Identifier("people_household"), sql.SQL("true"))
        found = grids_for_points(x, y, grids)
        seconds = time.perf_counter() - t
    print(f"bulk compute only (read + STRtree): {int((found != 0).sum()):,} households matched in {seconds:.2f} s")
    return seconds


def time_relink_unchanged() -> float:
    """``manage.py link_grids`` on linked data: compute everything, write nothing."""
    from layers.grids import linking

    t = time.perf_counter()
    changed = linking.link_all(("household",))[0].changed
    seconds = time.perf_counter() - t
    print(f"PostGIS link_all again: {changed:,} changed in {seconds:.2f} s")
    return seconds


def time_geopandas() -> float:
    import warnings

    import geopandas as gpd
    from django.db import connection

    warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
    points = gpd.read_postgis("SELECT id, geom FROM people_household", connection.connection, geom_col="geom")
    grids = gpd.read_postgis("SELECT id AS grid_id, code, geom FROM grids_grid", connection.connection,
                             geom_col="geom")
    t = time.perf_counter()
    joined = gpd.sjoin(points, grids, predicate="covered_by", how="left")
    # The same border rule as the database: the smallest code wins.
    joined = joined.sort_values(["id", "code"]).drop_duplicates("id")
    seconds = time.perf_counter() - t
    print(f"geopandas sjoin: {len(joined):,} households linked in {seconds:.2f} s (in memory, reading not counted)")
    with connection.cursor() as cur:
        cur.execute("SELECT id, grid_id FROM people_household ORDER BY id")
        db = dict(cur.fetchall())
    mismatches = sum(1 for i, g in zip(joined["id"], joined["grid_id"], strict=True) if db[i] != g)
    print(f"agreement check: {mismatches} households differ between PostGIS and geopandas")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--grids-per-side", type=int, default=100, help="a multiple of 10")
    parser.add_argument("--skip-sql", action="store_true", help="skip the database-only re-link (slow)")
    args = parser.parse_args()
    setup_django()
    build(args.households, args.grids_per_side)
    pg = time_postgis("bulk")
    again = time_relink_unchanged()
    bulk_compute = time_bulk_compute()
    pg_sql = time_postgis("sql") if not args.skip_sql else float("nan")
    pg_compute = time_postgis_compute()
    gp = time_geopandas()
    print(f"\nlink {args.households:,} households to {args.grids_per_side ** 2:,} grids")
    print(f"  PostGIS link_all bulk (compute + write every row)  {pg:8.2f} s")
    print(f"  PostGIS link_all bulk, nothing to change           {again:8.2f} s")
    print(f"  bulk compute only (read + STRtree, no write)       {bulk_compute:8.2f} s")
    print(f"  PostGIS link_all sql (compute + write every row)   {pg_sql:8.2f} s")
    print(f"  PostGIS SQL join only (compute, no write)          {pg_compute:8.2f} s")
    print(f"  geopandas.sjoin (in memory, no write)              {gp:8.2f} s")
    print(f"  ratio link_all bulk / sjoin = {pg / gp:.2f}; nothing to change / sjoin = {again / gp:.2f}; "
          f"bulk compute / sjoin = {bulk_compute / gp:.2f}; link_all sql / sjoin = {pg_sql / gp:.2f}; "
          f"SQL join only / sjoin = {pg_compute / gp:.2f}")


if __name__ == "__main__":
    main()
