"""Walking service circles: known answers on hand-built networks, the same reach as networkx
on the Chengdu network, recomputation of exactly what a change affects, and the fallback."""

from __future__ import annotations

import math
import threading
from io import StringIO

import networkx as nx
import numpy as np
import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from importers.network import NetworkImporter
from layers.facilities.analysis.network_graph import EdgePoints
from layers.facilities.models import AccessMethod, Facility, FacilityCircle, WalkEdge
from layers.facilities.walking.graph import load_graph, lonlat_to_metric
from layers.facilities.walking.refresh import pending_count, refresh_pending
from tests.facilities.walk_fixtures import (
    add_facility,
    build_network,
    ftype,
    lonlat,
    point,
    snap_in_postgis,
    walk_digraph,
)

pytestmark = pytest.mark.django_db

CHENGDU = "fixtures/osm/chengdu_center_2018.osm.bz2"
SPEED = 1000 / 15  # m/min: settings.GRIDMAP_WALK_SPEED_M_PER_MIN's default
ONE_SECOND_M = SPEED / 60

# Two streets along the banks of a river (y = 0) 200 m apart, one bridge at x = 600.
RIVER_NODES = {"S0": (-1200, -100), "S1": (0, -100), "S2": (600, -100), "S3": (1200, -100),
               "N0": (-1200, 100), "N1": (0, 100), "N2": (600, 100), "N3": (1200, 100), "NB": (0, 300)}
RIVER_EDGES = [("S0", "S1"), ("S1", "S2"), ("S2", "S3"), ("N0", "N1"), ("N1", "N2"), ("N2", "N3"),
               ("N1", "NB"), ("S2", "N2")]


def circle(facility: Facility, minutes: int) -> FacilityCircle:
    return FacilityCircle.objects.get(facility=facility, minutes=minutes)


def covers(c: FacilityCircle, x: float, y: float) -> bool:
    return c.geom.covers(point(x, y))


def xmin(pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT xmin::text FROM facilities_facilitycircle WHERE id = %s", [pk])
        return cur.fetchone()[0]


# --- known answers -------------------------------------------------------------------------------


def test_river_with_one_bridge_the_far_bank_is_reached_only_over_the_bridge():
    ids = build_network(RIVER_NODES, RIVER_EDGES)
    f = add_facility(50, -110)  # snaps onto the south street at x = 50, 10 m away
    refresh_pending()
    c15 = circle(f, 15)
    assert c15.method == AccessMethod.NETWORK
    assert c15.snap_distance_m == pytest.approx(10, abs=0.05)
    # 1000 m: the south street to x = 50 ± 1000, the bridge (500 + 200 m), then 250 m each way
    # along the north street from x = 600. The block straight across (x = 0, 260 m away) is not.
    # The 50 m band is 50 m on the ground (± 0.5 m; the district's zone is off by 1e-4 here).
    assert covers(c15, 0, -149.5) and not covers(c15, 0, -150.5) and covers(c15, 600, 0)
    assert covers(c15, 400, 100) and covers(c15, 800, 100)
    assert not covers(c15, 0, 150) and not covers(c15, 0, 100) and not covers(c15, 290, 100)
    assert not covers(c15, 910, 100)
    assert set(c15.reached_nodes) == {ids["S1"], ids["S2"], ids["N2"]}
    # A straight-line circle would claim the far bank: the network circle is not a buffer/hull.
    assert c15.area_m2 < 0.5 * math.pi * 1000**2
    assert point(0, 150).distance(point(50, -110)) < point(1000, -100).distance(point(50, -110))


def test_the_last_edge_is_cut_at_the_exact_remaining_distance():
    build_network(RIVER_NODES, RIVER_EDGES)
    f = add_facility(50, -110)
    refresh_pending()
    c15, c5 = circle(f, 15), circle(f, 5)
    # 15 minutes: cut at x = 1050 (and -950) on edges 600 m long; buffer 50 m beyond the cut.
    assert covers(c15, 1090, -100) and not covers(c15, 1110, -100)
    assert covers(c15, -990, -100) and not covers(c15, -1010, -100)
    # 5 minutes = 333.3 m: x from -283.3 to 383.3, nowhere near a node (whole edges would give 0 or 600).
    assert covers(c5, 420, -100) and not covers(c5, 445, -100)
    assert covers(c5, -320, -100) and not covers(c5, -345, -100)
    assert circle(f, 5).area_m2 < circle(f, 10).area_m2 < c15.area_m2


def test_dead_end_is_walked_in_and_cut_inside():
    nodes = {"M0": (-500, 0), "M1": (0, 0), "M2": (500, 0), "D": (0, 300)}
    build_network(nodes, [("M0", "M1"), ("M1", "M2"), ("M1", "D")])
    f = add_facility(-400, -10)
    refresh_pending()
    # 10 minutes = 666.7 m: the cul-de-sac starts 400 m away, so 266.7 m of it are reached.
    c10 = circle(f, 10)
    assert covers(c10, 0, 250) and not covers(c10, 0, 330)
    # 15 minutes reach its end (700 m): covered to the tip plus the band, nothing beyond.
    c15 = circle(f, 15)
    assert covers(c15, 0, 340) and not covers(c15, 0, 360)


def test_small_blocks_enclosed_by_reached_streets_are_filled_large_ones_are_not():
    # Two square blocks side by side: 250 m (its hole inside the 50 m bands: 150 m × 150 m =
    # 2.25 ha, filled) and 400 m (300 m × 300 m = 9 ha, left open).
    nodes = {"a": (0, 0), "b": (250, 0), "c": (250, 250), "d": (0, 250),
             "e": (650, 0), "f": (650, 400), "g": (250, 400)}
    build_network(nodes, [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a"),
                          ("b", "e"), ("e", "f"), ("f", "g"), ("g", "c")])
    f = add_facility(250, -10)
    refresh_pending()
    c15 = circle(f, 15)
    assert set(c15.reached_nodes) == set(range(1, 8))
    assert covers(c15, 125, 125)  # the small block's middle, 125 m from every street
    assert not covers(c15, 450, 200)  # the large block's middle, 200 m from every street
    assert covers(c15, 450, 40) and not covers(c15, 450, 60)  # the band along the large block's edge


@pytest.mark.parametrize(("oneway", "c_reached"), [("forward", False), ("backward", True)])
def test_one_way_cut_off(oneway, c_reached):
    # A —(one way)— B — C, and A — E. Residents walk to the facility at A: with A→B only,
    # nobody at B or C can get back to A; with B→A only they can.
    nodes = {"E": (-300, 0), "A": (0, 0), "B": (300, 0), "C": (600, 0)}
    ids = build_network(nodes, [("A", "B", oneway), ("B", "C"), ("E", "A")])
    f = add_facility(-10, -5)  # on E–A, 10 m west of A
    refresh_pending()
    c15 = circle(f, 15)
    assert covers(c15, -250, 0)
    assert covers(c15, 550, 0) is c_reached
    assert (ids["C"] in c15.reached_nodes) is c_reached
    # The reference: networkx over the reversed arcs from the facility's snapped point.
    g = walk_digraph()
    snap = snap_in_postgis(*lonlat(-10, -5))
    g.add_edge(snap[1], "F", weight=snap[5] * snap[3])
    g.add_edge(snap[2], "F", weight=(1 - snap[5]) * snap[4])
    reach = nx.single_source_dijkstra_path_length(g.reverse(copy=True), "F", weight="weight", cutoff=1000)
    assert set(c15.reached_nodes) == {n for n in reach if n != "F"}


# --- recomputation ---------------------------------------------------------------------------------


def test_adding_a_facility_computes_only_its_circles(django_capture_on_commit_callbacks):
    build_network(RIVER_NODES, RIVER_EDGES)
    first = add_facility(50, -110)
    refresh_pending()
    before = {c.pk: xmin(c.pk) for c in FacilityCircle.objects.filter(facility=first)}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = add_facility(-600, 110, name="北岸")
    assert callbacks  # the save scheduled a refresh after commit
    assert FacilityCircle.objects.filter(facility=second).count() == 3
    assert {c.pk: xmin(c.pk) for c in FacilityCircle.objects.filter(facility=first)} == before
    assert pending_count() == 0


def test_moving_renaming_and_deleting_a_facility():
    build_network(RIVER_NODES, RIVER_EDGES)
    moved, other = add_facility(50, -110), add_facility(-1100, -110, name="西")
    refresh_pending()
    other_before = {c.pk: xmin(c.pk) for c in FacilityCircle.objects.filter(facility=other)}
    moved.name = "改名"
    moved.save()
    assert pending_count() == 0  # a rename queues nothing
    moved.geom = point(0, 140)  # across the river
    moved.save()
    refresh_pending()
    assert covers(circle(moved, 15), 0, 150) and not covers(circle(moved, 5), 0, -150)
    assert {c.pk: xmin(c.pk) for c in FacilityCircle.objects.filter(facility=other)} == other_before
    with connection.cursor() as cur:  # plain SQL too
        cur.execute("DELETE FROM facilities_facility WHERE id = %s", [moved.pk])
    assert not FacilityCircle.objects.filter(facility_id=moved.pk).exists()


def test_closing_the_bridge_requeues_exactly_the_circles_that_reached_it():
    ids = build_network(RIVER_NODES, RIVER_EDGES)
    near, west = add_facility(50, -110), add_facility(-1100, -110, name="西")
    refresh_pending()
    assert {ids["S2"], ids["N2"]} <= set(circle(near, 15).reached_nodes)
    assert not {ids["S2"], ids["N2"]} & set(circle(west, 15).reached_nodes)
    west_before = {c.pk: xmin(c.pk) for c in FacilityCircle.objects.filter(facility=west)}
    WalkEdge.objects.get(source=ids["S2"], target=ids["N2"]).delete()
    with connection.cursor() as cur:
        cur.execute("SELECT kind, key FROM facilities_accessqueue WHERE kind = 'facility'")
        assert cur.fetchall() == [("facility", near.pk)]
    refresh_pending()
    assert not covers(circle(near, 15), 400, 100)
    assert {c.pk: xmin(c.pk) for c in FacilityCircle.objects.filter(facility=west)} == west_before


def test_concurrent_writers_queueing_the_same_work_neither_wait_nor_deadlock():
    """Two committing writers on their own connections (outside the test's transaction)."""
    first, second = ftype("kindergarten").pk, ftype("market").pk
    params = connection.get_connection_params()
    barrier = threading.Barrier(2, timeout=20)
    errors: list[Exception] = []
    insert = ("INSERT INTO facilities_facility (type_id, name, geom, address, source, source_id, synthetic)"
              " VALUES (%s, '并发测试', ST_SetSRID(ST_MakePoint(104.07, 30.66), 4326), '', 'manual', '', false)")

    def writer(a: int, b: int) -> None:
        # Each queues ('type', a) then, once the other has queued its first type, ('type', b):
        # opposite orders, the classic deadlock if queueing waited on the other's rows.
        conn = psycopg2.connect(**params)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(insert, [a])
                barrier.wait()
                cur.execute(insert, [b])
        except (psycopg2.Error, threading.BrokenBarrierError) as e:
            errors.append(e)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(first, second)),
               threading.Thread(target=writer, args=(second, first))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
    finally:  # what the writers committed is not rolled back with the test: remove it
        with psycopg2.connect(**params) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM facilities_facility WHERE name = '并发测试'")
            cur.execute("DELETE FROM facilities_accessqueue")
        conn.close()


def test_without_a_network_circles_are_straight_line_buffers_until_one_is_loaded():
    f = add_facility(50, -110)
    refresh_pending()
    c15 = circle(f, 15)
    assert c15.method == AccessMethod.BUFFER and c15.snap_distance_m is None
    assert c15.area_m2 == pytest.approx(math.pi * 1000**2, rel=0.01)
    assert covers(c15, 0, 150)  # the disc ignores the river
    build_network(RIVER_NODES, RIVER_EDGES)  # inserting edges queues the buffer circles
    refresh_pending()
    c15 = circle(f, 15)
    assert c15.method == AccessMethod.NETWORK and not covers(c15, 0, 150)


def test_a_facility_far_from_every_street_gets_a_labelled_straight_line_circle():
    build_network(RIVER_NODES, RIVER_EDGES)
    f = add_facility(0, 2000)  # 1.7 km north of the network
    refresh_pending()
    c5 = circle(f, 5)
    assert c5.method == AccessMethod.OFF_NETWORK and c5.snap_distance_m > 1000
    assert c5.area_m2 == pytest.approx(math.pi * (5 * SPEED) ** 2, rel=0.01)


def test_build_circles_command(settings):
    build_network(RIVER_NODES, RIVER_EDGES)
    add_facility(50, -110)
    add_facility(-600, 110, code="health_station")
    out, err = StringIO(), StringIO()
    call_command("build_circles", "--type", "kindergarten", "--minutes", "5", "10", stdout=out, stderr=err)
    assert sorted(FacilityCircle.objects.filter(facility__type__code="kindergarten")
                  .values_list("minutes", flat=True)) == [5, 10]
    assert "服务圈" in out.getvalue() and "100%" in err.getvalue()  # summary and the progress bar
    assert pending_count() == 0  # the health station queued by its insert was handled too
    assert FacilityCircle.objects.filter(facility__type__code="health_station").count() == 3
    settings.GRIDMAP_CIRCLE_MINUTES = (5, 15)  # a full rebuild follows the settings, dropping the rest
    call_command("build_circles", stdout=StringIO(), stderr=StringIO())
    assert sorted(set(FacilityCircle.objects.values_list("minutes", flat=True))) == [5, 15]
    with pytest.raises(CommandError, match="unknown facility type 'nope'"):
        call_command("build_circles", "--type", "nope")


# --- the Chengdu network against networkx ----------------------------------------------------------


def test_chengdu_reach_matches_networkx_dijkstra():
    NetworkImporter().run(CHENGDU)
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(geom, random()) p"
                    " FROM facilities_walkedge ORDER BY id LIMIT 4000) a ORDER BY random() LIMIT 6")
        spots = cur.fetchall()
    facilities = [Facility.objects.create(type_id=1, name=f"F{k}", geom=f"SRID=4326;POINT({x + 2e-4} {y})")
                  for k, (x, y) in enumerate(spots)]
    refresh_pending()
    g = walk_digraph().reverse(copy=True)
    graph = load_graph(4544)  # Chengdu: CGCS2000 Gauss–Krüger 105°E
    index = {int(n): i for i, n in enumerate(graph.node_ids)}
    for f in facilities:
        snap = snap_in_postgis(f.geom.x, f.geom.y)
        ref = g.copy()
        ref.add_edge("F", snap[1], weight=snap[5] * snap[3])
        ref.add_edge("F", snap[2], weight=(1 - snap[5]) * snap[4])
        expected = nx.single_source_dijkstra_path_length(ref, "F", weight="weight")
        ours = graph.snap(lonlat_to_metric(np.array([[f.geom.x, f.geom.y]]), 4544))
        assert graph.edge_ids[ours.edge[0]] == snap[0]
        walk = dict(graph.walks_from_each_source(EdgePoints(ours.edge, ours.fraction, ours.snap_distance_m),
                                                 limit_m=1000))[0]
        for minutes in (5, 10, 15):
            reach = minutes * SPEED
            reached = {n for n, d in expected.items() if n != "F" and d <= reach}
            # Nodes within a millimetre of the limit may fall either side of it (float noise).
            edge_case = {n for n, d in expected.items() if n != "F" and abs(d - reach) < 1e-3}
            assert set(circle(f, minutes).reached_nodes) ^ reached <= edge_case
        for n in (n for n, d in expected.items() if n != "F" and d <= 1000):
            assert abs(walk[index[n]] - expected[n]) < ONE_SECOND_M
        c5, c15 = circle(f, 5), circle(f, 15)
        assert c5.geom.valid and c15.geom.valid
        assert c5.geom.difference(c15.geom).area < 1e-10  # 5 minutes inside 15 (degrees²)
