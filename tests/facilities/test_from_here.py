"""Walking distance from where a grid worker stands (layers.facilities.walking.from_here), and
今日任务 sorting priority households by it: along the streets, not across the river."""

from __future__ import annotations

import numpy as np
import pytest

from layers.facilities.walking.from_here import walking_metres_from
from layers.grids.crs import metric_srid_for_lonlat
from tests.facilities.walk_fixtures import add_household, build_network, lonlat, origin_at
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

# Two streets 60 m apart (a river between them) joined by a bridge 400 m east.
NODES = {"a0": (0, 0), "a4": (400, 0), "b0": (0, 60), "b4": (400, 60)}
EDGES = [("a0", "a4"), ("a4", "b4"), ("b4", "b0")]
ORIGIN = (104.062, 30.652)  # inside the west grid of tests.factories.two_grids


def test_walk_goes_round_by_the_bridge_and_straight_lines_are_marked():
    with origin_at(*ORIGIN):
        build_network(NODES, EDGES)
        here = lonlat(0, 5)
        points = np.array([lonlat(0, 70), lonlat(200, -10), lonlat(5000, 5000)])
        srid = metric_srid_for_lonlat(*ORIGIN)
        found = walking_metres_from(here, points, srid=srid)
    across, along, far = found.distance_m
    assert found.on_network.tolist() == [True, True, False]
    assert across == pytest.approx(400 + 60 + 400, abs=15)  # not the 65 m across the river
    assert along == pytest.approx(200, abs=15)
    # Beyond the snap tolerance: the straight line in the metric CRS (about 7 km).
    assert far == pytest.approx(np.hypot(5000, 4995), rel=0.01)


def test_without_a_network_the_straight_line():
    with origin_at(*ORIGIN):
        found = walking_metres_from(lonlat(0, 0), np.array([lonlat(300, 400)]), srid=metric_srid_for_lonlat(*ORIGIN))
    assert found.on_network.tolist() == [False] and found.distance_m[0] == pytest.approx(500, rel=0.005)


def test_today_sorts_due_households_by_walking_distance(world):
    with origin_at(*ORIGIN):
        build_network(NODES, EDGES)
        add_household(0, 70, tags=["独居老人"], address="河对岸1号")
        add_household(200, -10, tags=["独居老人"], address="同岸2号")
        lon, lat = lonlat(0, 5)
    html = client_for(world.worker_w).get(f"/my/today/?lat={lat:.6f}&lon={lon:.6f}").content.decode()
    due = html[html.index('id="due-households"'):]
    assert due.index("同岸2号") < due.index("河对岸1号")
    assert "步行 8" in due  # 河对岸1号: some 860 m on foot
    assert "路网步行距离" in html or "步行距离排序" in html
