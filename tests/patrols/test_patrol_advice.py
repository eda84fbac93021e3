"""What the patrol tools say when the numbers mislead: a route off the imported network is
refused naming the stops, a cell neighbouring every other cell has a note, a busy cell that
is 不显著 is explained and the count ranking is offered (and used when nothing is significant)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from layers.patrols import hotspots as hs
from layers.patrols import route as pr
from layers.patrols.counts import IncidentFilter
from layers.patrols.stats.gistar import NOTE_ALL_NEIGHBOURS
from tests.factories import box, make_community, make_grid
from tests.fixtures_world import client_for
from tests.patrols._hotspot_data import LAT0, LON0, STEP, add_incidents, isolated_street, lattice, local, street_lattice

pytestmark = pytest.mark.django_db

WINDOW = IncidentFilter(since=local(2026, 3, 1, 0), until=local(2026, 4, 1, 0))
ARGS = ["--since", "2026-03-01", "--until", "2026-03-31"]
CLUSTER = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3), (2, 3)]
BUSY = (6, 6)


def _busy_town(code: str = "510104001001"):
    """8 × 8 grids with streets: a cluster of 6 cells × 6 incidents in the west, and one busy
    cell (15 incidents) in the north-east whose neighbours are all empty."""
    lat = lattice(side=8, code=code)
    add_incidents(CLUSTER, local(2026, 3, 5), n=6)
    add_incidents(BUSY, local(2026, 3, 6, 22), n=15)
    street_lattice(side=8)
    return lat


# --- refusals -------------------------------------------------------------------------------------


def test_stops_off_the_imported_network_are_refused_by_name():
    lat = lattice(side=4)
    add_incidents([(1, 1), (2, 2)], local(2026, 3, 6, 22), n=3)
    isolated_street(LON0 + 1.0, LAT0)  # the only street: about 96 km east
    result = hs.hotspots(WINDOW, seed=0)
    with pytest.raises(pr.PatrolPlanError, match="不在已导入的步行路网上") as e:
        pr.plan_patrol(result, top_n=2)
    message = str(e.value)
    assert "格1-1（" in message and "格2-2（" in message and lat.code(1, 1) not in message
    assert "km" in message and "150 m" in message and "请导入覆盖这些地点的步行路网" in message
    with pytest.raises(CommandError, match="不在已导入的步行路网上"):
        call_command("patrol_plan", *ARGS, "--top", "2", stdout=StringIO())


def test_only_the_far_stops_are_named():
    lattice(side=8)
    add_incidents([(1, 1), (6, 6)], local(2026, 3, 6, 22), n=4)
    street_lattice(side=3)  # streets over the south-west 3 × 3 cells only
    result = hs.hotspots(WINDOW, seed=0)
    with pytest.raises(pr.PatrolPlanError) as e:
        pr.plan_patrol(result, top_n=2, rank="count")
    assert "格6-6（" in str(e.value) and "格1-1" not in str(e.value)


def test_the_patrol_page_says_why_there_is_no_route(world):
    add_incidents_world(world)
    page = client_for(world.patrol).get("/patrol/?days=30").content.decode()
    assert "无法生成巡逻路线：未加载步行路网：请管理员先导入路网" in page
    frame = client_for(world.patrol).get("/patrol/map.html?days=30").content.decode()
    said = "请管理员先导入路网"
    assert said in frame or json.dumps(said)[1:-1] in frame  # text, or escaped inside the map's script


def add_incidents_world(_world) -> None:
    from django.utils import timezone

    from layers.incidents import lifecycle
    from tests.factories import category, point

    for k in range(3):
        lifecycle.report(category=category("dispute"), description="纠纷", geom=point(104.066, 30.656 + k * 1e-4),
                         at=timezone.now())


# --- the Gi* note ---------------------------------------------------------------------------------


def test_a_grid_touching_every_other_grid_is_noted_in_the_table_and_the_map(tmp_path):
    community = make_community("510104001001", geom=box(LON0, LAT0, LON0 + 4 * STEP, LAT0 + 2 * STEP))
    strip = make_grid(community, box(LON0, LAT0, LON0 + 4 * STEP, LAT0 + STEP), name="长条网格")
    for k in range(4):
        make_grid(community, box(LON0 + k * STEP, LAT0 + STEP, LON0 + (k + 1) * STEP, LAT0 + 2 * STEP), name=f"上{k}")
    add_incidents([(0, 0), (1, 1), (3, 1)], local(2026, 3, 6, 22), n=3)
    result = hs.hotspots(WINDOW, seed=0)
    cells = result.cells.set_index("cell_id")
    assert cells.loc[strip.code, "gi_note"] == NOTE_ALL_NEIGHBOURS and cells.loc[strip.code, "gi_label"] == "不显著"
    assert (cells.drop(strip.code)["gi_note"] == "").all()
    out = StringIO()
    html = tmp_path / "hot.html"
    call_command("hotspots", *ARGS, "--map", str(html), stdout=out)
    assert f"说明: {strip.code} 长条网格 (事件 3 起) 记为不显著: 该单元与全部单元相邻，无法计算热点统计量" in out.getvalue()
    page = html.read_text(encoding="utf-8")
    note = "无法计算热点统计量"
    assert "gi_note" in page and (note in page or json.dumps(note)[1:-1] in page)


# --- ranking --------------------------------------------------------------------------------------


def test_a_busy_cell_with_empty_neighbours_is_explained_and_the_count_ranking_visits_it():
    lat = _busy_town()
    result = hs.hotspots(WINDOW, seed=0)
    busy = result.cells.set_index("cell_id").loc[lat.code(*BUSY)]
    assert busy["count"] == result.cells["count"].max() and busy["gi_class"] == 0
    notes = hs.ranking_notes(result)
    assert len(notes) == 1 and "事件最多的「格6-6」（15 起）显示为不显著" in notes[0]
    assert "连成一片" in notes[0] and "按事件数" in notes[0]
    by_gi = pr.plan_patrol(result, top_n=2)  # the two 99 % hot spots of the cluster
    by_count = pr.plan_patrol(result, top_n=2, rank="count")
    assert lat.code(*BUSY) not in {s.cell_id for s in by_gi.stops}
    assert lat.code(*BUSY) in {s.cell_id for s in by_count.stops}
    assert (by_gi.rank_label, by_count.rank_label) == ("按显著热点排序", "按事件数排名（不代表统计显著）")
    assert all(s.gi_class > 0 for s in by_gi.stops) and not by_gi.fallback
    out = StringIO()
    call_command("patrol_plan", *ARGS, "--top", "3", "--rank", "count", stdout=out, stderr=StringIO())
    assert "按事件数排名" in out.getvalue() and lat.code(*BUSY) in out.getvalue()


def test_without_significant_hot_spots_the_route_ranks_by_count_and_says_so():
    lat = lattice(side=8)
    # A checkerboard: busy cells are surrounded by quiet ones, nothing clusters.
    add_incidents([(c, r) for c in range(8) for r in range(8) if (c + r) % 2 == 0], local(2026, 3, 6, 22), n=3)
    add_incidents((7, 1), local(2026, 3, 6, 22), n=2)
    street_lattice(side=8)
    result = hs.hotspots(WINDOW, seed=0)
    assert not hs.has_hot_spots(result)
    assert "所选条件下没有显著热点" in " ".join(hs.ranking_notes(result))
    plan = pr.plan_patrol(result, top_n=2)
    assert plan.rank == "count" and plan.fallback and plan.rank_label == "按事件数排名（不代表统计显著）"
    assert lat.code(7, 1) in {s.cell_id for s in plan.stops}  # the busiest (5)
    assert plan.warnings[0].startswith("所选条件下没有显著热点") and "不代表统计上显著" in plan.warnings[0]


def test_the_patrol_page_offers_the_ranking_and_explains_the_busy_cell(world):
    from django.utils import timezone

    from layers.incidents.models import Incident

    _busy_town("510104001009")
    Incident.objects.update(reported_at=timezone.now())
    Incident.objects.filter(pk__in=[world.iw.pk, world.ie.pk]).update(reported_at=local(2020, 1, 1))
    client = client_for(world.patrol)
    page = client.get("/patrol/?days=30").content.decode()
    assert 'name="rank"' in page and "按事件数排名（事件最多的单元优先）" in page
    assert "显示为不显著" in page and "连成一片" in page and "巡逻路线按显著热点排序。" in page
    assert "四周的单元一起，与全区的平均水平比较" in page  # the one-line explanation
    page = client.get("/patrol/?days=30&rank=count").content.decode()
    assert "巡逻路线按事件数排名（不代表统计显著）。" in page and 'value="count" selected' in page
    frame = client.get("/patrol/map.html?days=30&rank=count").content.decode()
    assert "按事件数排名" in frame or "\\u6309\\u4e8b\\u4ef6\\u6570\\u6392\\u540d" in frame
