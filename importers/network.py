"""OpenStreetMap → the walkable street network in PostGIS (facilities.WalkNode / WalkEdge).

:class:`OsmWalkReader` reads an .osm, .osm.bz2, .osm.gz or .osm.pbf file with the one OSM
reader (importers.readers.osm) and returns plain arrays (:class:`WalkNetworkData`); :class:`NetworkImporter` replaces the
network in the database with them in one transaction. ``manage.py import_network`` wires
the two.

Which ways are walkable (decided for Chinese city centres, where OSM rarely tags sidewalks)
    kept      footway, path, pedestrian, living_street, steps, corridor, track, residential,
              service, unclassified, road, tertiary, secondary, primary (and their _link):
              urban streets of these classes have sidewalks; cycleway and bridleway only
              with foot=yes/designated/permissive; trunk and trunk_link (ring roads) when they
              are at ground level (not bridge=viaduct, not motorroad=yes): the elevated ring
              roads have no footway, the roads beneath them are tagged separately.
    excluded  motorway, motorway_link, construction, proposed, abandoned, platform, raceway,
              bus_guideway, escape; access=private/no (unless foot allows it); foot=no/private;
              service=private/driveway with access restrictions; area=yes (a pedestrian
              square's outline is not a path); ways with fewer than two located nodes.

Edges
    Ways are split at every node shared by two walkable ways (or visited twice by one) so
    that edges meet at junctions; bridges and tunnels share no node with what they cross, so
    they stay uncrossed. Length is measured on the WGS84 ellipsoid (pyproj.Geod) in metres.
    ``cost`` = ``reverse_cost`` = length, except for one-way footways: oneway:foot=yes (or
    oneway=yes on a footway/path/steps/pedestrian/corridor, or conveying=forward) makes
    ``reverse_cost`` = -1, the "-1"/backward forms make ``cost`` = -1 (pgRouting's "not
    walkable in this direction"). A car one-way street is walkable both ways.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
import shapely
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from importers.readers.osm import OsmReadError, chinese_name, osm_objects

ALWAYS_WALKABLE = {
    "footway", "path", "pedestrian", "living_street", "steps", "corridor", "track", "residential",
    "service", "unclassified", "road", "tertiary", "tertiary_link", "secondary", "secondary_link",
    "primary", "primary_link",
}
WALKABLE_IF_FOOT = {"cycleway", "bridleway"}
GROUND_LEVEL_ONLY = {"trunk", "trunk_link"}
FOOT_ALLOWED = {"yes", "designated", "permissive", "official"}
FOOT_ONLY_HIGHWAYS = {"footway", "path", "steps", "pedestrian", "corridor"}
YES = {"yes", "true", "1"}
BACKWARD = {"-1", "reverse"}
NOT_WALKABLE = -1.0

_GEOD = Geod(ellps="WGS84")


class NetworkImportError(Exception):
    """The file cannot be imported; the message names the file and the reason."""


def walkability(tags: dict[str, str]) -> str | None:
    """``None`` if a way with these OSM tags is walkable, else the reason it is left out."""
    highway = tags.get("highway")
    if not highway:
        return "no highway tag"
    foot = tags.get("foot", "")
    if foot in {"no", "private", "use_sidepath"}:
        return f"foot={foot}"
    if tags.get("access") in {"private", "no"} and foot not in FOOT_ALLOWED:
        return f"access={tags['access']}"
    if tags.get("area") == "yes":
        return "area=yes"
    if highway in ALWAYS_WALKABLE:
        return None
    if highway in WALKABLE_IF_FOOT:
        return None if foot in FOOT_ALLOWED else f"highway={highway} without foot=yes"
    if highway in GROUND_LEVEL_ONLY:
        if tags.get("bridge") == "viaduct" or tags.get("motorroad") == "yes":
            return f"highway={highway} elevated or motorroad"
        return None
    return f"highway={highway}"


def foot_directions(tags: dict[str, str]) -> tuple[bool, bool]:
    """(walkable along the way's node order, walkable against it)."""
    oneway_foot = tags.get("oneway:foot", "")
    if not oneway_foot and tags.get("highway") in FOOT_ONLY_HIGHWAYS:
        oneway_foot = tags.get("oneway", "")
    conveying = tags.get("conveying", "")
    if oneway_foot in YES or conveying == "forward":
        return True, False
    if oneway_foot in BACKWARD or conveying == "backward":
        return False, True
    return True, True


@dataclass
class WalkNetworkData:
    """A walkable network read from OSM, in WGS84 degrees and metres.

    Nodes are junctions and ends (``node_ids`` are OSM node ids). Edge ``k`` runs from
    ``source[k]`` to ``target[k]`` (OSM node ids) along ``coords[k]`` ((m, 2) lon/lat);
    ``cost``/``reverse_cost`` are metres or -1 (not walkable that way).
    """

    node_ids: np.ndarray
    node_lonlat: np.ndarray
    source: np.ndarray
    target: np.ndarray
    length_m: np.ndarray
    cost: np.ndarray
    reverse_cost: np.ndarray
    osm_way_id: np.ndarray
    highway: list[str]
    name: list[str]
    coords: list[np.ndarray]
    ways_read: int = 0
    ways_kept: int = 0
    excluded: Counter = field(default_factory=Counter)

    @property
    def edge_count(self) -> int:
        return len(self.source)

    def _labels(self) -> tuple[int, np.ndarray]:
        """(number of weakly connected components, component of each node)."""
        n = len(self.node_ids)
        index = {int(v): i for i, v in enumerate(self.node_ids)}
        u = np.fromiter((index[int(s)] for s in self.source), dtype=np.int64, count=self.edge_count)
        v = np.fromiter((index[int(t)] for t in self.target), dtype=np.int64, count=self.edge_count)
        matrix = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)).tocsr()
        count, labels = connected_components(matrix, directed=False)
        return int(count), labels

    def components(self) -> tuple[int, float]:
        """(number of weakly connected components, share of nodes in the largest)."""
        n = len(self.node_ids)
        if n == 0:
            return 0, 0.0
        count, labels = self._labels()
        return count, float(np.bincount(labels).max() / n)

    def outside_largest_m(self) -> float:
        """Street length (m) outside the connected part with the most length: the fragments
        that households and facilities snapped to reach nothing from."""
        if self.edge_count == 0:
            return 0.0
        _, labels = self._labels()
        index = {int(v): i for i, v in enumerate(self.node_ids)}
        edge_part = labels[np.fromiter((index[int(s)] for s in self.source), dtype=np.int64, count=self.edge_count)]
        per_part = np.bincount(edge_part, weights=self.length_m)
        return float(per_part.sum() - per_part.max())

    def geometries(self) -> np.ndarray:
        """Edge geometries as shapely LineStrings (lon/lat)."""
        return shapely.linestrings(np.concatenate(self.coords), indices=np.repeat(
            np.arange(self.edge_count), [len(c) for c in self.coords]))


class _WayCollector:
    """The walkable ways of the file, with their node ids and locations."""

    def __init__(self) -> None:
        self.ways: list[tuple[int, dict[str, str], list[int], list[tuple[float, float]]]] = []
        self.read = 0
        self.excluded: Counter = Counter()

    def way(self, w: osmium.osm.Way) -> None:
        if "highway" not in w.tags:
            return
        self.read += 1
        tags = dict(w.tags)
        reason = walkability(tags)
        if reason:
            self.excluded[reason] += 1
            return
        ids, coords = [], []
        for n in w.nodes:
            if not n.location.valid():  # outside the extract: the way is cut there
                ids.append(None)
                coords.append(None)
                continue
            ids.append(n.ref)
            coords.append((n.location.lon, n.location.lat))
        self.ways.append((w.id, tags, ids, coords))


class OsmWalkReader:
    """Reads the walkable street network of an OSM file (see the module docstring)."""

    def read(self, path: str | Path) -> WalkNetworkData:
        collector = _WayCollector()
        try:
            for obj in osm_objects(path):
                if obj.is_way():
                    collector.way(obj)
        except OsmReadError as e:
            raise NetworkImportError(str(e)) from e
        data = self._split(collector.ways)
        data.ways_read, data.ways_kept, data.excluded = collector.read, len(collector.ways), collector.excluded
        if data.edge_count == 0:
            msg = f"{path}: no walkable ways found ({collector.read} highway ways read)"
            raise NetworkImportError(msg)
        return data

    @staticmethod
    def _split(ways: list) -> WalkNetworkData:
        # A node is a junction when walkable ways refer to it more than once in total.
        uses: Counter = Counter()
        for _, _, ids, _ in ways:
            uses.update(i for i in ids if i is not None)
        node_lonlat: dict[int, tuple[float, float]] = {}
        rows: list[tuple[int, str, str, bool, bool, list[int], list[tuple[float, float]]]] = []
        for way_id, tags, ids, coords in ways:
            forward, backward = foot_directions(tags)
            name = chinese_name(tags)[:200]
            piece_ids: list[int] = []
            piece_xy: list[tuple[float, float]] = []
            for k, (nid, xy) in enumerate(zip(ids, coords, strict=True)):
                if nid is None:
                    piece_ids, piece_xy = [], []
                    continue
                if piece_ids and piece_ids[-1] == nid:  # a node repeated in a row
                    continue
                piece_ids.append(nid)
                piece_xy.append(xy)
                last = k == len(ids) - 1 or ids[k + 1] is None
                if len(piece_ids) >= 2 and (uses[nid] > 1 or last):
                    rows.append((way_id, tags["highway"], name, forward, backward, piece_ids, piece_xy))
                    piece_ids, piece_xy = [nid], [xy]
        rows = [r for r in rows if len(set(r[6])) >= 2]  # a zero-length piece is no street
        for r in rows:
            node_lonlat[r[5][0]] = r[6][0]
            node_lonlat[r[5][-1]] = r[6][-1]
        coords = [np.asarray(r[6], dtype=float) for r in rows]
        length = _lengths_m(coords)
        forward = np.array([r[3] for r in rows], dtype=bool)
        backward = np.array([r[4] for r in rows], dtype=bool)
        node_ids = np.fromiter(node_lonlat, dtype=np.int64, count=len(node_lonlat))
        return WalkNetworkData(
            node_ids=node_ids,
            node_lonlat=np.array([node_lonlat[int(i)] for i in node_ids], dtype=float).reshape(-1, 2),
            source=np.array([r[5][0] for r in rows], dtype=np.int64),
            target=np.array([r[5][-1] for r in rows], dtype=np.int64),
            length_m=length,
            cost=np.where(forward, length, NOT_WALKABLE),
            reverse_cost=np.where(backward, length, NOT_WALKABLE),
            osm_way_id=np.array([r[0] for r in rows], dtype=np.int64),
            highway=[r[1] for r in rows],
            name=[r[2] for r in rows],
            coords=coords,
        )


def _lengths_m(coords: list[np.ndarray]) -> np.ndarray:
    """Ellipsoidal length (m) of each lon/lat polyline, computed in one vectorised call."""
    if not coords:
        return np.zeros(0)
    allxy = np.concatenate(coords)
    starts = np.cumsum([0] + [len(c) for c in coords[:-1]])
    _, _, seg = _GEOD.inv(allxy[:-1, 0], allxy[:-1, 1], allxy[1:, 0], allxy[1:, 1])
    seg = np.append(np.abs(seg), 0.0)
    # Drop the segments that join one polyline's end to the next one's start.
    seg[starts[1:] - 1] = 0.0
    return np.add.reduceat(seg, starts)


@dataclass(frozen=True)
class ImportCounts:
    """What one import wrote (or would write, in a dry run)."""

    path: str
    ways_read: int
    ways_kept: int
    nodes: int
    edges: int
    one_way_edges: int
    length_km: float
    components: int
    largest_component_share: float
    outside_largest_km: float
    excluded: dict[str, int]
    dry_run: bool


class NetworkImporter:
    """Replaces the walkable network in PostGIS with an OSM file's, in one transaction.

    Rows go in with COPY (hex EWKB geometries); the old network is deleted with DELETE so
    that the database triggers of layers/facilities/sql/0001_access.sql see the change and queue the
    service circles it affects. ``dry_run`` reads and counts, and writes nothing.
    """

    def __init__(self, *, reader: OsmWalkReader | None = None,
                 progress: Callable[[str], None] | None = None) -> None:
        self.reader = reader or OsmWalkReader()
        self.progress = progress or (lambda message: None)

    def run(self, path: str | Path, *, dry_run: bool = False) -> ImportCounts:
        self.progress(f"读取 {path} …")
        data = self.reader.read(path)
        components, share = data.components()
        counts = ImportCounts(
            path=str(path), ways_read=data.ways_read, ways_kept=data.ways_kept, nodes=len(data.node_ids),
            edges=data.edge_count, one_way_edges=int(((data.cost < 0) | (data.reverse_cost < 0)).sum()),
            length_km=float(data.length_m.sum() / 1000), components=components, largest_component_share=share,
            outside_largest_km=data.outside_largest_m() / 1000,
            excluded=dict(data.excluded.most_common()), dry_run=dry_run,
        )
        if not dry_run:
            self.progress(f"写入 {counts.nodes} 个节点, {counts.edges} 条路段 …")
            _write(data, source=str(path), counts=counts)
        return counts


def _write(data: WalkNetworkData, *, source: str, counts: ImportCounts) -> None:
    import io

    from django.db import connection, transaction
    from django.utils import timezone

    from layers.facilities.models import NetworkState

    points = shapely.points(data.node_lonlat)
    lines = data.geometries()
    node_wkb = shapely.to_wkb(shapely.set_srid(points, 4326), hex=True, include_srid=True)
    edge_wkb = shapely.to_wkb(shapely.set_srid(lines, 4326), hex=True, include_srid=True)
    nodes = io.StringIO("".join(f"{i}\t{g}\n" for i, g in zip(data.node_ids.tolist(), node_wkb, strict=True)))
    edges = io.StringIO("".join(
        f"{s}\t{t}\t{c!r}\t{r!r}\t{m!r}\t{w}\t{h}\t{_copy_text(n)}\t{g}\n"
        for s, t, c, r, m, w, h, n, g in zip(
            data.source.tolist(), data.target.tolist(), data.cost.tolist(), data.reverse_cost.tolist(),
            data.length_m.tolist(), data.osm_way_id.tolist(), data.highway, data.name, edge_wkb, strict=True)
    ))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM facilities_walkedge")
        cur.execute("DELETE FROM facilities_walknode")
        cur.copy_expert("COPY facilities_walknode (id, geom) FROM STDIN", nodes)
        cur.copy_expert(
            "COPY facilities_walkedge (source, target, cost, reverse_cost, length_m, osm_way_id, highway, name, geom)"
            " FROM STDIN", edges)
        state = NetworkState.current(for_update=True)
        state.source = source[-300:]
        state.imported_at = timezone.now()
        state.nodes, state.edges = counts.nodes, counts.edges
        state.components, state.largest_component_share = counts.components, counts.largest_component_share
        state.length_m, state.outside_largest_m = counts.length_km * 1000, counts.outside_largest_km * 1000
        state.save()


def _copy_text(value: str) -> str:
    """A value escaped for COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")
