"""import_network: OSM → the walkable network, on the real Chengdu extract and on small
hand-written files, with pgRouting reading the result."""

from __future__ import annotations

import bz2
from io import StringIO

import numpy as np
import osmium
import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import connection
from scipy.sparse.csgraph import connected_components, dijkstra

from importers.network import NetworkImporter, NetworkImportError, OsmWalkReader, foot_directions, walkability
from layers.facilities.models import NetworkState, WalkEdge, WalkNode
from layers.facilities.walking.graph import load_graph

CHENGDU = "fixtures/osm/chengdu_center_2018.osm.bz2"

# Figures of the Chengdu extract (checked by hand against the file, see the importer's docstring).
CHENGDU_NODES, CHENGDU_EDGES, CHENGDU_COMPONENTS = 3521, 4947, 43


def osm_xml(nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict[str, str]]]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'<node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in nodes.items()]
    for way_id, refs, tags in ways:
        lines.append(f'<way id="{way_id}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    return "\n".join(lines)


# A cross of two residential streets meeting at node 3, a footway bridge over street 1 with
# no shared node, a private lane, a motorway, a one-way footway, and a way whose last node
# lies outside the extract (node 99 is not in the file).
SMALL_NODES = {1: (104.060, 30.660), 2: (104.065, 30.660), 3: (104.070, 30.660), 4: (104.075, 30.660),
               5: (104.070, 30.655), 6: (104.070, 30.665), 7: (104.062, 30.658), 8: (104.062, 30.662),
               9: (104.075, 30.665), 10: (104.080, 30.665), 11: (104.080, 30.670), 12: (104.085, 30.670)}
SMALL_WAYS = [
    (100, [1, 2, 3, 4], {"highway": "residential", "name": "东街 - East Street"}),
    (101, [5, 3, 6], {"highway": "residential", "oneway": "yes"}),  # a car one-way: walkable both ways
    (102, [7, 8], {"highway": "footway", "bridge": "yes"}),
    (103, [4, 9], {"highway": "service", "access": "private"}),
    (104, [9, 10], {"highway": "motorway"}),
    (105, [6, 9], {"highway": "footway", "oneway": "yes"}),
    (106, [10, 11, 12, 99], {"highway": "path"}),
    (107, [11, 12], {"highway": "construction"}),
]


@pytest.fixture
def small_osm(tmp_path):
    path = tmp_path / "small.osm"
    path.write_text(osm_xml(SMALL_NODES, SMALL_WAYS), encoding="utf-8")
    return path


def test_walkability_rules():
    assert walkability({"highway": "footway"}) is None
    assert walkability({"highway": "residential"}) is None
    assert walkability({"highway": "primary"}) is None
    assert walkability({"highway": "trunk"}) is None
    assert walkability({"highway": "trunk", "bridge": "viaduct"}) is not None
    assert walkability({"highway": "motorway"}) == "highway=motorway"
    assert walkability({"highway": "motorway_link"}) == "highway=motorway_link"
    assert walkability({"highway": "construction"}) == "highway=construction"
    assert walkability({"highway": "service", "access": "private"}) == "access=private"
    assert walkability({"highway": "service", "access": "private", "foot": "yes"}) is None
    assert walkability({"highway": "primary", "foot": "no"}) == "foot=no"
    assert walkability({"highway": "cycleway"}) is not None
    assert walkability({"highway": "cycleway", "foot": "designated"}) is None
    assert walkability({"highway": "pedestrian", "area": "yes"}) == "area=yes"
    assert foot_directions({"highway": "primary", "oneway": "yes"}) == (True, True)
    assert foot_directions({"highway": "footway", "oneway": "yes"}) == (True, False)
    assert foot_directions({"highway": "primary", "oneway:foot": "-1"}) == (False, True)
    assert foot_directions({"highway": "steps", "conveying": "forward"}) == (True, False)


def test_small_file_is_split_at_shared_nodes_and_filtered(small_osm):
    data = OsmWalkReader().read(small_osm)
    pairs = {(int(s), int(t)) for s, t in zip(data.source, data.target, strict=True)}
    # Street 100 is split at node 3 (shared with 101) but not at 2; 101 at 3 and at 6 (105).
    assert {(1, 3), (3, 4), (5, 3), (3, 6), (7, 8), (6, 9), (10, 12)} == pairs
    assert data.excluded == {"access=private": 1, "highway=motorway": 1, "highway=construction": 1}
    k = list(zip(data.source, data.target, strict=True)).index((6, 9))
    assert data.cost[k] > 0 and data.reverse_cost[k] == -1  # the one-way footway
    k = list(zip(data.source, data.target, strict=True)).index((5, 3))
    assert data.cost[k] == data.reverse_cost[k] == data.length_m[k]  # the car one-way street
    assert data.name[list(zip(data.source, data.target, strict=True)).index((1, 3))] == "东街"
    assert data.components() == (3, pytest.approx(6 / 10))  # {1, 3, 4, 5, 6, 9}, {7, 8}, {10, 12}
    # 1→3 runs along 0.010° of longitude at 30.66° N: 957.5 m on the ellipsoid.
    assert data.length_m[list(zip(data.source, data.target, strict=True)).index((1, 3))] == pytest.approx(957.5, abs=1)


@pytest.mark.django_db
def test_chengdu_extract_imports_with_its_counts_and_lengths():
    out = StringIO()
    call_command("import_network", CHENGDU, stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert f"{CHENGDU_NODES} 个节点" in text and f"{CHENGDU_EDGES} 条路段" in text
    assert "highway=motorway: 4" in text
    assert WalkNode.objects.count() == CHENGDU_NODES and WalkEdge.objects.count() == CHENGDU_EDGES
    assert not WalkEdge.objects.filter(highway__in=["motorway", "motorway_link", "construction"]).exists()
    state = NetworkState.current()
    assert (state.nodes, state.edges, state.components) == (CHENGDU_NODES, CHENGDU_EDGES, CHENGDU_COMPONENTS)
    assert 0.95 < state.largest_component_share < 0.97
    with connection.cursor() as cur:
        # Every edge ends at nodes of the table; lengths agree with PostGIS on the spheroid.
        cur.execute("SELECT count(*) FROM facilities_walkedge e LEFT JOIN facilities_walknode s ON s.id = e.source"
                    " LEFT JOIN facilities_walknode t ON t.id = e.target WHERE s.id IS NULL OR t.id IS NULL"
                    " OR NOT ST_Equals(ST_StartPoint(e.geom), s.geom) OR NOT ST_Equals(ST_EndPoint(e.geom), t.geom)")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT max(abs(length_m - ST_Length(geom::geography, true)) / greatest(length_m, 1))"
                    " FROM facilities_walkedge")
        assert cur.fetchone()[0] < 1e-6
        # Edges meet only at their ends: an inner vertex lying on an end node is one of the two
        # duplicates of the extract (distinct OSM nodes at identical coordinates on ways 53109087
        # and 567214045, unconnected in OSM and kept so).
        cur.execute("""
            SELECT DISTINCT d.osm_way_id
              FROM (SELECT osm_way_id, (ST_DumpPoints(geom)).*, ST_NPoints(geom) AS n FROM facilities_walkedge) d
              JOIN facilities_walknode w ON ST_Equals(w.geom, d.geom)
             WHERE d.path[1] NOT IN (1, d.n) ORDER BY 1""")
        assert cur.fetchall() == [(53109087,), (567214045,)]


@pytest.mark.django_db
def test_pgrouting_reads_the_network_and_agrees_with_the_graph():
    NetworkImporter().run(CHENGDU)
    graph = load_graph(4544)  # Chengdu: CGCS2000 Gauss–Krüger 105°E
    _, labels = connected_components(graph.walk_matrix, directed=False)
    xy = np.zeros((graph.n_nodes, 2))
    xy[graph.u] = shapely.get_coordinates(shapely.get_point(graph.geoms_m, 0))
    xy[graph.v] = shapely.get_coordinates(shapely.get_point(graph.geoms_m, -1))
    main = np.flatnonzero(labels == np.bincount(labels).argmax())
    centre = main[np.argmin(np.hypot(*(xy[main] - xy[main].mean(axis=0)).T))]  # the most central node
    start = int(graph.node_ids[centre])
    with connection.cursor() as cur:
        cur.execute(
            "SELECT node, agg_cost FROM pgr_drivingDistance("
            "'SELECT id, source, target, cost, reverse_cost FROM facilities_walkedge', %s, 800, directed => true)",
            [start])
        pgr = dict(cur.fetchall())
    ours = dijkstra(graph.walk_matrix, indices=int(np.flatnonzero(graph.node_ids == start)[0]), limit=800)
    mine = {int(graph.node_ids[i]): d for i, d in enumerate(ours) if d <= 800}
    assert set(mine) == set(pgr) and len(mine) > 20
    assert max(abs(mine[n] - pgr[n]) for n in mine) < 1e-6


@pytest.mark.django_db
def test_other_formats_give_the_same_network(tmp_path):
    plain = tmp_path / "chengdu.osm"
    plain.write_bytes(bz2.decompress(open(CHENGDU, "rb").read()))  # noqa: SIM115
    pbf = tmp_path / "chengdu.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(CHENGDU):
        writer.add(obj)
    writer.close()
    counts = [NetworkImporter().run(p, dry_run=True) for p in (CHENGDU, plain, pbf)]
    assert {(c.nodes, c.edges, round(c.length_km, 6)) for c in counts} == {
        (CHENGDU_NODES, CHENGDU_EDGES, round(counts[0].length_km, 6))}
    assert WalkEdge.objects.count() == 0  # dry runs write nothing


@pytest.mark.django_db
def test_reimport_replaces_the_network_and_a_failed_import_keeps_it(tmp_path, small_osm):
    NetworkImporter().run(small_osm)
    version = NetworkState.current().version
    assert WalkEdge.objects.count() == 7
    NetworkImporter().run(small_osm)
    assert WalkEdge.objects.count() == 7 and WalkNode.objects.count() == 10  # replaced, not added
    assert NetworkState.current().version > version
    truncated = tmp_path / "cut.osm.bz2"
    truncated.write_bytes(open(CHENGDU, "rb").read()[:100_000])  # noqa: SIM115
    with pytest.raises(CommandError, match=r"cut\.osm\.bz2: 无法读取 OpenStreetMap 文件"):
        call_command("import_network", str(truncated), stdout=StringIO(), stderr=StringIO())
    assert WalkEdge.objects.count() == 7


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.osm", None, r"missing\.osm: 文件不存在 \(file not found\)"),
    ("table.csv", "a,b\n1,2\n", r"table\.csv: 不是 OpenStreetMap 文件 \(not an OpenStreetMap file"),
    ("notes.osm", "hello, not XML", r"notes\.osm: 无法读取 OpenStreetMap 文件 \(not a readable OpenStreetMap file: XML parsing error"),
    ("empty.osm", '<?xml version="1.0"?><osm version="0.6"></osm>', r"empty\.osm: no walkable ways found"),
])
def test_clear_errors_name_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(NetworkImportError, match=message):
        OsmWalkReader().read(path)


@pytest.mark.django_db
def test_import_reports_the_fragments_and_their_length(small_osm):
    data = OsmWalkReader().read(small_osm)
    pairs = list(zip(data.source.tolist(), data.target.tolist(), strict=True))
    outside = data.length_m[pairs.index((7, 8))] + data.length_m[pairs.index((10, 12))]  # the two cut-off parts
    assert data.outside_largest_m() == pytest.approx(outside)
    out = StringIO()
    call_command("import_network", str(small_osm), "--no-refresh", stdout=out, stderr=StringIO())
    text = out.getvalue()
    share = outside / data.length_m.sum()
    assert "连通分量 (components): 3" in text
    assert f"路网不连通: 2 个与主路网断开的片段, 共 {outside / 1000:.2f} km (占总长 {share:.1%}" in text
    state = NetworkState.current()
    assert state.components == 3 and state.outside_largest_m == pytest.approx(outside, rel=1e-9)
    assert state.length_m == pytest.approx(data.length_m.sum(), rel=1e-9)
