"""Hexagon counts from lon/lat fetched by binary COPY and projected by pyproj are the counts of
projecting in PostGIS (ST_Transform), point for point, ties on hexagon edges and vertices included."""

from __future__ import annotations

import math

import numpy as np
import pytest
from django.db import connection

from layers.incidents.models import Incident
from layers.patrols import binary_copy
from layers.patrols import counts as ic
from layers.patrols.stats.cells import hex_axial_coords, hex_centres_m
from tests.factories import category, point
from tests.patrols._hotspot_data import LAT0, LON0, STEP, lattice, local

pytestmark = pytest.mark.django_db

WINDOW = ic.IncidentFilter(since=local(2026, 3, 1, 0), until=local(2026, 4, 1, 0))
SIZE_M = 100.0


def postgis_xy_m(lon_deg: np.ndarray, lat_deg: np.ndarray, srid: int) -> np.ndarray:
    """(n, 2) metres of WGS84 points projected by PostGIS's ST_Transform."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_X(g), ST_Y(g) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, k)"
            " CROSS JOIN LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(u.x, u.y), 4326), %s) AS g ORDER BY u.k",
            [lon_deg.tolist(), lat_deg.tolist(), srid],
        )
        return np.array(cur.fetchall(), dtype=float).reshape(-1, 2)


@pytest.mark.parametrize("srid", [4544, 4545, 4543, 32648])  # Gauss–Krüger 105°E, 108°E, 102°E; UTM 48N
def test_projection_is_postgis_st_transform_bit_for_bit(srid):
    rng = np.random.default_rng(srid)
    lon = rng.uniform(100.0, 110.0, 5_000)
    lat = rng.uniform(20.0, 40.0, 5_000)
    ours = ic.project_lonlat_m(lon, lat, srid=srid)
    theirs = postgis_xy_m(lon, lat, srid)
    assert np.abs(ours - theirs).max() < 1e-6  # well under a millimetre ...
    # ... and identical: a point on a hexagon edge must fall on the same side as before.
    assert np.array_equal(ours, theirs)


def edge_and_vertex_points_m(bounds_m: tuple[float, float, float, float]) -> np.ndarray:
    """Vertices, edge midpoints and points a third along the edges of the hexagons of SIZE_M
    whose centres lie inside ``bounds_m`` (metres)."""
    x0, y0, x1, y1 = bounds_m
    row_m = SIZE_M * math.sqrt(3) / 2
    r = np.arange(math.floor(y0 / row_m), math.ceil(y1 / row_m) + 1)
    q = np.arange(math.floor(x0 / SIZE_M - r.max() / 2) - 1, math.ceil(x1 / SIZE_M - r.min() / 2) + 2)
    rr, qq = np.meshgrid(r, q, indexing="ij")
    centres = hex_centres_m(qq.ravel(), rr.ravel(), size_m=SIZE_M)
    centres = centres[(centres[:, 0] > x0) & (centres[:, 0] < x1) & (centres[:, 1] > y0) & (centres[:, 1] < y1)]
    angles = np.deg2rad(30.0 + 60.0 * np.arange(7))
    ring = np.column_stack([np.cos(angles), np.sin(angles)]) * SIZE_M / math.sqrt(3)
    on_edges = [ring[:-1], (ring[:-1] + ring[1:]) / 2, ring[:-1] + (ring[1:] - ring[:-1]) / 3]
    return (centres[:, None, :] + np.vstack(on_edges)[None, :, :]).reshape(-1, 2)


def previous_path_counts(flt: ic.IncidentFilter, srid: int, edges: list | None = None) -> dict[tuple, int]:
    """Counts per (q, r[, bin]) the way they were made before: ST_Transform in PostGIS, then
    cells.hex_axial_coords."""
    where, params = flt.where()
    bin_sql, bin_params = ("width_bucket(i.reported_at, %s::timestamptz[])", [edges]) if edges else ("0", [])
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT ST_X(ST_Transform(i.geom, %s)), ST_Y(ST_Transform(i.geom, %s)), {bin_sql}"  # noqa: S608
            f" FROM incidents_incident i WHERE {where}",
            [srid, srid, *bin_params, *params],
        )
        rows = np.array(cur.fetchall(), dtype=float).reshape(-1, 3)
    q, r = hex_axial_coords(rows[:, :2], size_m=SIZE_M)
    out: dict[tuple, int] = {}
    for key in zip(q.tolist(), r.tolist(), rows[:, 2].astype(int).tolist(), strict=True):
        key = key if edges else key[:2]
        out[key] = out.get(key, 0) + 1
    return out


def add_random_and_tie_incidents() -> tuple[int, int]:
    """3,000 random incidents and several hundred on hexagon edges and vertices of SIZE_M in a
    6 × 6 lattice; returns (metric EPSG code, number of incidents)."""
    lattice(side=6)
    srid = ic.count_incidents(WINDOW, kind="hex", size_m=SIZE_M).crs.to_epsg()
    corners = ic.project_lonlat_m(np.array([LON0, LON0 + 6 * STEP]), np.array([LAT0, LAT0 + 6 * STEP]), srid=srid)
    ties_m = edge_and_vertex_points_m((corners[0, 0], corners[0, 1], corners[1, 0], corners[1, 1]))
    to_lonlat = ic._to_metric(srid)
    tie_lon, tie_lat = to_lonlat.transform(ties_m[:, 0], ties_m[:, 1], direction="INVERSE")
    inside = (tie_lon > LON0) & (tie_lon < LON0 + 6 * STEP) & (tie_lat > LAT0) & (tie_lat < LAT0 + 6 * STEP)
    ties_m, tie_lon, tie_lat = ties_m[inside], tie_lon[inside], tie_lat[inside]  # in a grid, so counted
    rng = np.random.default_rng(11)
    lon = np.concatenate([tie_lon, rng.uniform(LON0, LON0 + 6 * STEP, 3_000)])
    lat = np.concatenate([tie_lat, rng.uniform(LAT0, LAT0 + 6 * STEP, 3_000)])
    # The ties really are ties: once stored and projected back they lie within a micrometre of an edge.
    back_m = postgis_xy_m(tie_lon, tie_lat, srid)
    assert len(ties_m) > 400 and np.abs(back_m - ties_m).max() < 1e-6
    cat = category("security_risk")
    days = rng.integers(1, 29, len(lon))
    Incident.objects.bulk_create(
        Incident(category=cat, description="测试事件", geom=point(float(x), float(y)),
                 reported_at=local(2026, 3, int(d), 10), status="reported")
        for x, y, d in zip(lon, lat, days, strict=True)
    )  # fmt: skip
    return srid, len(lon)


@pytest.mark.parametrize("pyproj_path", [True, False])  # False: projected by ST_Transform in the COPY
@pytest.mark.parametrize("part_bytes", [None, 1_000])  # 1,000: the COPY in a hundred parts, rows cut across them
def test_counts_equal_the_postgis_projection_on_random_points_and_ties(pyproj_path, part_bytes, monkeypatch):
    if part_bytes:
        monkeypatch.setattr(binary_copy, "PART_BYTES", part_bytes)
    srid, n_incidents = add_random_and_tie_incidents()
    assert ic.pyproj_is_postgis(srid)  # this database and pyproj agree: the fast path is the one taken
    monkeypatch.setattr(ic, "pyproj_is_postgis", lambda srid: pyproj_path)
    frame = ic.count_incidents(WINDOW, kind="hex", size_m=SIZE_M)
    cell_keys = set(zip(frame["q"].tolist(), frame["r"].tolist(), strict=True))
    ours = {(int(q), int(r)): int(c) for q, r, c in zip(frame["q"], frame["r"], frame["count"], strict=True) if c}
    before = previous_path_counts(WINDOW, srid)
    assert sum(before.values()) == n_incidents
    assert ours == {k: v for k, v in before.items() if k in cell_keys}
    assert frame.attrs["outside"] == sum(v for k, v in before.items() if k not in cell_keys)

    edges = ic.bin_edges(local(2026, 4, 1, 0), bin_kind="week", n_bins=4)
    cells, cube = ic.count_incidents_by_bin(WINDOW, edges, kind="hex", size_m=SIZE_M)
    binned = {(int(cells["q"].iloc[pos]), int(cells["r"].iloc[pos]), int(b) + 1): int(cube[b, pos])
              for b, pos in zip(*np.nonzero(cube), strict=True)}  # fmt: skip
    before_binned = previous_path_counts(WINDOW.replace(since=edges[0], until=edges[-1]), srid, edges)
    assert binned == {k: v for k, v in before_binned.items() if k[:2] in cell_keys and 1 <= k[2] <= 4}


def test_no_incidents_gives_zero_counts():
    lattice(side=2)
    frame = ic.count_incidents(WINDOW, kind="hex", size_m=SIZE_M)
    assert len(frame) > 0 and frame["count"].sum() == 0 and frame.attrs["outside"] == 0
    edges = ic.bin_edges(local(2026, 4, 1, 0), n_bins=3)
    _, cube = ic.count_incidents_by_bin(WINDOW, edges, kind="hex", size_m=SIZE_M)
    assert cube.shape[0] == 3 and cube.sum() == 0


def test_a_copy_stream_that_is_not_three_fixed_columns_is_refused():
    with pytest.raises(ValueError, match="not a PostgreSQL binary COPY"):
        ic._lonlat_rows(memoryview(b"lon\tlat\n"), with_bin=False)
    header = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
    row_with_null = np.int16(3).astype(">i2").tobytes() + np.int32(-1).astype(">i4").tobytes()
    with pytest.raises(ValueError, match="without NULLs"):
        ic._lonlat_rows(memoryview(header + row_with_null + b"\xff\xff"), with_bin=True)
