"""Gi* hot spots, heat surface and emerging hot spots on incidents stored in PostGIS."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from io import StringIO

import esda
import geopandas as gpd
import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command
from libpysal.weights import DistanceBand, Queen, W

from layers.incidents.models import Incident
from layers.patrols import hotspots as hs
from layers.patrols.counts import IncidentFilter, incident_points
from layers.patrols.stats.density import silverman_bandwidth_m
from tests.factories import category, point
from tests.patrols._hotspot_data import LAT0, LON0, STEP, add_incidents, lattice, local

pytestmark = pytest.mark.django_db

WINDOW = IncidentFilter(since=local(2026, 3, 1, 0), until=local(2026, 4, 1, 0))
BLOCK = [(3, 3), (4, 3), (3, 4), (4, 4)]


def esda_gi(y: np.ndarray, w) -> esda.G_Local:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(y, w, transform="B", star=True, permutations=999, seed=0)


def poisson_incidents(side: int, mean: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for col in range(side):
        for row in range(side):
            if n := int(rng.poisson(mean)):
                add_incidents((col, row), local(2026, 3, 10), n=n)


def uniform_points(n: int, side: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lon = LON0 + rng.uniform(0, side * STEP, n)
    lat = LAT0 + rng.uniform(0, side * STEP, n)
    cat = category("security_risk")
    when = local(2026, 3, 10)
    Incident.objects.bulk_create(
        Incident(category=cat, description="均匀", geom=point(x, y), reported_at=when)
        for x, y in zip(lon, lat, strict=True)
    )


def test_grid_z_scores_identical_to_esda_with_queen_contiguity():
    lat = lattice(side=6)
    poisson_incidents(6, 3.0, seed=1)
    result = hs.hotspots(WINDOW, seed=0)
    y = result.cells["count"].to_numpy(dtype=float)
    # Queen neighbours of the lattice written out by hand: the 8 cells around (fewer at the edge).
    # (libpysal's vertex Queen finds none of the east-west pairs here: x + STEP and the next
    # cell's LON0 + col * STEP differ in the last bit, so the corners are not shared exactly.)
    row_of = {code: i for i, code in enumerate(result.cells["cell_id"])}
    expected = {
        row_of[lat.code(c, r)]: sorted(row_of[lat.code(c + dc, r + dr)] for dc in (-1, 0, 1) for dr in (-1, 0, 1)
                                       if (dc or dr) and 0 <= c + dc < 6 and 0 <= r + dr < 6)
        for c in range(6) for r in range(6)
    }  # fmt: skip
    ours, _ = hs.cell_weights(result.cells)
    assert {k: sorted(v) for k, v in ours.neighbors.items()} == expected
    ref = esda_gi(y, W(expected, id_order=list(range(36))))
    assert np.array_equal(result.cells["gi_z"].to_numpy(), ref.Zs)
    assert np.allclose(result.cells["gi_p_sim"].to_numpy(), np.minimum(1, 2 * ref.p_sim))
    assert "queen" in result.weights_description


def test_hex_z_scores_identical_to_esda_with_a_distance_band():
    lattice(side=6)
    poisson_incidents(6, 3.0, seed=2)
    result = hs.hotspots(WINDOW, kind="hex", size_m=100, seed=0)
    y = result.cells["count"].to_numpy(dtype=float)
    centres = result.cells.geometry.centroid
    band = DistanceBand(np.column_stack([centres.x, centres.y]), threshold=101.0, binary=True, silence_warnings=True)
    assert max(band.cardinalities.values()) == 6
    ref = esda_gi(y, band)
    assert np.allclose(result.cells["gi_z"].to_numpy(), ref.Zs, rtol=0, atol=1e-12)
    assert "距离带 101 m" in result.weights_description


def test_planted_cluster_is_a_99_percent_hot_spot_on_grids():
    lat = lattice(side=8)
    add_incidents([(c, r) for c in range(8) for r in range(8)], local(2026, 3, 5), n=1)
    add_incidents(BLOCK, local(2026, 3, 6, 22), n=20)
    result = hs.hotspots(WINDOW, seed=0)
    classes = dict(zip(result.cells["cell_id"], result.cells["gi_class"], strict=True))
    assert all(classes[lat.code(*cell)] == 3 for cell in BLOCK)
    ring = {(c, r) for c in range(2, 6) for r in range(2, 6)}
    assert all(classes[lat.code(c, r)] <= 0 for c in range(8) for r in range(8) if (c, r) not in ring)
    assert result.class_counts()[3] >= 4 and sum(result.class_counts().values()) == 64
    assert set(result.ranked()["cell_id"].head(4)) == {lat.code(*cell) for cell in BLOCK}
    assert result.cells.loc[result.cells["gi_class"] == 3, "gi_label"].eq("热点 99%").all()


def test_planted_cluster_is_a_99_percent_hot_spot_on_hexagons():
    lattice(side=8)
    add_incidents([(c, r) for c in range(8) for r in range(8)], local(2026, 3, 5), n=1)
    add_incidents(BLOCK, local(2026, 3, 6, 22), n=20)
    result = hs.hotspots(WINDOW, kind="hex", size_m=100, seed=0)
    centre = gpd.GeoSeries([shapely.Point(LON0 + 4 * STEP, LAT0 + 4 * STEP)], crs=4326).to_crs(result.cells.crs)[0]
    at_centre = result.cells[result.cells.contains(centre)]
    assert len(at_centre) == 1 and int(at_centre["gi_class"].iloc[0]) == 3


def test_uniform_field_stays_within_the_false_positive_rates():
    lattice(side=8)
    uniform_points(1500, side=8, seed=11)
    result = hs.hotspots(WINDOW, kind="hex", size_m=50, seed=0)
    classes = result.cells["gi_class"].to_numpy()
    n = len(classes)
    assert n > 250
    # Nominal rates 10 / 5 / 1 % (both sides together), with room for chance on ~300 cells.
    assert (np.abs(classes) >= 1).mean() <= 0.15
    assert (np.abs(classes) >= 2).mean() <= 0.08
    assert (np.abs(classes) == 3).mean() <= 0.03
    with_fdr = hs.hotspots(WINDOW, kind="hex", size_m=50, seed=0, fdr=0.05)
    assert (with_fdr.cells["gi_class"] == 0).all() and with_fdr.fdr == 0.05


def test_grid_contiguity_survives_t_junctions_and_slivers():
    a = shapely.box(0, 0, 100, 100)
    b = shapely.box(100, 20, 200, 80)  # touches a's side without sharing a vertex (T-junction)
    c = shapely.box(200.4, 0, 300, 100)  # 0.4 m gap to b
    d = shapely.box(500, 0, 600, 100)  # far away: an island
    frame = gpd.GeoDataFrame({"count": [1, 2, 3, 4]}, geometry=[a, b, c, d], crs=32648)
    frame.attrs["kind"] = "grid"
    w, _ = hs.cell_weights(frame)
    assert {k: sorted(v) for k, v in w.neighbors.items()} == {0: [1], 1: [0, 2], 2: [1], 3: []}
    assert list(frame.columns) == ["count", "geometry"]  # input untouched
    vertex_queen = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    assert 1 not in vertex_queen.neighbors[0]  # what the buffered test adds


def test_density_surface_counts_the_incidents_and_honours_the_bandwidth():
    lattice(side=8)
    add_incidents(BLOCK, local(2026, 3, 6, 22), n=10)
    add_incidents([(1, 1), (6, 6)], local(2026, 3, 6, 22), n=3)
    surface = hs.density_surface(WINDOW)
    xy = incident_points(WINDOW)[["x_m", "y_m"]].to_numpy()
    assert surface.bandwidth_m == pytest.approx(silverman_bandwidth_m(xy))
    assert surface.total_incidents() == pytest.approx(46, rel=0.02)
    fixed = hs.density_surface(WINDOW, bandwidth_m=120.0, cell_size_m=10.0)
    assert fixed.bandwidth_m == 120.0 and fixed.cell_size_m == 10.0
    assert hs.density_surface(WINDOW.replace(categories=("fire_risk",))) is None


def test_emerging_patterns_from_weekly_bins():
    lat = lattice(side=8)
    until = local(2026, 3, 29, 0)
    persistent, historical, new = [(1, 1), (2, 1), (1, 2), (2, 2)], [(5, 1), (6, 1), (5, 2), (6, 2)], [
        (1, 5), (2, 5), (1, 6), (2, 6)]  # fmt: skip
    for week in range(12):  # week 11 is the final bin
        when = until - dt.timedelta(weeks=12 - week) + dt.timedelta(days=3)
        add_incidents(persistent, when, n=6)
        if week < 11:
            add_incidents(historical, when, n=6)
        else:
            add_incidents(new, when, n=6)
    analysis = hs.emerging(IncidentFilter(until=until), bin_kind="week", n_bins=12, seed=0)
    assert len(analysis.edges) == 13 and analysis.bin_kind == "week"
    pattern = dict(zip(analysis.cells["cell_id"], analysis.cells["category"], strict=True))
    assert {pattern[lat.code(*c)] for c in persistent} == {"persistent_hot"}
    assert {pattern[lat.code(*c)] for c in historical} == {"historical_hot"}
    assert {pattern[lat.code(*c)] for c in new} == {"new_hot"}
    assert pattern[lat.code(7, 7)] == "no_pattern"
    labels = dict(zip(analysis.cells["cell_id"], analysis.cells["category_zh"], strict=True))
    assert labels[lat.code(1, 5)] == "新热点" and labels[lat.code(1, 1)] == "持续热点"
    hot_bins = dict(zip(analysis.cells["cell_id"], analysis.cells["hot_bins"], strict=True))
    assert hot_bins[lat.code(1, 1)] == 12 and hot_bins[lat.code(1, 5)] == 1


def test_hottest_cells_rank_by_class_then_count():
    lat = lattice(side=8)
    add_incidents([(c, r) for c in range(8) for r in range(8)], local(2026, 3, 5), n=1)
    add_incidents(BLOCK, local(2026, 3, 6, 22), n=20)
    add_incidents((3, 3), local(2026, 3, 6, 22), n=10)  # the busiest cell of the cluster
    result = hs.hotspots(WINDOW, seed=0)
    top = hs.hottest_cells(result, 3)
    assert len(top) == 3 and top["cell_id"].iloc[0] == lat.code(3, 3)
    assert (top["gi_class"] == 3).all()
    significant = int(((result.cells["gi_class"] > 0) & (result.cells["count"] > 0)).sum())
    assert 3 <= significant < 64
    # Only significant hot spots, never filled up with the rest; the count ranking takes any cell.
    assert len(hs.hottest_cells(result, 500)) == significant
    assert (hs.hottest_cells(result, 500)["gi_class"] > 0).all()
    assert len(hs.hottest_cells(result, 500, rank="count")) == 64
    with pytest.raises(hs.IncidentQueryError):
        hs.hottest_cells(result, 0)


def test_hotspots_command_table_json_and_geojson(tmp_path):
    lat = lattice(side=8)
    add_incidents([(c, r) for c in range(8) for r in range(8)], local(2026, 3, 5), n=1)
    add_incidents(BLOCK, local(2026, 3, 6, 22), n=20)
    args = ["--since", "2026-03-01", "--until", "2026-03-31", "--seed", "0"]
    out = StringIO()
    call_command("hotspots", *args, stdout=out)
    text = out.getvalue()
    assert text.startswith("事件热点 (Getis-Ord Gi*) · 2026-03-01 00:00 至 2026-04-01 00:00")
    assert "单元: 网格 64 个 · 权重: 网格 queen 邻接" in text and "置换 999 次 · FDR: 无" in text
    assert "事件 144 起 · 热点 99%: " in text
    rows = [line for line in text.splitlines() if line[:1].isdigit()]
    assert rows and {lat.code(*c) for c in BLOCK} <= {row.split()[1] for row in rows}
    assert all("不显著" not in row for row in rows)  # the table lists significant cells only

    out = StringIO()
    call_command("hotspots", *args, "--cell", "hex", "--hex-size", "100", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["cell_kind"] == "hex" and data["hex_size_m"] == 100 and data["n_incidents"] == 144
    assert len(data["cells"]) == data["n_cells"] and {"q", "r", "gi_z", "gi_label"} <= set(data["cells"][0])
    assert data["class_counts"]["热点 99%"] >= 1

    geo = tmp_path / "hot.geojson"
    call_command("hotspots", *args, "--format", "geojson", "--out", str(geo), "--category", "security_risk",
                 stdout=StringIO())  # fmt: skip
    collection = json.loads(geo.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 64
    lon, lat_ = collection["features"][0]["geometry"]["coordinates"][0][0][0]  # MultiPolygon
    assert 104.0 < lon < 104.1 and 30.6 < lat_ < 30.7  # WGS84 degrees
    assert "类别 治安隐患" in collection["properties"]["filter"]


def test_hotspots_command_emerging_map_and_errors(tmp_path):
    lattice(side=8)
    until = local(2026, 3, 29, 0)
    for week in range(12):
        add_incidents(BLOCK, until - dt.timedelta(weeks=12 - week) + dt.timedelta(days=3), n=6)
    html = tmp_path / "hot.html"
    out = StringIO()
    call_command("hotspots", "--since", "2026-01-01", "--until", "2026-03-28", "--emerging", "week", "--seed", "0",
                 "--map", str(html), stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "时空模式" in text and "持续热点" in text and "时空热点模式 (12 期, 每期一周)" in text
    assert html.exists() and "/static/vendor/leaflet/leaflet.js" in html.read_text(encoding="utf-8")
    with pytest.raises(CommandError, match="--days 与 --since/--until 不能同时使用"):
        call_command("hotspots", "--days", "7", "--since", "2026-01-01", stdout=StringIO())
    with pytest.raises(CommandError, match="事件类别无效"):
        call_command("hotspots", "--category", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="时段"):
        call_command("hotspots", "--hours", "7-7", stdout=StringIO())
