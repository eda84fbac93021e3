"""Patrol plans: the hottest cells for the chosen hours, walked in a good order along the streets.

1. Stops: ``layers.patrols.hotspots.hottest_cells``: only significant hot spots (Gi* 90/95/99 %),
   99 % first, then by count and z-score; ``rank="count"``: by count alone, used too when
   the filter has no significant hot spot, and the plan says so (``fallback``). Each stop is placed at the incident of that cell
   nearest to the mean position of the cell's incidents (where things happen, not the
   middle of a large grid), or at the cell's centre if the cell has none in the filter.
2. Snapping: every place goes to the nearest node (WalkNode) of the largest connected part
   of the walk network (``pgr_connectedComponents``), so that all stops can reach each
   other; ``snap_m`` is the straight-line distance from the place to that node. A place
   farther than settings.GRIDMAP_PATROL_SNAP_WARN_M from it is not on the imported network:
   the plan is refused, naming those places (a route there would be drawn through streets
   the data does not have).
3. Walking distances between all places: ``pgr_dijkstraCostMatrix`` on WalkEdge
   (cost/reverse_cost in metres, directed: one-way footways are respected).
4. Order: ``routing_order.visiting_order`` (nearest neighbour improved by 2-opt); an open
   route from the start point if one is given, otherwise from the best end.
5. Legs: ``pgr_dijkstra`` between consecutive places; each leg's geometry is the WalkEdge
   lines of its path, turned to the walking direction and joined, so the route follows
   the streets exactly. Length = sum of the edge costs; time = length / walking speed
   (settings.GRIDMAP_WALK_SPEED_M_PER_MIN), plus the dwell time at each stop.
6. Names: every stop by its streets (``layers.facilities.places.place_names``), never by a
   cell id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyproj
import shapely
from django.conf import settings
from django.db import connection

from layers.patrols.counts import incident_points
from layers.patrols.hotspots import RANKINGS, HotspotResult, has_hot_spots, hottest_cells
from layers.patrols.stats.cells import hex_axial_coords
from layers.patrols.stats.routing_order import visiting_order

NO_NETWORK_MESSAGE = "未加载步行路网：请管理员先导入路网"
EDGES_SQL = "SELECT id, source, target, cost, reverse_cost FROM facilities_walkedge"
UNREACHABLE_M = 1e9  # stands for "no walk" in the matrix handed to visiting_order


class PatrolPlanError(RuntimeError):
    """A patrol plan cannot be made; the message says why (Chinese first)."""


class NoNetworkError(PatrolPlanError):
    """The walk network is empty."""

    def __init__(self) -> None:
        super().__init__(NO_NETWORK_MESSAGE)


@dataclass(frozen=True)
class Stop:
    """A place of the route. ``number`` is 1..N in visiting order (0: the start point).

    ``name`` is what a person reads: the place by its streets (nearest crossing, or street
    and house numbers; ``layers.facilities.places``), or the start's own name; ``cell_name``
    the grid's name ("" for hexagons and the start). ``walk_m`` is the walk from the previous
    place, ``arrive_min`` the planned arrival in minutes after leaving the start (or the
    first stop), ``dwell_min`` the planned time spent there."""

    number: int
    cell_id: str
    name: str
    count: int
    gi_class: int
    gi_z: float
    node_id: int
    lon: float
    lat: float
    snap_m: float
    cell_name: str = ""
    walk_m: float = 0.0
    arrive_min: float = 0.0
    dwell_min: float = 0.0


@dataclass(frozen=True)
class Leg:
    """The walk from stop ``from_number`` to ``to_number``: ``length_m``, the WalkEdge ids
    in walking order and the line in WGS84 (None when both stops share a node)."""

    from_number: int
    to_number: int
    length_m: float
    edge_ids: tuple[int, ...]
    line: shapely.LineString | None


@dataclass(frozen=True)
class PatrolPlan:
    """Stops in visiting order, the legs between them and the totals.

    ``rank`` is how the stops were chosen ("gi": significant hot spots only; "count": the
    count ranking); ``fallback`` is True when "gi" was asked but the filter has no
    significant hot spot, so the count ranking was used. ``dwell_minutes`` is the planned
    time at each stop; ``total_minutes`` = walking + dwelling (back at the start when
    ``closed``)."""

    start: Stop | None
    stops: tuple[Stop, ...]
    legs: tuple[Leg, ...]
    length_m: float
    walk_minutes: float
    speed_m_per_min: float
    closed: bool
    warnings: tuple[str, ...]
    rank: str = "gi"
    fallback: bool = False
    dwell_minutes: float = 0.0

    @property
    def rank_label(self) -> str:
        """How the stops were chosen, in Chinese."""
        return RANKINGS[self.rank]

    @property
    def total_minutes(self) -> float:
        """Walking time plus the dwell time at every stop, in minutes."""
        return self.walk_minutes + self.dwell_minutes * len(self.stops)

    @property
    def return_walk_m(self) -> float:
        """The walk back to the start in metres (0 for an open route)."""
        return self.legs[-1].length_m if self.closed and self.legs else 0.0

    @property
    def places(self) -> tuple[Stop, ...]:
        return ((self.start,) if self.start else ()) + self.stops

    def route_line(self) -> shapely.MultiLineString:
        """All legs as one MultiLineString in WGS84 (lon, lat)."""
        return shapely.MultiLineString([leg.line for leg in self.legs if leg.line is not None])


def stop_names(xy_m: np.ndarray, srid: int) -> list[str]:
    """Each point (x, y in metres, EPSG ``srid``) named by its streets: the one rule of
    ``layers.facilities.places`` (nearest crossing, or street and house numbers)."""
    from layers.facilities.places import place_names

    return list(place_names(np.asarray(xy_m, dtype=float).reshape(-1, 2), srid))


def _check_network() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM facilities_walkedge)")
        if not cur.fetchone()[0]:
            raise NoNetworkError


def _stop_points_m(result: HotspotResult, chosen: pd.DataFrame) -> np.ndarray:
    """(n, 2) metric position of each chosen cell's stop (see the module docstring)."""
    points = incident_points(result.filter)
    if result.kind == "hex" and len(points):
        q, r = hex_axial_coords(points[["x_m", "y_m"]].to_numpy(), size_m=float(result.cells.attrs["size_m"]))
        keys = pd.Series([f"{a}:{b}" for a, b in zip(q.tolist(), r.tolist(), strict=True)], index=points.index)
    else:
        keys = points["grid"] if len(points) else pd.Series(dtype=object)
    out = []
    for cell_id, geom in zip(chosen["cell_id"], chosen.geometry, strict=True):
        xy = points.loc[keys == cell_id, ["x_m", "y_m"]].to_numpy(dtype=float)
        if len(xy):
            out.append(xy[np.argmin(((xy - xy.mean(axis=0)) ** 2).sum(axis=1))])
        else:
            centre = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
            out.append((centre.x, centre.y))
    return np.asarray(out, dtype=float).reshape(-1, 2)


_SNAP_SQL = """
WITH comp AS MATERIALIZED (SELECT node, component FROM pgr_connectedComponents(%s)),
big AS (SELECT component FROM comp GROUP BY component ORDER BY count(*) DESC, component LIMIT 1),
pts AS (SELECT ord, ST_SetSRID(ST_MakePoint(x, y), 4326) AS g
          FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, ord))
SELECT s.id, ST_X(s.geom), ST_Y(s.geom), ST_Distance(s.geom::geography, pts.g::geography)
  FROM pts CROSS JOIN LATERAL (
       SELECT n.id, n.geom FROM facilities_walknode n
        WHERE n.id IN (SELECT node FROM comp WHERE component = (SELECT component FROM big))
        ORDER BY n.geom <-> pts.g LIMIT 1) s
 ORDER BY pts.ord
"""


def snap_to_network(lon_lat: np.ndarray) -> list[tuple[int, float, float, float]]:
    """(node id, lon, lat, distance m) of the nearest node of the largest connected part,
    for each (lon, lat) row."""
    lon_lat = np.asarray(lon_lat, dtype=float).reshape(-1, 2)
    with connection.cursor() as cur:
        cur.execute(_SNAP_SQL, [EDGES_SQL, lon_lat[:, 0].tolist(), lon_lat[:, 1].tolist()])
        rows = cur.fetchall()
    if len(rows) != len(lon_lat):
        raise NoNetworkError
    return [(int(a), float(b), float(c), float(d)) for a, b, c, d in rows]


def walk_matrix_m(node_ids: list[int]) -> np.ndarray:
    """(n, n) walking distances in metres between nodes (pgr_dijkstraCostMatrix, directed);
    UNREACHABLE_M where there is no walk."""
    unique = sorted(set(node_ids))
    d = np.full((len(node_ids), len(node_ids)), UNREACHABLE_M)
    found: dict[tuple[int, int], float] = {}
    if len(unique) > 1:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCostMatrix(%s, %s::bigint[], directed => true)",
                [EDGES_SQL, unique],
            )
            found = {(int(a), int(b)): float(c) for a, b, c in cur.fetchall()}
    for i, a in enumerate(node_ids):
        for j, b in enumerate(node_ids):
            d[i, j] = 0.0 if a == b else found.get((a, b), UNREACHABLE_M)
    return d


def walk_leg(from_node: int, to_node: int) -> tuple[float, tuple[int, ...], shapely.LineString | None]:
    """Length (m), edge ids and WGS84 line of the shortest walk (pgr_dijkstra, directed)."""
    if from_node == to_node:
        return 0.0, (), None
    sql = """
        SELECT d.edge, d.cost,
               ST_AsBinary(CASE WHEN d.node = e.source THEN e.geom ELSE ST_Reverse(e.geom) END)
          FROM pgr_dijkstra(%s, %s::bigint, %s::bigint, directed => true) d
          JOIN facilities_walkedge e ON e.id = d.edge
         ORDER BY d.path_seq
    """
    with connection.cursor() as cur:
        cur.execute(sql, [EDGES_SQL, from_node, to_node])
        rows = cur.fetchall()
    if not rows:
        msg = "两个巡逻点之间没有可步行的路径（可能是单向路段或路网断开）"
        raise PatrolPlanError(msg)
    coords = [shapely.get_coordinates(shapely.from_wkb(bytes(row[2]))) for row in rows]
    joined = np.vstack([coords[0], *(c[1:] for c in coords[1:])])
    return float(sum(row[1] for row in rows)), tuple(int(row[0]) for row in rows), shapely.LineString(joined)


def street_lines(bounds: tuple[float, float, float, float]) -> shapely.MultiLineString:
    """WalkEdge lines (WGS84) meeting the box (min_lon, min_lat, max_lon, max_lat), for maps."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_AsBinary(geom) FROM facilities_walkedge WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
            [float(b) for b in bounds],
        )
        return shapely.MultiLineString([shapely.from_wkb(bytes(row[0])) for row in cur.fetchall()])


def _refuse_off_network(names: list[str], snapped: list[tuple[int, float, float, float]]) -> None:
    """PatrolPlanError naming every place farther than GRIDMAP_PATROL_SNAP_WARN_M from the
    network: a route there would be drawn through streets that are not in the data."""
    limit = float(settings.GRIDMAP_PATROL_SNAP_WARN_M)
    far = [f"{name} 离路网 {_distance_zh(s[3])}" for name, s in zip(names, snapped, strict=True) if s[3] > limit]
    if far:
        msg = (f"以下巡逻点不在已导入的步行路网上（离最近的路网节点超过 {limit:.0f} m），无法生成巡逻路线："
               f"{'；'.join(far)}。请导入覆盖这些地点的步行路网")
        raise PatrolPlanError(msg)


def _distance_zh(metres: float) -> str:
    return f"{metres / 1000:,.1f} km" if metres >= 10_000 else f"{metres:,.0f} m"


NO_HOT_SPOT_WARNING = ("所选条件下没有显著热点（置信度 90% 及以上）。下面的路线是按事件数的排名，"
                       "只说明哪里事件多，不代表统计上显著。")


def plan_patrol(
    result: HotspotResult,
    *,
    top_n: int | None = None,
    start_lon_lat: tuple[float, float] | None = None,
    start_name: str = "起点",
    return_to_start: bool = False,
    rank: str = "gi",
    dwell_minutes: float | None = None,
) -> PatrolPlan:
    """A walking route through at most ``top_n`` cells of ``result`` (see module docstring).

    ``rank`` "gi" visits only significant hot spots (Gi* 90/95/99 %); when the filter has
    none, the count ranking is used, ``fallback`` is set and the first warning says so.
    ``rank`` "count" visits the busiest cells. ``start_lon_lat`` is an optional start point
    (WGS84 lon, lat) called ``start_name`` (a police room, "我的位置"); ``return_to_start``
    closes the round back to the start (or to the first stop without one).
    ``dwell_minutes`` is the time planned at each stop (default
    settings.GRIDMAP_PATROL_DWELL_MIN). Refused (PatrolPlanError) when a place lies farther
    than GRIDMAP_PATROL_SNAP_WARN_M from the walk network, naming those places.
    """
    _check_network()
    top_n = top_n or settings.GRIDMAP_PATROL_STOPS
    dwell = float(settings.GRIDMAP_PATROL_DWELL_MIN if dwell_minutes is None else dwell_minutes)
    if not 0 <= dwell <= 240:
        msg = f"每站停留时间应在 0 到 240 分钟之间；收到的是 {dwell:g}"
        raise PatrolPlanError(msg)
    warnings: list[str] = []
    fallback = False
    if rank == "gi" and not has_hot_spots(result):
        rank, fallback = "count", True
        warnings.append(NO_HOT_SPOT_WARNING)
    chosen = hottest_cells(result, top_n, rank=rank)
    if chosen.empty:
        msg = f"所选条件下没有事件，无法生成巡逻路线（{result.filter.describe_zh()}）"
        raise PatrolPlanError(msg)
    to_wgs84 = pyproj.Transformer.from_crs(result.cells.crs, 4326, always_xy=True)
    xy = _stop_points_m(result, chosen)
    lon, lat = to_wgs84.transform(xy[:, 0], xy[:, 1])
    places = np.column_stack([lon, lat])
    names = stop_names(xy, int(result.cells.crs.to_epsg()))
    has_start = start_lon_lat is not None
    if has_start:
        places = np.vstack([np.asarray(start_lon_lat, dtype=float), places])
    snapped = snap_to_network(places)
    labels = names if result.kind == "hex" else [f"{n}（{p}）" for n, p in zip(chosen["name"], names, strict=True)]
    _refuse_off_network(([start_name] if has_start else []) + labels, snapped)
    nodes = [s[0] for s in snapped]
    d = walk_matrix_m(nodes)
    order = visiting_order(d, start=0 if has_start or return_to_start else None, return_to_start=return_to_start)
    path = [*order, order[0]] if return_to_start else order

    offset = 1 if has_start else 0
    for a, b in zip(path, path[1:], strict=False):
        if d[a, b] >= UNREACHABLE_M:
            msg = "巡逻点之间没有可步行的路径（可能是单向路段或路网断开），无法生成巡逻路线"
            raise PatrolPlanError(msg)
    speed = float(settings.GRIDMAP_WALK_SPEED_M_PER_MIN)
    legs_raw = [walk_leg(nodes[a], nodes[b]) for a, b in zip(path, path[1:], strict=False)]
    number_of = {place: k + (0 if has_start else 1) for k, place in enumerate(order)}
    rows = list(chosen.itertuples(index=False))
    stops: list[Stop] = []
    start = None
    clock = 0.0
    for k, place in enumerate(order):
        walk_m = legs_raw[k - 1][0] if k > 0 else 0.0
        clock += walk_m / speed
        node, node_lon, node_lat, snap_m = snapped[place]
        if has_start and place == 0:
            start = Stop(0, "", start_name, 0, 0, float("nan"), node, node_lon, node_lat, snap_m)
            continue
        row = rows[place - offset]
        cell_name = "" if result.kind == "hex" else str(row.name)
        stops.append(Stop(number_of[place], str(row.cell_id), names[place - offset], int(row.count),
                          int(row.gi_class), float(row.gi_z), node, node_lon, node_lat, snap_m,
                          cell_name=cell_name, walk_m=walk_m, arrive_min=clock, dwell_min=dwell))  # fmt: skip
        clock += dwell
    legs = [Leg(number_of[a], number_of[b], *raw) for (a, b), raw in zip(zip(path, path[1:], strict=False), legs_raw,
                                                                         strict=True)]  # fmt: skip
    if rank == "gi" and len(chosen) < top_n:
        warnings.append(f"所选条件下只有 {len(chosen)} 个显著热点，路线只走这 {len(chosen)} 处。")
    total_m = float(sum(leg.length_m for leg in legs))
    return PatrolPlan(
        start=start,
        stops=tuple(stops),
        legs=tuple(legs),
        length_m=total_m,
        walk_minutes=total_m / speed,
        speed_m_per_min=speed,
        closed=return_to_start,
        warnings=tuple(warnings),
        rank=rank,
        fallback=fallback,
        dwell_minutes=dwell,
    )
