"""Where a user may report an incident: the grid the database will link the point to
(gridmap_grid_for_point: among the grids covering it, the smallest code) must be one the
reporter holds. Otherwise the incident would land in a neighbour's grid, out of the
reporter's sight.

A point on the border between the reporter's grid and a neighbour's whose code is smaller
is refused with a message asking to move the point slightly into the reporter's grid. The
point is not shifted silently: an incident's position is evidence, and a point nudged by
the app would also be re-linked to the neighbour by the next ``link_grids``.
"""

from __future__ import annotations

import math

from django.contrib.gis.geos import Point
from django.db import connection

from layers.accounts.visibility import visible_grids
from layers.grids.models import Grid


class ReportLocationError(ValueError):
    """The point is not in a grid the reporter holds; str() is the message for the user."""


def linked_grid(point: Point) -> Grid | None:
    """The grid the database links a point to (None: outside every grid)."""
    ewkt = point.ewkt if point.srid else f"SRID=4326;{point.wkt}"  # no SRID: WGS84 degrees
    with connection.cursor() as cur:
        cur.execute("SELECT gridmap_grid_for_point(ST_Transform(ST_GeomFromEWKT(%s), 4326))", [ewkt])
        grid_id = cur.fetchone()[0]
    # Names and codes for the messages: not the outlines (two polygons parsed on every report).
    grids = Grid.objects.select_related("community").defer("geom", "community__geom")
    return grids.filter(pk=grid_id).first() if grid_id else None


def report_grid(user, point: Point) -> Grid:
    """The grid an incident reported by ``user`` at ``point`` will belong to, or
    ReportLocationError when that grid is not the user's."""
    if not all(math.isfinite(c) for c in point.coords):
        raise ReportLocationError("坐标无效，请在地图上重新选择。")
    grid = linked_grid(point)
    if grid is None:
        raise ReportLocationError("该位置不在任何网格内，请在地图上重新选择。")
    mine = visible_grids(user)
    if mine.filter(pk=grid.pk).exists():
        return grid
    own = mine.filter(geom__covers=point).order_by("code").first()
    if own is not None:
        raise ReportLocationError(
            f"该位置在您负责的网格 {own.name}（{own.code}）与相邻网格 {grid.name}（{grid.code}）的分界线上，"
            f"按规则归属编码较小的网格 {grid.code}，不在您负责的网格内。请将位置向您的网格内稍微移动后再上报。")
    raise ReportLocationError(f"该位置属于网格 {grid.name}（{grid.code}），不在您负责的网格内。")
