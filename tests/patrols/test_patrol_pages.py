"""The patrol page and its A4 route card as a patrol officer reads them: Chinese only, stops
named by their streets, the start point and the return, planned times, the check of last
period's map (read from the background job's result, never computed in the request), and
hostile parameters answered in Chinese."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest
from django.core.cache import cache

from layers.jobs.models import Job
from layers.jobs.tasks import run_job
from tests.fixtures_world import client_for
from tests.patrols._town import town

pytestmark = pytest.mark.django_db

ALLOWED_WORDS = {"km", "m"}  # units
CARD_ALLOWED = ALLOWED_WORDS | {"OpenStreetMap", "ODbL"}  # the data source and its licence, by name


class _Visible(HTMLParser):
    """The text a person sees in <body>, without the shared header (brand and user name)."""

    HIDDEN = {"script", "style", "head", "title", "header", "template"}

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.skip += 1
        if tag in {"input", "button"} and not self.skip:
            self.parts += [v for k, v in attrs if k in {"placeholder", "title", "aria-label"} and v]

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str, *, keep_header: bool = False) -> str:
    parser = _Visible()
    if keep_header:
        parser.HIDDEN = _Visible.HIDDEN - {"header"}
    parser.feed(page)
    return " ".join(parser.parts)


def english_words(text: str, allowed: set[str]) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z][A-Za-z*]*", text)} - allowed


@pytest.fixture
def patrol_town(world):
    cache.clear()
    return town()


def test_the_page_is_chinese_only_and_names_stops_by_their_streets(world, patrol_town):
    client = client_for(world.patrol)
    page = client.get("/patrol/?days=30&category=security_risk&category=dispute").content.decode()
    text = visible_text(page)
    assert english_words(text, ALLOWED_WORDS) == set(), text
    assert "类别 矛盾纠纷、治安隐患" in text and "security_risk" not in text
    assert re.search(r"[横纵].[路街]与[横纵].[路街]交叉口附近", text) and not re.search(r"六边形 -?\d", text)
    assert "与全区的平均水平比较" in text  # why a busy cell can be 不显著
    hexes = visible_text(client.get("/patrol/?days=30&cell=hex").content.decode())
    assert re.search(r"[横纵].[路街]", hexes) and not re.search(r"六边形 -?\d+:-?\d+", hexes)


def test_route_on_the_page_visits_only_significant_hot_spots_with_times(world, patrol_town):
    from layers.patrols.hotspots import CLASS_LABELS_ZH

    page = client_for(world.patrol).get("/patrol/?days=30&dwell=10&depart=20:00").content.decode()
    rows = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td>(\d+)</td><td>(.*?)</td><td>(\d\d:\d\d)</td>"
                      r"<td>(\d\d:\d\d)</td></tr>", page)  # fmt: skip
    assert rows, page
    significant = {CLASS_LABELS_ZH[k] for k in (1, 2, 3)}
    assert all(level in significant for _, _, _, level, _, _ in rows)
    assert rows[0][4] == "20:00" and rows[0][5] == "20:10"  # arrive at the first stop, stay 10 minutes
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    assert "每站停留 10 分钟" in page


def test_start_at_the_police_room_and_return(world, patrol_town):
    client = client_for(world.patrol)
    page = client.get(f"/patrol/?days=30&start=police:{patrol_town.police.pk}&return=1").content.decode()
    assert f'<option value="police:{patrol_town.police.pk}" selected>横零路警务室</option>' in page
    assert "<td>起</td><td>横零路警务室</td>" in page and "（含返回起点）" in page
    card = client.get(f"/patrol/card/?days=30&start=police:{patrol_town.police.pk}&return=1").content.decode()
    assert "<td>返回横零路警务室</td>" in card


def test_my_position_is_validated_in_chinese(world, patrol_town):
    client = client_for(world.patrol)
    from tests.patrols._hotspot_data import LAT0, LON0

    ok = client.get(f"/patrol/?days=30&start=here&lat={LAT0 + 0.004}&lon={LON0 + 0.004}").content.decode()
    assert "<td>起</td><td>我的位置</td>" in ok
    for lat, lon, expected in [("abc", "104.05", "纬度应为数字"), ("", "104.05", "纬度未填写"),
                               ("104.05", "30.64", "纬度和经度是否写反了"), ("91", "104", "纬度应在 -90 到 90 之间"),
                               ("nan", "104.05", "纬度应为数字"), ("30.64", "1e309", "经度应为数字")]:  # fmt: skip
        page = client.get("/patrol/", {"days": "30", "start": "here", "lat": lat, "lon": lon})
        assert page.status_code == 200
        text = visible_text(page.content.decode())
        assert expected in text and english_words(text, ALLOWED_WORDS) == set(), (lat, lon, text)
        card = client.get("/patrol/card/", {"days": "30", "start": "here", "lat": lat, "lon": lon})
        assert card.status_code == 400 and expected in card.content.decode()


def test_a_hostile_category_is_refused_in_chinese(world, patrol_town):
    client = client_for(world.patrol)
    hostile = "<script>alert(1)</script>' OR 1=1 --"
    page = client.get("/patrol/", {"days": "30", "category": hostile})
    assert page.status_code == 200
    text = visible_text(page.content.decode())
    assert "事件类别无效" in text and "<script>" not in page.content.decode()
    assert english_words(re.sub(r"“[^”]*”", "", text), ALLOWED_WORDS) == set()  # but the echoed value
    card = client.get("/patrol/card/", {"days": "30", "category": hostile})
    assert card.status_code == 400 and "事件类别无效" in card.content.decode()
    assert "<script>alert" not in card.content.decode()
    for name, value, message in [("days", "99999999999999999999", "时间范围"), ("dwell", "-5", "每站停留时间"),
                                 ("start", "police:abc", "起点无效"), ("depart", "25:99", "出发时间"),
                                 ("hours", "25-99", "时段")]:  # fmt: skip
        response = client.get("/patrol/card/", {"days": "30", name: value})
        assert response.status_code == 400 and message in response.content.decode(), (name, value)


def test_the_card_is_a_printable_chinese_a4_page(world, patrol_town):
    client = client_for(world.patrol)
    card = client.get("/patrol/card/?days=30").content.decode()
    text = visible_text(card, keep_header=True)
    assert english_words(text, CARD_ALLOWED) == set(), text
    assert "打印时间：" in text and "条件：" in text and "地图数据 © OpenStreetMap 贡献者" in text
    assert 'id="route-data"' in card and re.search(r"patrol_card\.[0-9a-f]*\.?css", card)
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "gridmap" / "patrol_card.css").read_text()
    assert "@page{size:A4 portrait" in css and ".leaflet-control-container{display:none" not in css.split("@media print")[0]


def test_last_periods_check_comes_from_the_background_job(world, patrol_town):
    client = client_for(world.patrol)
    page = client.get("/patrol/?days=30").content.decode()
    assert "正在后台检验上期热点" in page
    job = Job.objects.get(kind="patrols.period_check")
    assert job.state == Job.State.QUEUED
    client.get("/patrol/?days=30")
    assert Job.objects.filter(kind="patrols.period_check").count() == 1  # one waiting job, not one per view
    run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    page = client.get("/patrol/?days=30").content.decode()
    # Every incident of the town is recent: the last period has none, so the check says why.
    assert "无法检验" in page and "期间没有事件，无法标记热点" in page


def test_no_significant_hot_spot_offers_the_count_ranking_clearly_labelled(world):
    import datetime as dt

    from django.utils import timezone

    from tests.patrols._hotspot_data import add_incidents, lattice, street_lattice

    cache.clear()
    lattice(side=8, code="510104001009")
    # A checkerboard: busy cells surrounded by quiet ones, nothing clusters.
    add_incidents([(c, r) for c in range(8) for r in range(8) if (c + r) % 2 == 0],
                  timezone.now() - dt.timedelta(days=1), n=3)  # fmt: skip
    street_lattice(side=8)
    page = client_for(world.patrol).get("/patrol/?days=30").content.decode()
    text = visible_text(page)
    assert "所选条件下没有显著热点" in text and "不代表统计上显著" in text
    assert "巡逻路线（按事件数排名（不代表统计显著））" in text
    assert "巡逻路线按显著热点排序" not in text


def test_the_check_table_shows_the_evaluation_of_last_period_next_to_the_baseline(world):
    import datetime as dt

    from django.utils import timezone

    from layers.patrols.evaluation import evaluate
    from layers.patrols.filters import local_zone
    from tests.patrols._hotspot_data import add_incidents

    cache.clear()
    t = town()  # incidents two days ago: this period
    before = timezone.now() - dt.timedelta(days=40)  # the last period: the same cluster, and a lone busy cell
    from tests.patrols._town import CLUSTER

    add_incidents(CLUSTER, before, n=6)
    add_incidents((6, 1), before, n=9)
    client = client_for(world.patrol)
    client.get("/patrol/?days=30")
    run_job(Job.objects.get(kind="patrols.period_check").pk)
    page = client.get("/patrol/?days=30").content.decode()
    today = timezone.now().astimezone(local_zone()).date()
    ev = evaluate(today - dt.timedelta(days=30), train_days=30, baseline_days=30, test_days=30, seed=None)
    rows = re.findall(r"<tr><td>(上期热点图（显著性热点分析）|简单基准：上期事件数排名)</td><td>(.*?)</td><td>(.*?)</td>"
                      r"<td>(.*?)</td><td>(\d+)</td></tr>", page)  # fmt: skip
    assert [r[0] for r in rows] == ["上期热点图（显著性热点分析）", "简单基准：上期事件数排名"], page
    assert rows[0][1:] == (f"{ev.gi.score.hit_rate:.0%}", f"{ev.gi.score.area_share:.0%}", f"{ev.gi.score.pai:.1f}",
                           str(len(ev.gi.cells)))  # fmt: skip
    assert rows[1][1:] == (f"{ev.naive.score.hit_rate:.0%}", f"{ev.naive.score.area_share:.0%}",
                           f"{ev.naive.score.pai:.1f}", str(len(ev.naive.cells)))  # fmt: skip
    # Last month's busiest single cells caught this month's cluster on less area than Gi*'s
    # flagged share: the page says to prefer the count ranking this time.
    assert ev.naive.score.pai > 1.1 * ev.gi.score.pai > 1
    assert "“按上期事件数排名”预测本期事件比热点图更准" in visible_text(page)
    assert t.police.pk


def test_hexagons_are_named_by_their_streets_not_their_lattice_ids(world, patrol_town):
    from layers.facilities.places import place_names
    from layers.patrols import hotspots as hs
    from layers.patrols.filters import IncidentFilter

    cells = hs.hotspots(IncidentFilter.last_days(30), kind="hex", seed=0).cells
    busy = cells[cells["count"] > 0]
    assert len(busy) > 5
    # Inside the town by its streets; the world's two grids further east have no streets at all.
    named = [n for n in busy["name"] if not n.startswith("六边形单元 · 路网节点附近 (")]
    assert len(named) >= len(busy) - 2
    assert all(re.fullmatch(r"六边形单元 · [横纵].[路街](与[横纵].[路街]交叉口)?附近", n) for n in named), named
    assert not any(re.search(r"-?\d+:-?\d+", n) for n in cells["name"])
    assert set(cells.loc[cells["count"] == 0, "name"]) <= {"无事件的六边形单元"}
    # Named at each hexagon's own centre (taken from its lattice coordinates, not from GEOS).
    centres = busy.geometry.centroid
    at_centres = place_names(np.column_stack([centres.x, centres.y]), int(cells.crs.to_epsg()))
    assert list(busy["name"]) == [f"六边形单元 · {n}" for n in at_centres]
