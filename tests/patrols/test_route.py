"""Patrol plans through the hottest cells, walked along a street lattice with pgRouting."""

from __future__ import annotations

import itertools
import json
from io import StringIO

import numpy as np
import pyproj
import pytest
import shapely
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from layers.facilities.models import WalkEdge
from layers.patrols import hotspots as hs
from layers.patrols import route as pr
from layers.patrols.counts import IncidentFilter
from layers.patrols.stats.routing_order import path_length_m
from tests.patrols._hotspot_data import (
    LAT0,
    LON0,
    NODE_ID0,
    Lattice,
    add_incidents,
    isolated_street,
    lattice,
    local,
    street_lattice,
)

pytestmark = pytest.mark.django_db

NIGHT = IncidentFilter(since=local(2026, 3, 1, 0), until=local(2026, 4, 1, 0), hours=(20, 2))
CLUSTERS = {
    "west": [(1, 1), (2, 1), (1, 2), (2, 2)],
    "east": [(5, 5), (6, 5), (5, 6), (6, 6)],
    "north": [(1, 5), (2, 5), (1, 6), (2, 6)],
}


@pytest.fixture
def town() -> Lattice:
    """8 × 8 grids, one evening incident in every cell, three night clusters, streets along the borders."""
    lat = lattice(side=8)
    add_incidents([(c, r) for c in range(8) for r in range(8)], local(2026, 3, 4, 21), n=1)
    add_incidents([(c, r) for c in range(8) for r in range(8)], local(2026, 3, 4, 12), n=3)  # daytime: filtered out
    for k, cells in enumerate(CLUSTERS.values()):
        add_incidents(cells, local(2026, 3, 6 + k, 23, 30), n=12 + 2 * k)
    street_lattice(side=8)
    return lat


def test_no_network_is_a_clear_error():
    lattice(side=4)
    add_incidents([(1, 1), (2, 2)], local(2026, 3, 6, 22), n=3)
    result = hs.hotspots(NIGHT, seed=0)
    with pytest.raises(pr.NoNetworkError, match="^未加载步行路网：请管理员先导入路网$"):
        pr.plan_patrol(result, top_n=2)
    with pytest.raises(CommandError, match="未加载步行路网：请管理员先导入路网"):
        call_command("patrol_plan", "--since", "2026-03-01", "--until", "2026-03-31", stdout=StringIO())


def _assert_on_streets(line: shapely.LineString) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Length(ST_Difference(ST_GeomFromText(%s, 4326), ST_Buffer(ST_Union(geom), 1e-8))) "
            "FROM facilities_walkedge",
            [line.wkt],
        )
        assert cur.fetchone()[0] == pytest.approx(0, abs=1e-12)


def test_route_visits_every_chosen_cell_and_follows_streets(town):
    result = hs.hotspots(NIGHT, seed=0)
    plan = pr.plan_patrol(result, top_n=6, rank="count")
    chosen = hs.hottest_cells(result, 6, rank="count")
    assert sorted(s.cell_id for s in plan.stops) == sorted(chosen["cell_id"])
    assert [s.number for s in plan.stops] == [1, 2, 3, 4, 5, 6] and plan.start is None
    # Every stop is a street corner on the border of its own cell.
    to_metric = pyproj.Transformer.from_crs(4326, result.cells.crs, always_xy=True)
    cells = dict(zip(chosen["cell_id"], chosen.geometry, strict=True))
    for stop in plan.stops:
        x, y = to_metric.transform(stop.lon, stop.lat)
        assert cells[stop.cell_id].distance(shapely.Point(x, y)) < 0.5
        assert NODE_ID0 <= stop.node_id < NODE_ID0 + 81
    # Consecutive stops are joined by legs along WalkEdge lines, end to end.
    edges = {e.id: e for e in WalkEdge.objects.all()}
    assert [(leg.from_number, leg.to_number) for leg in plan.legs] == [(k, k + 1) for k in range(1, 6)]
    for leg in plan.legs:
        a, b = plan.stops[leg.from_number - 1], plan.stops[leg.to_number - 1]
        if a.node_id == b.node_id:
            assert leg.line is None and leg.length_m == 0
            continue
        assert leg.line.coords[0] == pytest.approx((a.lon, a.lat)) and leg.line.coords[-1] == pytest.approx(
            (b.lon, b.lat)
        )
        _assert_on_streets(leg.line)
        assert leg.length_m == pytest.approx(sum(edges[e].length_m for e in leg.edge_ids))
        ends = [{edges[e].source, edges[e].target} for e in leg.edge_ids]
        assert all(p & q for p, q in itertools.pairwise(ends))  # a connected path
    assert plan.length_m == pytest.approx(sum(leg.length_m for leg in plan.legs))
    assert plan.walk_minutes == pytest.approx(plan.length_m / settings.GRIDMAP_WALK_SPEED_M_PER_MIN)
    # Planned times: walk between stops at the walking speed plus the dwell time at each stop.
    speed, dwell = settings.GRIDMAP_WALK_SPEED_M_PER_MIN, settings.GRIDMAP_PATROL_DWELL_MIN
    assert plan.stops[0].arrive_min == 0 and plan.dwell_minutes == dwell
    for before, after, leg in zip(plan.stops, plan.stops[1:], plan.legs, strict=False):
        assert after.walk_m == pytest.approx(leg.length_m)
        assert after.arrive_min == pytest.approx(before.arrive_min + dwell + leg.length_m / speed)
    assert plan.total_minutes == pytest.approx(plan.walk_minutes + 6 * dwell)
    assert plan.route_line().length > 0


def test_visiting_order_is_no_longer_than_the_ranked_order(town):
    result = hs.hotspots(NIGHT, seed=0)
    plan = pr.plan_patrol(result, top_n=6, rank="count")
    chosen = list(hs.hottest_cells(result, 6, rank="count")["cell_id"])
    nodes = {s.cell_id: s.node_id for s in plan.stops}
    d = pr.walk_matrix_m([nodes[c] for c in chosen])
    ranked = path_length_m(d, list(range(6)))
    best = min(path_length_m(d, list(p)) for p in itertools.permutations(range(6)))
    assert best - 1e-6 <= plan.length_m <= ranked + 1e-6
    assert plan.length_m <= 1.1 * best


def test_stops_snap_to_the_connected_network_not_to_a_stray_street(town):
    result = hs.hotspots(NIGHT, seed=0)
    first = hs.hottest_cells(result, 1)
    to_wgs = pyproj.Transformer.from_crs(result.cells.crs, 4326, always_xy=True)
    centre = first.geometry.iloc[0].centroid
    isolated_street(*to_wgs.transform(centre.x, centre.y))
    plan = pr.plan_patrol(result, top_n=3)
    assert all(s.node_id < 900_000 for s in plan.stops)


def test_start_point_and_closed_round(town):
    result = hs.hotspots(NIGHT, seed=0)
    start = (LON0 + 0.0071, LAT0 + 0.0002)  # near the south-east corner
    plan = pr.plan_patrol(result, top_n=4, start_lon_lat=start, return_to_start=True)
    assert plan.start is not None and plan.start.number == 0 and plan.start.snap_m < 60
    assert plan.legs[0].from_number == 0 and plan.legs[-1].to_number == 0 and len(plan.legs) == 5
    assert plan.closed and [s.number for s in plan.places] == [0, 1, 2, 3, 4]
    open_plan = pr.plan_patrol(result, top_n=4, start_lon_lat=start)
    assert open_plan.length_m < plan.length_m and open_plan.legs[-1].to_number == 4


def test_the_route_visits_only_significant_hot_spots(town):
    result = hs.hotspots(NIGHT, seed=0)
    n_hot = int((result.cells["gi_class"] > 0).sum())
    assert 0 < n_hot < 20
    plan = pr.plan_patrol(result, top_n=n_hot + 2)
    assert len(plan.stops) == n_hot and all(s.gi_class > 0 for s in plan.stops)
    assert {s.cell_id for s in plan.stops} == set(result.cells.loc[result.cells["gi_class"] > 0, "cell_id"])
    assert plan.warnings == (f"所选条件下只有 {n_hot} 个显著热点，路线只走这 {n_hot} 处。",) and not plan.fallback


def test_patrol_plan_command_prints_the_route_and_writes_the_map(town, tmp_path):
    out, err = StringIO(), StringIO()
    html = tmp_path / "patrol.html"
    call_command("patrol_plan", "--since", "2026-03-01", "--until", "2026-03-31", "--hours", "20-02", "--top", "4",
                 "--out", str(html), stdout=out, stderr=err)  # fmt: skip
    text = out.getvalue()
    assert "巡逻路线 · 2026-03-01 00:00 至 2026-04-01 00:00 · 20–02 时 · 网格" in text
    assert "路线全长" in text and "步行约" in text and "66.7 m/分钟" in text
    expected = hs.hottest_cells(hs.hotspots(NIGHT, seed=0), 4)["cell_id"]
    assert all(code in text for code in expected)
    page = html.read_text(encoding="utf-8")
    assert (
        json.dumps("巡逻路线 (4 站)")[1:-1] in page
        and "gm-stop" in page
        and "/static/vendor/leaflet/leaflet.js" in page
    )
    assert "地图已写入" in text

    out = StringIO()
    call_command("patrol_plan", "--since", "2026-03-01", "--until", "2026-03-31", "--hours", "20-02", "--top", "3",
                 "--start", f"{LAT0 + 0.0002},{LON0 + 0.0071}", "--format", "json", stdout=out)  # fmt: skip
    data = json.loads(out.getvalue())
    assert len(data["stops"]) == 3 and data["start"]["snap_m"] < 60
    assert data["length_m"] == pytest.approx(sum(leg["length_m"] for leg in data["legs"]), abs=0.5)
    assert np.isclose(data["walk_minutes"], data["length_m"] / settings.GRIDMAP_WALK_SPEED_M_PER_MIN, atol=0.1)


def test_patrol_plan_command_refuses_swapped_coordinates(town):
    with pytest.raises(CommandError, match="纬度和经度是否写反了"):
        call_command("patrol_plan", "--start", f"{LON0},{LAT0}", stdout=StringIO())
