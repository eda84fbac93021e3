"""Which grid holds each of many points, on arrays: the bulk twin of the SQL rule
(layers/grids/sql/0001_grid_for_point.sql), used by layers.grids.linking to re-link whole
tables and by the importers to link staged rows. Pure: no database access here.

The rule is the database's: a point covered by several grids goes to the grid with the
smallest code; a point covered by none gets no grid. Shapely (GEOS) decides covers/covered
with robust arithmetic, PostGIS's point-in-polygon with plain doubles: both agree on every
point that is not within a hair of a grid's edge, and may disagree on a point within a few
units in the last place of an edge that is not axis-parallel. So the answer here is only
given where it cannot differ: a point further than :data:`BAND_DEG` inside a grid (inside
the grid shrunk by that much) or outside it (outside the grid grown by that much). Any
other point — on a shared edge, on a vertex, a hair from a hole — is answered
:data:`ASK_DATABASE`, and the caller asks the SQL rule for it (a handful per million in
real data, all of them in tests built on edges). The result is therefore the SQL rule's
answer for every point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

NO_GRID = 0
"""Grid id meaning "covered by no grid" (ids are positive)."""
ASK_DATABASE = -1
"""Grid id meaning "too close to an edge: let the SQL rule decide"."""
BAND_DEG = 1e-9
"""Half-width (degrees, ~0.1 mm) of the band around every grid edge inside which the SQL rule
decides. PostGIS's double-precision side test errs by ~1e-17 degrees at gridmap's
coordinates, eight orders of magnitude inside this band."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GridSet:
    """The grids a batch of points is linked against.

    Attributes:
        ids: grid ids (int64, positive).
        inner: each grid shrunk by BAND_DEG (prepared): a point it covers is surely inside.
        outer: each grid grown by BAND_DEG (prepared): a point it does not cover is surely outside.
        rank: position of each grid in code order (the smallest code wins a shared border).
        tree: an STRtree over ``outer`` (their boxes find the candidate grids of a point).
    """

    ids: IntArray
    inner: npt.NDArray[np.object_]
    outer: npt.NDArray[np.object_]
    rank: IntArray
    tree: shapely.STRtree

    @classmethod
    def from_wkb(cls, ids: Sequence[int], codes: Sequence[str], wkb: Sequence[bytes]) -> GridSet:
        """Grids from their ids, codes and WKB geometries (in the points' CRS, degrees)."""
        geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
        codes_arr = np.asarray(codes, dtype=object)
        order = np.argsort(codes_arr, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order), dtype=np.int64)
        # Mitred corners keep a rectangle at 5 vertices (round ones make 37, and every point
        # test 5× slower); the band only needs to be wider than PostGIS's rounding error, which
        # it is by eight orders of magnitude whatever the corners' shape.
        inner = shapely.buffer(geoms, -BAND_DEG, join_style="mitre")
        outer = shapely.buffer(geoms, BAND_DEG, join_style="mitre")
        shapely.prepare(inner)
        shapely.prepare(outer)
        return cls(np.asarray(ids, dtype=np.int64), inner, outer, rank, shapely.STRtree(outer))


def grids_for_points(x_deg: FloatArray, y_deg: FloatArray, grids: GridSet) -> IntArray:
    """The grid id holding each point (x_deg, y_deg in the grids' CRS), :data:`NO_GRID` when
    none does, :data:`ASK_DATABASE` when the point lies within BAND_DEG of an edge of a grid
    that could win it.

    The grids' STRtree gives each point's candidate grids by their boxes; the point is then
    tested on its coordinates against the prepared grown and shrunk grids (for a point,
    covered by = intersects), which sorts each pair into outside, surely inside, undecided.
    """
    n = len(x_deg)
    result = np.full(n, NO_GRID, dtype=np.int64)
    if n == 0 or len(grids.ids) == 0:
        return result
    x_deg = np.asarray(x_deg, dtype=np.float64)
    y_deg = np.asarray(y_deg, dtype=np.float64)
    point_i, grid_i = grids.tree.query(shapely.points(x_deg, y_deg))
    near = shapely.intersects_xy(grids.outer[grid_i], x_deg[point_i], y_deg[point_i])
    point_i, grid_i = point_i[near], grid_i[near]
    inside = shapely.intersects_xy(grids.inner[grid_i], x_deg[point_i], y_deg[point_i])
    none = np.iinfo(np.int64).max
    # Smallest code among the grids surely covering the point, and among those that may.
    best = np.full(n, none, dtype=np.int64)
    np.minimum.at(best, point_i[inside], grids.rank[grid_i[inside]])
    maybe = np.full(n, none, dtype=np.int64)
    np.minimum.at(maybe, point_i[~inside], grids.rank[grid_i[~inside]])
    found = best != none
    by_rank = np.empty(len(grids.ids), dtype=np.int64)
    by_rank[grids.rank] = grids.ids
    result[found] = by_rank[best[found]]
    # Undecided only if a grid that may cover the point would win over the sure one.
    result[maybe < best] = ASK_DATABASE
    return result
