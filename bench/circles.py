"""Benchmark: service circles and household walking times on the Chengdu network.

    .venv/bin/python bench/circles.py [--osm FILE] [--per-type 40] [--households 1000000]

1. Circles: 5/10/15-minute circles of every facility, gridmap (layers.facilities.analysis.isochrones:
   one bounded Dijkstra per facility, edges cut exactly, buffered pieces merged) side by
   side with the osmnx-style recipe on the same graph (networkx ego_graph per facility and
   minutes, buffered subgraph edges, unary_union: osmnx-examples "isolines/isochrones").
2. Walking times: 1,000,000 synthetic households × every facility type, gridmap
   (exact snapping to the nearest edge + one multi-source Dijkstra per type) side by side
   with pandana 0.8 (get_node_ids + set_pois + nearest_pois per type; pandana snaps to the
   nearest node and caps at maxdist, gridmap neither).

Facilities are the OSM points of interest matching the catalogue's tags plus seeded
synthetic ones on the network so that each type has ``--per-type``. The walking-time part runs
``--repeat`` times (median reported); the circles once. No database is used;
the graph is read from the OSM file by importers.network. Prints both timings and ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmap.settings")
import django  # noqa: E402

django.setup()

import networkx as nx  # noqa: E402
import osmium  # noqa: E402
import pyproj  # noqa: E402
import shapely  # noqa: E402
from django.conf import settings  # noqa: E402
from osmium.geom import WKBFactory  # noqa: E402

from importers.network import OsmWalkReader  # noqa: E402
from layers.facilities.analysis import coverage, isochrones  # noqa: E402
from layers.facilities.analysis.network_graph import WalkGraph  # noqa: E402
from layers.facilities.catalogue import FACILITY_TYPES  # noqa: E402
from layers.grids.crs import metric_srid_for_geoms  # noqa: E402

DEFAULT_OSM = Path(__file__).resolve().parent.parent / "fixtures" / "osm" / "chengdu_center_2018.osm.bz2"


def timed(label: str, func, *args, repeat: int = 1, before=None, **kwargs):
    """Run ``repeat`` times (``before()`` first each time, untimed) and print the median wall
    time and this process's CPU time (all threads): on a shared machine both vary, the
    median of a few runs less so."""
    walls, cpus = [], []
    for _ in range(repeat):
        if before:
            before()
        start, cpu = time.perf_counter(), time.process_time()
        result = func(*args, **kwargs)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    runs = f"  (runs: {', '.join(f'{w:.2f}' for w in walls)})" if repeat > 1 else ""
    print(f"  {label:<58}{np.median(walls):8.2f} s wall {np.median(cpus):8.2f} s CPU{runs}", flush=True)
    return result, float(np.median(walls))


class _Pois(osmium.SimpleHandler):
    def __init__(self, pairs: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.pairs, self.wkb, self.rows = pairs, WKBFactory(), []

    def _match(self, tags) -> str | None:
        return next((self.pairs[(t.k, t.v)] for t in tags if (t.k, t.v) in self.pairs), None)

    def node(self, n) -> None:
        if code := self._match(n.tags):
            self.rows.append((code, n.location.lon, n.location.lat))

    def area(self, a) -> None:
        if code := self._match(a.tags):
            try:
                p = shapely.from_wkb(self.wkb.create_multipolygon(a)).point_on_surface()
            except RuntimeError:
                return
            self.rows.append((code, p.x, p.y))


def load(osm: Path, per_type: int, seed: int):
    data = OsmWalkReader().read(osm)
    to_m = pyproj.Transformer.from_crs(4326, metric_srid_for_geoms(data.geometries()), always_xy=True)
    project = lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))  # noqa: E731
    geoms = shapely.transform(data.geometries(), project)
    graph = WalkGraph.from_edges(np.arange(data.edge_count), data.source, data.target, data.cost,
                                 data.reverse_cost, geoms)
    pairs = {}
    for code, *_, tags in FACILITY_TYPES:
        for k, v in tags:
            pairs.setdefault((k, v), code)
    handler = _Pois(pairs)
    handler.apply_file(str(osm), locations=True)
    rng = np.random.default_rng(seed)
    codes, xy = [], []
    for code, *_ in FACILITY_TYPES:
        real = [(x, y) for c, x, y in handler.rows if c == code]
        pts = project(np.array(real)) if real else np.zeros((0, 2))
        extra = max(per_type - len(pts), 0)
        edges = rng.integers(0, graph.n_edges, extra)
        synth = shapely.get_coordinates(shapely.line_interpolate_point(
            geoms[edges], rng.uniform(0, 1, extra), normalized=True)) + rng.normal(0, 20, (extra, 2))
        pts = np.vstack([pts, synth])
        codes += [code] * len(pts)
        xy.append(pts)
    print(f"network: {graph.n_nodes} nodes, {graph.n_edges} edges; facilities: {len(codes)} "
          f"({len(handler.rows)} from OSM, the rest synthetic), {len(FACILITY_TYPES)} types")
    return graph, np.array(codes), np.vstack(xy), geoms


def nx_graph(graph: WalkGraph) -> nx.MultiDiGraph:
    """The same network as an osmnx-style MultiDiGraph (x, y on nodes; length, geometry on edges)."""
    g = nx.MultiDiGraph()
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(graph.geoms_m, 0)),
                           shapely.get_coordinates(shapely.get_point(graph.geoms_m, -1))])
    for i, (x, y) in zip(np.concatenate([graph.u, graph.v]), ends, strict=True):
        g.add_node(int(i), x=x, y=y)
    for k in range(graph.n_edges):
        u, v, geom = int(graph.u[k]), int(graph.v[k]), graph.geoms_m[k]
        if graph.cost_m[k] >= 0:
            g.add_edge(u, v, length=graph.cost_m[k], geometry=geom)
        if graph.reverse_cost_m[k] >= 0:
            g.add_edge(v, u, length=graph.reverse_cost_m[k], geometry=shapely.reverse(geom))
    return g


def osmnx_recipe(g: nx.MultiDiGraph, centres: list[int], reaches: list[float], buffer_m: float) -> list:
    """osmnx-examples' make_iso_polys, edges only, same buffer as gridmap: one ego_graph per
    facility and reach, every subgraph edge buffered, unary_union."""
    out = []
    for centre in centres:
        for reach in sorted(reaches, reverse=True):
            sub = nx.ego_graph(g, centre, radius=reach, distance="length")
            lines = [data["geometry"] for _, _, data in sub.edges(data=True)]
            out.append(shapely.union_all(shapely.buffer(np.array(lines, dtype=object), buffer_m, quad_segs=4))
                       if lines else shapely.Point(g.nodes[centre]["x"], g.nodes[centre]["y"]).buffer(buffer_m))
    return out


def bench_circles(graph: WalkGraph, fac_xy: np.ndarray, minutes: list[int]) -> None:
    speed, buffer_m = settings.GRIDMAP_WALK_SPEED_M_PER_MIN, settings.GRIDMAP_CIRCLE_BUFFER_M
    reaches = [m * speed for m in minutes]
    print(f"\n1. circles: {len(fac_xy)} facilities × {minutes} minutes at {speed:.1f} m/min, buffer {buffer_m} m")

    def ours():
        placed = graph.snap(fac_xy, snap_tolerance_m=settings.GRIDMAP_SNAP_TOLERANCE_M)
        pieces = [p.lines_m for per in isochrones.circle_pieces(graph, placed, reaches) for p in per]
        return isochrones.buffer_pieces(pieces, buffer_m=buffer_m, hole_fill_m2=settings.GRIDMAP_CIRCLE_HOLE_FILL_M2)

    polys, t_ours = timed("gridmap (exact cut edges, 2 threads)", ours)
    g, _ = timed("osmnx recipe: build MultiDiGraph (not counted)", nx_graph, graph)
    dist = np.hypot(*(fac_xy[:, None, :] - np.column_stack(
        [[g.nodes[n]["x"] for n in g], [g.nodes[n]["y"] for n in g]])[None, :, :]).transpose(2, 0, 1))
    centres = [list(g.nodes)[i] for i in dist.argmin(axis=1)]
    iso, t_nx = timed("osmnx recipe (ego_graph per facility and minutes)", osmnx_recipe, g, centres, reaches,
                      buffer_m)
    print(f"  circles: gridmap {len(polys)}, osmnx recipe {len(iso)}; "
          f"ratio osmnx/gridmap = {t_nx / t_ours:.1f}×")
    return t_ours, t_nx


def bench_households(graph: WalkGraph, geoms: np.ndarray, codes: np.ndarray, fac_xy: np.ndarray, n: int,
                     seed: int, maxdist_m: float, repeat: int) -> None:
    import pandana

    rng = np.random.default_rng(seed + 1)
    edges = rng.integers(0, graph.n_edges, n)
    hh = shapely.get_coordinates(shapely.line_interpolate_point(geoms[edges], rng.uniform(0, 1, n),
                                                                normalized=True)) + rng.normal(0, 30, (n, 2))
    types = sorted(set(codes))
    print(f"\n2. walking times: {n:,} synthetic households × {len(types)} types")

    def forget_snapper():  # its cell index is built inside the timing, as pandana's network is
        graph.__dict__.pop("snapper", None)

    def ours():
        tolerance = settings.GRIDMAP_SNAP_TOLERANCE_M
        placed = coverage.prepare(graph, graph.snap(hh, snap_tolerance_m=tolerance))
        sources = [graph.snap(fac_xy[codes == code], snap_tolerance_m=tolerance) for code in types]
        walks = coverage.nearest_walks_each(graph, placed, sources)
        return {code: w.distance_m for code, w in zip(types, walks, strict=True)}

    ours_d, t_ours = timed("gridmap (edge snapping + multi-source Dijkstra, 2 threads)", ours, repeat=repeat,
                           before=forget_snapper)
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(graph.geoms_m, 0)),
                           shapely.get_coordinates(shapely.get_point(graph.geoms_m, -1))])
    node_xy = np.zeros((graph.n_nodes, 2))
    node_xy[np.concatenate([graph.u, graph.v])] = ends
    loop = graph.u != graph.v

    def pandana_run():
        import pandas as pd

        net = pandana.Network(pd.Series(node_xy[:, 0]), pd.Series(node_xy[:, 1]), pd.Series(graph.u[loop]),
                              pd.Series(graph.v[loop]), pd.DataFrame({"d": np.abs(graph.cost_m[loop])}),
                              twoway=True)
        nodes = net.get_node_ids(pd.Series(hh[:, 0]), pd.Series(hh[:, 1])).to_numpy()
        result = {}
        for code in types:
            xy = fac_xy[codes == code]
            net.set_pois(code, maxdist_m, 1, pd.Series(xy[:, 0]), pd.Series(xy[:, 1]))
            nearest = net.nearest_pois(maxdist_m, code, num_pois=1)[1].to_numpy()
            result[code] = nearest[nodes]
        return result

    pan_d, t_pan = timed(f"pandana 0.8 (nearest node, maxdist {maxdist_m:.0f} m)", pandana_run, repeat=repeat)
    both = np.concatenate([np.minimum(ours_d[c], maxdist_m) for c in types])
    other = np.concatenate([pan_d[c] for c in types])
    ok = np.isfinite(both)
    print(f"  agreement: median |gridmap − pandana| = {np.median(np.abs(both[ok] - other[ok])):.1f} m "
          f"(pandana measures from the nearest node)")
    print(f"  ratio pandana/gridmap = {t_pan / t_ours:.1f}×")
    return t_ours, t_pan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--per-type", type=int, default=40, help="facilities per type (OSM + synthetic)")
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=int, nargs="+", default=list(settings.GRIDMAP_CIRCLE_MINUTES))
    parser.add_argument("--maxdist", type=float, default=3000.0, help="pandana's search radius (m)")
    parser.add_argument("--seed", type=int, default=20180601)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the walking-time part (median reported)")
    args = parser.parse_args()
    graph, codes, fac_xy, geoms = load(args.osm, args.per_type, args.seed)
    c_ours, c_nx = bench_circles(graph, fac_xy, args.minutes)
    h_ours, h_pan = bench_households(graph, geoms, codes, fac_xy, args.households, args.seed, args.maxdist,
                                     args.repeat)
    print(f"\nsummary (wall clock; load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  circles        gridmap {c_ours:7.2f} s   osmnx recipe {c_nx:7.2f} s   ratio {c_nx / c_ours:5.1f}×")
    print(f"  walking times  gridmap {h_ours:7.2f} s   pandana      {h_pan:7.2f} s   ratio {h_pan / h_ours:5.1f}×")


if __name__ == "__main__":
    main()
