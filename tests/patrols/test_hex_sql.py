"""The database puts a point in the same hexagon as cells.hex_axial_coords (its SQL twin)."""

import math

import numpy as np
import pytest
from django.db import connection

from layers.patrols.stats.cells import hex_axial_coords, hex_axial_sql, hex_centres_m


def sql_cells(xy: np.ndarray, size_m: float) -> np.ndarray:
    fragment, params = hex_axial_sql("p.x", "p.y", size_m=size_m)
    with connection.cursor() as cur:
        cur.execute(f"SELECT hx.q, hx.r FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, k)"
                    f" {fragment} ORDER BY p.k", [xy[:, 0].tolist(), xy[:, 1].tolist(), *params])  # noqa: S608
        return np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("size_m", [100.0, 111.0, 250.0])
def test_sql_twin_agrees_on_random_points_edges_and_corners(size_m):
    rng = np.random.default_rng(11)
    random = rng.uniform((400_000.0, 3_300_000.0), (420_000.0, 3_320_000.0), (3000, 2))
    # Where rounding decides: the corners and edge midpoints of hexagons (exact ties and their
    # floating-point neighbours), here in projected metres as the counts use them.
    q, r = np.meshgrid(np.arange(3500, 3530), np.arange(38000, 38010))
    centres = hex_centres_m(q.ravel(), r.ravel(), size_m=size_m)
    radius = size_m / math.sqrt(3.0)
    angles = np.deg2rad(30.0 + 60.0 * np.arange(6))
    corners = (centres[:, None, :] + radius * np.column_stack([np.cos(angles), np.sin(angles)])[None]).reshape(-1, 2)
    mids = (centres[:, None, :] + size_m / 2 * np.column_stack([np.cos(angles - np.pi / 6),
                                                                np.sin(angles - np.pi / 6)])[None]).reshape(-1, 2)
    ties = np.vstack([corners, mids, np.nextafter(corners, 0), np.nextafter(mids, np.inf)])
    xy = np.vstack([random, ties])
    expected = np.column_stack(hex_axial_coords(xy, size_m=size_m))
    np.testing.assert_array_equal(sql_cells(xy, size_m), expected)
