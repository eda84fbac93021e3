"""Incidents → counts per grid cell or hexagon, with the filters, in PostGIS."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyproj
import pytest

from layers.patrols import counts as ic
from layers.patrols.stats.cells import hex_axial_coords
from tests.factories import box, make_community, make_grid
from tests.patrols._hotspot_data import LAT0, LON0, STEP, Lattice, add_incidents, lattice, local

pytestmark = pytest.mark.django_db

WINDOW = ic.IncidentFilter(since=local(2026, 3, 1, 0), until=local(2026, 4, 1, 0))


def counts_by_code(frame) -> dict[str, int]:
    return dict(zip(frame["cell_id"], frame["count"], strict=True))


def test_grid_counts_include_every_grid_with_zeros():
    lat = lattice(side=4)
    add_incidents([(0, 0), (0, 0), (3, 2)], local(2026, 3, 10), n=2)
    frame = ic.count_incidents(WINDOW)
    assert len(frame) == 16 and frame.crs.to_epsg() == 4544  # the Chengdu district's zone (105°E)
    counts = counts_by_code(frame)
    assert counts[lat.code(0, 0)] == 4 and counts[lat.code(3, 2)] == 2
    assert sum(counts.values()) == 6 and list(counts.values()).count(0) == 14
    assert list(frame["cell_id"]) == sorted(frame["cell_id"])  # stable row order = weights order
    assert frame["area_m2"].between(9_000, 12_000).all()  # ≈ 96 m × 111 m
    assert frame.attrs["kind"] == "grid" and frame.attrs["filter"] == WINDOW


def test_time_window_category_and_status_filters():
    lat = lattice(side=2)
    add_incidents((0, 0), local(2026, 2, 28, 23, 59))  # before the window
    add_incidents((0, 0), local(2026, 3, 1, 0, 0))  # first instant: in
    add_incidents((0, 0), local(2026, 4, 1, 0, 0))  # until is exclusive: out
    add_incidents((1, 1), local(2026, 3, 5), code="dispute")
    add_incidents((1, 1), local(2026, 3, 5), status="cancelled")  # 不予立案: not an incident
    add_incidents((1, 1), local(2026, 3, 5), status="closed")
    counts = counts_by_code(ic.count_incidents(WINDOW))
    assert counts[lat.code(0, 0)] == 1 and counts[lat.code(1, 1)] == 2
    only = counts_by_code(ic.count_incidents(WINDOW.replace(categories=("dispute",))))
    assert only[lat.code(1, 1)] == 1 and only[lat.code(0, 0)] == 0
    cancelled = counts_by_code(ic.count_incidents(WINDOW.replace(statuses=("cancelled",))))
    assert cancelled[lat.code(1, 1)] == 1 and sum(cancelled.values()) == 1


def test_hours_wrap_midnight_on_the_local_clock():
    lat = lattice(side=2)
    for hour, minute in [(19, 59), (20, 0), (23, 30), (0, 0), (1, 59), (2, 0), (12, 0)]:
        add_incidents((0, 0), local(2026, 3, 10, hour, minute))
    night = ic.count_incidents(WINDOW.replace(hours=(20, 2)))
    assert counts_by_code(night)[lat.code(0, 0)] == 4  # 20:00, 23:30, 00:00, 01:59
    day = ic.count_incidents(WINDOW.replace(hours=(8, 20)))
    assert counts_by_code(day)[lat.code(0, 0)] == 2  # 12:00, 19:59
    assert counts_by_code(ic.count_incidents(WINDOW.replace(hours=(0, 24))))[lat.code(0, 0)] == 7


def test_weekdays_are_local_days():
    lat = lattice(side=2)
    add_incidents((0, 0), local(2026, 3, 7, 1, 30))  # Saturday 01:30 in Chengdu = Friday 17:30 UTC
    add_incidents((0, 0), local(2026, 3, 6, 22, 0))  # Friday
    add_incidents((0, 0), local(2026, 3, 9, 9, 0))  # Monday
    assert counts_by_code(ic.count_incidents(WINDOW.replace(weekdays=(6,))))[lat.code(0, 0)] == 1
    assert counts_by_code(ic.count_incidents(WINDOW.replace(weekdays=(5, 6))))[lat.code(0, 0)] == 2
    assert counts_by_code(ic.count_incidents(WINDOW.replace(weekdays=(1, 2, 3, 4, 5))))[lat.code(0, 0)] == 2


def test_between_dates_includes_the_last_day_and_last_days_counts_back():
    flt = ic.IncidentFilter.between_dates(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert flt.since == local(2026, 3, 1, 0) and flt.until == local(2026, 4, 1, 0)
    now = local(2026, 3, 31, 18)
    assert ic.IncidentFilter.last_days(7, now=now).since == local(2026, 3, 24, 18)
    assert "20–02 时" in WINDOW.replace(hours=(20, 2), weekdays=(5, 6)).describe_zh()
    assert "周五、周六" in WINDOW.replace(weekdays=(5, 6)).describe_zh()


@pytest.mark.parametrize(
    ("text", "expected"), [("20-02", (20, 2)), ("8-18", (8, 18)), ("0-24", (0, 24)), ("23-0", (23, 0))]
)
def test_parse_hours(text, expected):
    assert ic.parse_hours(text) == expected


@pytest.mark.parametrize("text", ["20", "25-02", "5-5", "a-b", "3-25"])
def test_parse_hours_refuses(text):
    with pytest.raises(ic.IncidentQueryError, match="时段"):
        ic.parse_hours(text)


def test_parse_weekdays_and_bad_filters():
    assert ic.parse_weekdays("1-5") == (1, 2, 3, 4, 5)
    assert ic.parse_weekdays("6,7,6") == (6, 7)
    with pytest.raises(ic.IncidentQueryError):
        ic.parse_weekdays("0,8")
    with pytest.raises(ic.IncidentQueryError, match="事件状态无效"):
        ic.IncidentFilter(statuses=("lost",))
    with pytest.raises(ic.IncidentQueryError, match="须带时区"):
        ic.IncidentFilter(since=dt.datetime(2026, 3, 1))  # naive on purpose
    with pytest.raises(ic.IncidentQueryError, match="开始时间应早于结束时间"):
        ic.IncidentFilter(since=local(2026, 3, 2), until=local(2026, 3, 1))


def test_unknown_category_names_the_known_ones():
    lattice(side=2)
    with pytest.raises(ic.IncidentQueryError, match="事件类别无效：“nope” 不在事件类别目录中"):
        ic.count_incidents(WINDOW.replace(categories=("nope",)))


def test_hexagons_cover_the_study_area_and_match_python_assignment():
    lattice(side=6)
    rng = np.random.default_rng(7)
    cells = [(int(c), int(r)) for c, r in rng.integers(0, 6, size=(40, 2))]
    for k, cell in enumerate(cells):
        add_incidents(cell, local(2026, 3, 1 + k % 28, 10), n=1 + k % 3)
    grids = ic.count_incidents(WINDOW)
    hexes = ic.count_incidents(WINDOW, kind="hex", size_m=100)
    assert hexes["count"].sum() == grids["count"].sum() and hexes.attrs["outside"] == 0
    assert hexes["area_m2"].sum() == pytest.approx(grids["area_m2"].sum(), rel=1e-6)
    assert (hexes["area_m2"] <= np.sqrt(3) / 2 * 100**2 + 1e-6).all()
    assert (hexes["count"] == 0).any()  # empty hexagons are kept
    # Same cells as cells.hex_axial_coords on the coordinates projected in Python.
    points = ic.incident_points(WINDOW)
    to_metric = pyproj.Transformer.from_crs(4326, 4544, always_xy=True)
    x, y = to_metric.transform(points["lon"].to_numpy(), points["lat"].to_numpy())
    q, r = hex_axial_coords(np.column_stack([x, y]), size_m=100)
    expected: dict[str, int] = {}
    for a, b in zip(q.tolist(), r.tolist(), strict=True):
        expected[f"{a}:{b}"] = expected.get(f"{a}:{b}", 0) + 1
    assert {k: v for k, v in counts_by_code(hexes).items() if v} == expected


def test_hexagon_ids_are_stable_when_the_study_area_grows():
    lattice(side=3)
    add_incidents((1, 1), local(2026, 3, 10), n=3)
    before = ic.count_incidents(WINDOW, kind="hex", size_m=100)
    far = make_community("510104001002", geom=box(LON0 + 0.02, LAT0, LON0 + 0.02 + STEP, LAT0 + STEP), name="远社区")
    make_grid(far, box(LON0 + 0.02, LAT0, LON0 + 0.02 + STEP, LAT0 + STEP))
    after = ic.count_incidents(WINDOW, kind="hex", size_m=100)
    assert len(after) > len(before)
    assert {k: v for k, v in counts_by_code(after).items() if v} == {
        k: v for k, v in counts_by_code(before).items() if v
    }
    assert set(before["cell_id"]) <= set(after["cell_id"])


def test_district_scope():
    lat = lattice(side=2)
    add_incidents((0, 0), local(2026, 3, 10))
    assert len(ic.count_incidents(WINDOW.replace(district="510104"))) == 4
    assert len(ic.count_incidents(WINDOW.replace(district="510105"))) == 0
    assert lat.community.code.startswith("510104")


def test_counts_by_weekly_bin_count_back_from_until():
    lat = lattice(side=3)
    until = local(2026, 3, 29, 0)
    edges = ic.bin_edges(until, bin_kind="week", n_bins=10)
    assert len(edges) == 11 and edges[-1] == until and edges[0] == until - dt.timedelta(weeks=10)
    add_incidents((0, 0), until - dt.timedelta(days=3), n=2)  # final bin
    add_incidents((0, 0), edges[0], n=1)  # first instant of the first bin
    add_incidents((2, 2), edges[5] + dt.timedelta(hours=1), n=4)
    add_incidents((2, 2), until, n=5)  # at the end: outside every bin
    frame, cube = ic.count_incidents_by_bin(ic.IncidentFilter(), edges)
    assert cube.shape == (10, 9) and cube.sum() == 7
    a, b = list(frame["cell_id"]).index(lat.code(0, 0)), list(frame["cell_id"]).index(lat.code(2, 2))
    assert cube[9, a] == 2 and cube[0, a] == 1 and cube[5, b] == 4
    hexes, hex_cube = ic.count_incidents_by_bin(ic.IncidentFilter(), edges, kind="hex", size_m=100)
    assert hex_cube.sum() == 7 and (hex_cube.sum(axis=1) == cube.sum(axis=1)).all()


def test_monthly_bins_and_bad_bins():
    edges = ic.bin_edges(local(2026, 3, 31, 0), bin_kind="month", n_bins=12)
    assert edges[-2] == local(2026, 2, 28, 0) and edges[0] == local(2025, 3, 31, 0)
    with pytest.raises(ic.IncidentQueryError):
        ic.bin_edges(local(2026, 3, 31), bin_kind="day")


def test_incident_points_are_local_time_newest_first():
    lattice(side=2)
    add_incidents((0, 0), local(2026, 3, 10, 22, 15))
    add_incidents((1, 0), local(2026, 3, 11, 8, 0), code="dispute")
    points = ic.incident_points(WINDOW)
    assert list(points["category"]) == ["dispute", "security_risk"]
    assert points["reported_at"].iloc[1].hour == 22 and str(points["reported_at"].dt.tz) == "Asia/Shanghai"
    lon, lat = Lattice.centre(0, 0)
    assert abs(points["lon"].iloc[1] - lon) < STEP and abs(points["lat"].iloc[1] - lat) < STEP
    assert len(ic.incident_points(WINDOW, limit=1)) == 1
