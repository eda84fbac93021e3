"""Where a patrol starts: the police room of the catalogue or the worker's position (validated,
refused in Chinese), the return to the start, and the planned times of a round."""

from __future__ import annotations

import pytest
from django.conf import settings

from layers.patrols import hotspots as hs
from layers.patrols import route as pr
from layers.patrols import start as st
from layers.patrols.counts import IncidentFilter
from tests.patrols._hotspot_data import LAT0, LON0, STEP
from tests.patrols._town import POLICE_LON_LAT, town


@pytest.mark.parametrize(("lat", "lon", "message"), [
    ("", "104.06", "纬度未填写"),
    ("北纬30度", "104.06", "纬度应为数字"),
    ("inf", "104.06", "纬度应为数字"),
    ("30.6", "1" * 40, "经度应为数字"),
    ("104.06", "30.66", "纬度和经度是否写反了"),
    ("95", "104", "纬度应在 -90 到 90 之间"),
    ("48.85", "2.35", "不在国内"),
])  # fmt: skip
def test_a_bad_position_is_refused_naming_the_field(lat, lon, message):
    with pytest.raises(st.StartError, match=message) as e:
        st.position(lat, lon)
    assert not any(c.isascii() and c.isalpha() for c in str(e.value))  # Chinese only


def test_a_good_position_and_the_dwell_time():
    assert st.position(" 30.6605 ", "104.0633") == (104.0633, 30.6605)
    assert st.parse_dwell("") == settings.GRIDMAP_PATROL_DWELL_MIN and st.parse_dwell("12") == 12.0
    for bad in ["-1", "121", "5.5", "abc", "9" * 30]:
        with pytest.raises(st.StartError, match="每站停留时间"):
            st.parse_dwell(bad)
    assert st.parse_start({}) == st.StartPoint()
    here = st.parse_start({"start": "here", "lat": "30.66", "lon": "104.06"})
    assert (here.kind, here.lon_lat, here.name, here.value) == ("here", (104.06, 30.66), "我的位置", "here")


@pytest.mark.django_db
def test_the_police_room_is_a_start_and_the_round_returns_to_it(world):
    t = town()
    rooms = st.police_rooms()
    assert [(pk, name) for pk, name, _, _ in rooms] == [(t.police.pk, "横零路警务室")]
    start = st.parse_start({"start": f"police:{t.police.pk}"})
    assert (start.kind, start.name, start.lon_lat) == ("police", "横零路警务室", pytest.approx(POLICE_LON_LAT))
    for bad in ["police:999999", "police:", "police:1;DROP", "城管:1", "x" * 300]:
        with pytest.raises(st.StartError, match="起点无效"):
            st.parse_start({"start": bad})

    result = hs.hotspots(IncidentFilter.last_days(30), seed=0)
    plan = pr.plan_patrol(result, start_lon_lat=start.lon_lat, start_name=start.name, return_to_start=True,
                          dwell_minutes=4)  # fmt: skip
    assert plan.start.name == "横零路警务室" and plan.start.snap_m < 1  # on a street corner
    assert plan.legs[0].from_number == 0 and plan.legs[-1].to_number == 0 and plan.closed
    assert plan.return_walk_m == plan.legs[-1].length_m > 0
    speed = settings.GRIDMAP_WALK_SPEED_M_PER_MIN
    assert plan.stops[0].arrive_min == pytest.approx(plan.legs[0].length_m / speed)
    last = plan.stops[-1]
    assert plan.total_minutes == pytest.approx(last.arrive_min + 4 + plan.return_walk_m / speed)
    assert all(s.gi_class > 0 for s in plan.stops)
    open_plan = pr.plan_patrol(result, start_lon_lat=start.lon_lat, start_name=start.name, dwell_minutes=4)
    assert open_plan.return_walk_m == 0 and open_plan.legs[-1].to_number == len(open_plan.stops)
    assert open_plan.total_minutes < plan.total_minutes


@pytest.mark.django_db
def test_a_start_far_from_the_streets_is_refused_by_its_name(world):
    town()
    result = hs.hotspots(IncidentFilter.last_days(30), seed=0)
    with pytest.raises(pr.PatrolPlanError, match="我的位置 离路网"):
        pr.plan_patrol(result, start_lon_lat=(LON0 + 100 * STEP, LAT0), start_name="我的位置")

