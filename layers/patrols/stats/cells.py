"""Regular hexagon cells in a projected CRS (metres) and fast point-to-cell assignment.

Hexagons are pointy-top (a vertex points north, flat sides face east and west).
``size_m`` is the distance between opposite edges, which is also the distance between the
centres of adjacent cells; the circumradius (centre to vertex) is size_m / sqrt(3) and the
area sqrt(3) / 2 * size_m^2.

Cells are addressed by axial coordinates (q, r) on a lattice anchored at ``origin_m``
(cell (0, 0) is centred there): centre = origin + size_m * (q + r / 2, sqrt(3) / 2 * r).
With a fixed origin and size the same place always gets the same (q, r), whatever the
bounds, so (q, r) are stable keys to store; ``HexCells`` also numbers its cells 0..n-1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    import geopandas as gpd

_SQRT3 = math.sqrt(3.0)


def _check_size(size_m: float) -> None:
    if not size_m > 0:
        msg = f"size_m must be positive, got {size_m}"
        raise ValueError(msg)


def hex_axial_coords(
    points_xy_m: np.ndarray, *, size_m: float, origin_m: tuple[float, float] = (0.0, 0.0)
) -> tuple[np.ndarray, np.ndarray]:
    """Axial (q, r) of the hexagon containing each point, by cube-coordinate rounding.

    ``points_xy_m`` is (n, 2) in metres. Returns two int64 arrays of length n. A point on a
    shared edge goes to one of the two cells.
    """
    _check_size(size_m)
    xy = np.asarray(points_xy_m, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        msg = "points_xy_m must be an (n, 2) array of coordinates in metres"
        raise ValueError(msg)
    r_f = (xy[:, 1] - origin_m[1]) / (size_m * _SQRT3 / 2.0)
    q_f = (xy[:, 0] - origin_m[0]) / size_m - r_f / 2.0
    s_f = -q_f - r_f
    q, r, s = np.round(q_f), np.round(r_f), np.round(s_f)
    dq, dr, ds = np.abs(q - q_f), np.abs(r - r_f), np.abs(s - s_f)
    # The coordinate that moved most while rounding is rebuilt from the other two (q + r + s = 0).
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def hex_centres_m(
    q: np.ndarray, r: np.ndarray, *, size_m: float, origin_m: tuple[float, float] = (0.0, 0.0)
) -> np.ndarray:
    """(n, 2) centres in metres of the hexagons with axial coordinates (q, r)."""
    _check_size(size_m)
    q, r = np.asarray(q, dtype=float), np.asarray(r, dtype=float)
    return np.column_stack([origin_m[0] + size_m * (q + r / 2.0), origin_m[1] + size_m * _SQRT3 / 2.0 * r])


def hex_polygons(centres_xy_m: np.ndarray, *, size_m: float) -> np.ndarray:
    """Pointy-top hexagon polygons (object array of shapely Polygons) around the centres."""
    _check_size(size_m)
    centres = np.asarray(centres_xy_m, dtype=float).reshape(-1, 2)
    angles = np.deg2rad(30.0 + 60.0 * np.arange(6))
    radius = size_m / _SQRT3
    ring = np.column_stack([np.cos(angles), np.sin(angles)]) * radius
    return shapely.polygons(centres[:, None, :] + ring[None, :, :])


@dataclass(frozen=True, eq=False)
class HexCells:
    """Hexagon cells covering a rectangle, numbered 0..n-1 in (r, q) order.

    Attributes:
        q, r: (n,) int64 axial coordinates on the lattice of ``size_m`` and ``origin_m``.
        centroids_xy_m: (n, 2) cell centres in metres.
        polygons: (n,) shapely Polygons.
        size_m: distance between opposite edges in metres.
        origin_m: lattice anchor in metres.
    """

    q: np.ndarray
    r: np.ndarray
    centroids_xy_m: np.ndarray
    polygons: np.ndarray
    size_m: float
    origin_m: tuple[float, float]

    @property
    def area_m2(self) -> float:
        """Area of one cell in square metres."""
        return _SQRT3 / 2.0 * self.size_m**2

    def __len__(self) -> int:
        return len(self.q)

    def locate(self, points_xy_m: np.ndarray) -> np.ndarray:
        """Cell number (0..n-1) of each (n, 2) point in metres, -1 if not in these cells."""
        q, r = hex_axial_coords(points_xy_m, size_m=self.size_m, origin_m=self.origin_m)
        if len(self.q) == 0:
            return np.full(q.shape, -1, dtype=np.int64)
        q_min, r_min = self.q.min(), self.r.min()
        width = int(self.q.max() - q_min) + 1
        keys = (self.r - r_min) * width + (self.q - q_min)  # increasing: cells are in (r, q) order
        inside = (q >= q_min) & (q < q_min + width) & (r >= r_min) & (r <= self.r.max())
        point_keys = (r - r_min) * width + (q - q_min)
        pos = np.clip(np.searchsorted(keys, point_keys), 0, len(keys) - 1)
        found = inside & (keys[pos] == point_keys)
        return np.where(found, pos, -1).astype(np.int64)

    def to_geodataframe(self, crs: str | int) -> gpd.GeoDataFrame:
        """The cells as a GeoDataFrame (columns cell, q, r, geometry) in ``crs``."""
        import geopandas as gpd  # only this adapter needs geopandas

        return gpd.GeoDataFrame(
            {"cell": np.arange(len(self.q)), "q": self.q, "r": self.r}, geometry=self.polygons, crs=crs
        )


def hexagon_cells(
    bounds_m: tuple[float, float, float, float],
    *,
    size_m: float,
    origin_m: tuple[float, float] = (0.0, 0.0),
) -> HexCells:
    """All hexagons of the lattice (``size_m``, ``origin_m``) that overlap ``bounds_m``.

    ``bounds_m`` is (min_x, min_y, max_x, max_y) in metres; a cell is kept when it shares
    some area with the rectangle, so every point of the rectangle lies in one of the cells.
    """
    _check_size(size_m)
    x0, y0, x1, y1 = (float(b) for b in bounds_m)
    if not (x1 > x0 and y1 > y0):
        msg = f"bounds_m must be (min_x, min_y, max_x, max_y) with max > min, got {bounds_m}"
        raise ValueError(msg)
    row_m = size_m * _SQRT3 / 2.0
    r_lo = math.floor((y0 - origin_m[1]) / row_m) - 1
    r_hi = math.ceil((y1 - origin_m[1]) / row_m) + 1
    r = np.arange(r_lo, r_hi + 1)
    q_lo = math.floor((x0 - origin_m[0]) / size_m - r_hi / 2.0) - 1
    q_hi = math.ceil((x1 - origin_m[0]) / size_m - r_lo / 2.0) + 1
    rr, qq = np.meshgrid(r, np.arange(q_lo, q_hi + 1), indexing="ij")
    qq, rr = qq.ravel(), rr.ravel()
    centres = hex_centres_m(qq, rr, size_m=size_m, origin_m=origin_m)
    radius = size_m / _SQRT3
    near = (
        (centres[:, 0] > x0 - radius) & (centres[:, 0] < x1 + radius)
        & (centres[:, 1] > y0 - radius) & (centres[:, 1] < y1 + radius)
    )  # fmt: skip
    qq, rr, centres = qq[near], rr[near], centres[near]
    polygons = hex_polygons(centres, size_m=size_m)
    box = shapely.box(x0, y0, x1, y1)
    overlap = shapely.intersects(polygons, box) & ~shapely.touches(polygons, box)
    return HexCells(
        q=qq[overlap].astype(np.int64),
        r=rr[overlap].astype(np.int64),
        centroids_xy_m=centres[overlap],
        polygons=polygons[overlap],
        size_m=float(size_m),
        origin_m=(float(origin_m[0]), float(origin_m[1])),
    )
