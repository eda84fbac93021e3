"""Hand-built walk networks for the access tests, and an independent reference computation.

Networks are drawn in metres on the ground, on a local plane (x east, y north: a transverse
Mercator with scale 1 at the origin, off by 2e-8 at 1.2 km) around a Chengdu origin, or any
other place (:func:`origin_at`, e.g. Shanghai or Harbin), and written to facilities_walknode /
facilities_walkedge as the importer writes them (WGS84 geometry, length on the ellipsoid). :func:`reference_walks` recomputes walking distances with
networkx from the database rows and PostGIS snapping, sharing no code with layers.facilities.analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import networkx as nx
from django.contrib.gis.geos import LineString, Point
from django.db import connection
from pyproj import Geod, Transformer

from layers.facilities.models import Facility, FacilityType, WalkEdge, WalkNode
from layers.people.models import Household

CHENGDU = (104.07, 30.66)
SHANGHAI = (121.47, 31.23)  # 黄浦区: CGCS2000 Gauss–Krüger zone 120°E, EPSG:4549
HARBIN = (126.63, 45.75)  # 道里区: zone 126°E, EPSG:4551
GEOD = Geod(ellps="WGS84")
_origin = [CHENGDU]


def local_proj(origin: tuple[float, float] | None = None) -> str:
    """PROJ string of the local plane (metres on the ground) around ``origin`` (lon, lat; default current)."""
    lon0, lat0 = origin or _origin[0]
    return f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"


@lru_cache(maxsize=8)
def _to_wgs84(origin: tuple[float, float]) -> Transformer:
    return Transformer.from_crs(local_proj(origin), 4326, always_xy=True)


@contextmanager
def origin_at(lon: float, lat: float) -> Iterator[None]:
    """Draw the networks of the block around (lon, lat) degrees instead of Chengdu."""
    _origin.insert(0, (lon, lat))
    try:
        yield
    finally:
        _origin.pop(0)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Local metres (on the ground, from the origin) → lon/lat."""
    return _to_wgs84(_origin[0]).transform(x, y)


def point(x: float, y: float) -> Point:
    return Point(*lonlat(x, y), srid=4326)


def build_network(nodes: dict[str, tuple[float, float]], edges: Iterable[tuple], *, first_id: int = 1) -> dict[str, int]:
    """Write a network. ``edges`` are (a, b) or (a, b, oneway) with oneway 'forward' (only
    a→b walkable) or 'backward'; returns node name → id (from ``first_id``)."""
    ids = {name: first_id + k for k, name in enumerate(nodes)}
    WalkNode.objects.bulk_create([WalkNode(id=ids[n], geom=point(*xy)) for n, xy in nodes.items()])
    rows = []
    for edge in edges:
        a, b, oneway = (*edge, None)[:3]
        (lon1, lat1), (lon2, lat2) = lonlat(*nodes[a]), lonlat(*nodes[b])
        length = GEOD.line_length([lon1, lon2], [lat1, lat2])
        rows.append(WalkEdge(source=ids[a], target=ids[b], length_m=length, highway="footway",
                             cost=-1 if oneway == "backward" else length,
                             reverse_cost=-1 if oneway == "forward" else length,
                             geom=LineString((lon1, lat1), (lon2, lat2), srid=4326)))
    WalkEdge.objects.bulk_create(rows)
    return ids


def ftype(code: str = "kindergarten") -> FacilityType:
    return FacilityType.objects.get(code=code)


def add_facility(x: float, y: float, code: str = "kindergarten", name: str = "设施") -> Facility:
    return Facility.objects.create(type=ftype(code), name=name, geom=point(x, y))


def add_household(x: float, y: float, *, tags: list[str] | None = None, residents: int = 1,
                  address: str = "测试路") -> Household:
    return Household.objects.create(geom=point(x, y), address=address, head_name="张三", residents=residents,
                                    tags=tags or [])


# --- the independent reference -------------------------------------------------------------------


def snap_in_postgis(lon: float, lat: float, only: list[int] | None = None
                    ) -> tuple[int, int, int, float, float, float, float] | None:
    """Nearest edge by PostGIS (on the ellipsoid; fraction and distance on the local plane of the
    origin, metres on the ground): (edge id, source, target, cost, reverse_cost, fraction along
    the edge, snap distance m); ``only``: among these edge ids."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS g),
            near AS (SELECT e.* FROM facilities_walkedge e, p
                      WHERE %s::bigint[] IS NULL OR e.id = ANY(%s::bigint[])
                      ORDER BY e.geom <-> p.g LIMIT 50),
            e AS (SELECT near.* FROM near, p
                   ORDER BY ST_Distance(near.geom::geography, p.g::geography), near.id LIMIT 1)
            SELECT e.id, e.source, e.target, e.cost, e.reverse_cost,
                   ST_LineLocatePoint(ST_Transform(e.geom, %s::text), ST_Transform(p.g, %s::text)),
                   ST_Distance(ST_Transform(e.geom, %s::text), ST_Transform(p.g, %s::text))
              FROM e, p
            """, [lon, lat, only, only, *[local_proj()] * 4])
        return cur.fetchone()


PREFER_CONNECTED_M = 50.0


def edge_parts() -> tuple[dict[int, int], int]:
    """Connected part of every edge (networkx, directions ignored) and the part with the most
    length (metres on the ellipsoid)."""
    g = nx.Graph()
    with connection.cursor() as cur:
        cur.execute("SELECT id, source, target, ST_Length(geom::geography) FROM facilities_walkedge")
        rows = cur.fetchall()
    g.add_edges_from((s, t) for _, s, t, _ in rows)
    part_of = {node: k for k, nodes in enumerate(nx.connected_components(g)) for node in nodes}
    parts = {e: part_of[s] for e, s, _, _ in rows}
    length: dict[int, float] = {}
    for e, _, _, m in rows:
        length[parts[e]] = length.get(parts[e], 0.0) + m
    return parts, max(sorted(length), key=lambda k: length[k])


def snap_preferring(lon: float, lat: float, preferred: set[int]):
    """The nearest edge, or the nearest preferred edge when the nearest is not preferred and a
    preferred one lies within PREFER_CONNECTED_M."""
    nearest = snap_in_postgis(lon, lat)
    if nearest is None or nearest[0] in preferred or not preferred:
        return nearest
    other = snap_in_postgis(lon, lat, only=sorted(preferred))
    return other if other is not None and other[6] <= PREFER_CONNECTED_M else nearest


def preferred_edges(anchors: list[tuple[float, float]]) -> set[int]:
    """Edges of the largest part plus the parts holding an anchor (facility) placed with a
    preference for the largest part."""
    parts, largest = edge_parts()
    main = {e for e, p in parts.items() if p == largest}
    keep = {largest} | {parts[snap_preferring(lon, lat, main)[0]] for lon, lat in anchors}
    return {e for e, p in parts.items() if p in keep}


def walk_digraph() -> nx.DiGraph:
    """The walk network from the database rows: an arc per walkable direction (cheapest of
    parallel edges), weight = metres."""
    g = nx.DiGraph()
    with connection.cursor() as cur:
        cur.execute("SELECT source, target, cost, reverse_cost FROM facilities_walkedge")
        for s, t, c, r in cur.fetchall():
            for a, b, w in ((s, t, c), (t, s, r)):
                if w >= 0 and a != b and (not g.has_edge(a, b) or g[a][b]["weight"] > w):
                    g.add_edge(a, b, weight=w)
    return g


def _attach(g: nx.DiGraph, name, snap, *, towards: bool) -> None:
    """Add a point on an edge as node ``name``: arcs to (towards=False) or from its ends."""
    _, s, t, c, r, f, _ = snap
    if towards:  # walks from the ends to the point
        if c >= 0:
            g.add_edge(s, name, weight=f * c)
        if r >= 0:
            g.add_edge(t, name, weight=(1 - f) * r)
    else:  # walks from the point to the ends
        if r >= 0:
            g.add_edge(name, s, weight=f * r)
        if c >= 0:
            g.add_edge(name, t, weight=(1 - f) * c)


def reference_walks(facilities: list[tuple[float, float]], points: list[tuple[float, float]],
                    g: nx.DiGraph | None = None, *, anchors: list[tuple[float, float]] | None = None) -> list[float]:
    """Walk in metres from each point (lon/lat) to the nearest facility (lon/lat), by
    networkx on the database network with PostGIS snapping (inf: none reachable). Points
    and facilities prefer the largest part and the parts holding one of ``anchors`` (all
    facilities; default ``facilities``) within PREFER_CONNECTED_M."""
    g = (g or walk_digraph()).copy()
    preferred = preferred_edges(facilities if anchors is None else anchors)
    fsnaps = [snap_preferring(*f, preferred) for f in facilities]
    for k, snap in enumerate(fsnaps):
        _attach(g, ("F", k), snap, towards=True)
    out = []
    for i, p in enumerate(points):
        snap = snap_preferring(*p, preferred)
        h = ("H", i)
        _attach(g, h, snap, towards=False)
        best = float("inf")
        for k, fs in enumerate(fsnaps):  # a facility on the household's own edge: walk straight along it
            if fs[0] == snap[0]:
                df = fs[5] - snap[5]
                step = fs[3] if df >= 0 else fs[4]
                if step >= 0:
                    best = min(best, abs(df) * step)
        try:
            lengths = nx.single_source_dijkstra_path_length(g, h, weight="weight")
        except nx.NodeNotFound:
            lengths = {}
        best = min([best] + [lengths[("F", k)] for k in range(len(fsnaps)) if ("F", k) in lengths])
        out.append(best)
        g.remove_node(h)
    return out
