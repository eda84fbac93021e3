"""Tests for importers.chinese_crs: GCJ-02 / BD-09 conversions and the --crs option."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod, Transformer

from importers import chinese_crs as cc

GEOD = Geod(ellps="WGS84")

# Published WGS84 → GCJ-02 pairs (lat, lon order as published) from the eviltransform test suite.
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
TIANFU_SQUARE_WGS84 = (104.0657, 30.6576)  # 天府广场, central Chengdu (lon, lat)


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres on WGS84."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(lon1, lat1, lon2, lat2)
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.fixture(scope="module")
def china_points() -> tuple[np.ndarray, np.ndarray]:
    """400 random WGS84 points over mainland China's extent, plus a dense patch over Chengdu."""
    rng = np.random.default_rng(20240501)
    lon = np.concatenate([rng.uniform(74.0, 134.0, 300), rng.uniform(103.9, 104.3, 100)])
    lat = np.concatenate([rng.uniform(18.5, 53.0, 300), rng.uniform(30.5, 30.8, 100)])
    return lon, lat


def test_gcj02_round_trip_within_half_metre(china_points):
    lon, lat = china_points
    back_lon, back_lat = cc.gcj02_to_wgs84(*cc.wgs84_to_gcj02(lon, lat))
    assert distance_m(lon, lat, back_lon, back_lat).max() < 0.5
    # The fixed-point inverse actually converges far below the requirement.
    assert distance_m(lon, lat, back_lon, back_lat).max() < 0.001


def test_bd09_round_trip_within_half_metre(china_points):
    lon, lat = china_points
    back_lon, back_lat = cc.bd09_to_wgs84(*cc.wgs84_to_bd09(lon, lat))
    assert distance_m(lon, lat, back_lon, back_lat).max() < 0.5


def test_gcj02_bd09_round_trip(china_points):
    lon, lat = cc.wgs84_to_gcj02(*china_points)
    back_lon, back_lat = cc.bd09_to_gcj02(*cc.gcj02_to_bd09(lon, lat))
    assert distance_m(lon, lat, back_lon, back_lat).max() < 0.001


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_PAIRS)
def test_wgs84_to_gcj02_matches_published_pairs(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = cc.wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert distance_m(lon, lat, gcj_lon, gcj_lat) < 0.05
    back_lon, back_lat = cc.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert distance_m(back_lon, back_lat, wgs_lon, wgs_lat) < 0.05


def test_bd09_matches_published_coordtransform_pair():
    # wandergis/coordtransform README: gcj02tobd09(116.404, 39.915).
    lon, lat = cc.gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-9)
    assert lat == pytest.approx(39.92133699351021, abs=1e-9)


def test_bd09_beijing_railway_station_pair():
    # Beijing railway station as shown by Amap (GCJ-02) and Baidu (BD-09), 5 decimals (~1 m).
    gcj = (116.42703, 39.90245)
    bd = (116.43351, 39.90851)
    assert distance_m(*cc.gcj02_to_bd09(*gcj), *bd) < 1.5
    assert distance_m(*cc.bd09_to_gcj02(*bd), *gcj) < 1.5


def test_chengdu_offset_is_hundreds_of_metres():
    lon, lat = TIANFU_SQUARE_WGS84
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    offset = distance_m(lon, lat, g_lon, g_lat)
    assert 100 < offset < 700
    # In Chengdu GCJ-02 is shifted east and south of WGS84.
    assert g_lon > lon
    assert g_lat < lat


def test_out_of_china_points_are_unchanged_by_gcj02():
    lon = np.array([2.3522, -74.006, 139.6917, 151.2093, 100.5018, 72.0, 120.0])
    lat = np.array([48.8566, 40.7128, 35.6895, -33.8688, 0.5, 40.0, 56.0])
    assert cc.out_of_china(lon, lat).all()
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(g_lon, lon)
    np.testing.assert_array_equal(g_lat, lat)
    w_lon, w_lat = cc.gcj02_to_wgs84(lon, lat)
    np.testing.assert_array_equal(w_lon, lon)
    np.testing.assert_array_equal(w_lat, lat)


def test_china_rectangle_edges():
    inside = cc.out_of_china([72.004, 137.8347, 104.0], [0.8293, 55.8271, 30.0])
    assert not inside.any()
    assert cc.out_of_china(72.0039, 30.0)
    assert cc.out_of_china(104.0, 55.8272)


def test_mixed_inside_and_outside_and_nan():
    lon = np.array([104.0657, 2.3522, np.nan])
    lat = np.array([30.6576, 48.8566, 30.0])
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    assert g_lon[0] != lon[0]
    assert (g_lon[1], g_lat[1]) == (lon[1], lat[1])
    assert np.isnan(g_lon[2])
    assert np.isnan(g_lat[2])
    w_lon, w_lat = cc.gcj02_to_wgs84(g_lon, g_lat)
    assert np.isnan(w_lon[2])
    assert distance_m(w_lon[:2], w_lat[:2], lon[:2], lat[:2]).max() < 0.001


def test_inputs_are_not_modified_and_shapes_broadcast():
    lon = np.array([[104.0, 104.1], [104.2, 104.3]])
    lat = np.array([30.6, 30.7])
    lon_before = lon.copy()
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(lon, lon_before)
    assert g_lon.shape == g_lat.shape == (2, 2)
    w_lon, _ = cc.gcj02_to_wgs84(g_lon, g_lat)
    np.testing.assert_array_equal(g_lon, cc.wgs84_to_gcj02(lon, lat)[0])
    assert w_lon.shape == (2, 2)


def test_scalar_inputs_give_scalars():
    lon, lat = cc.wgs84_to_gcj02(104.0657, 30.6576)
    assert np.ndim(lon) == 0
    assert np.ndim(lat) == 0
    assert isinstance(float(lon), float)
    lon, lat = cc.bd09_to_wgs84(104.07, 30.66)
    assert np.ndim(lon) == 0


def test_iteration_stops_at_max_iter():
    g_lon, g_lat = cc.wgs84_to_gcj02(*TIANFU_SQUARE_WGS84)
    one_step = cc.gcj02_to_wgs84(g_lon, g_lat, max_iter=1)
    exact = cc.gcj02_to_wgs84(g_lon, g_lat)
    # One step is the classic approximation: metres off, not hundreds of metres.
    assert 0.001 < distance_m(*one_step, *TIANFU_SQUARE_WGS84) < 5
    assert distance_m(*exact, *TIANFU_SQUARE_WGS84) < 0.001


# --- to_wgs84 and parse_crs_option -------------------------------------------------------


def test_to_wgs84_offset_systems():
    lon, lat = TIANFU_SQUARE_WGS84
    assert distance_m(*cc.to_wgs84(*cc.wgs84_to_gcj02(lon, lat), "gcj02"), lon, lat) < 0.001
    assert distance_m(*cc.to_wgs84(*cc.wgs84_to_bd09(lon, lat), "BD-09"), lon, lat) < 0.001
    assert distance_m(*cc.to_wgs84(*cc.wgs84_to_bd09(lon, lat), cc.BD09), lon, lat) < 0.001


@pytest.mark.parametrize("crs", ["EPSG:4326", "wgs84", "4490", "CGCS2000", "epsg:4490"])
def test_to_wgs84_geographic_is_identity_in_lon_lat_order(crs):
    lon, lat = cc.to_wgs84(np.array([104.0657]), np.array([30.6576]), crs)
    assert lon[0] == pytest.approx(104.0657, abs=1e-9)
    assert lat[0] == pytest.approx(30.6576, abs=1e-9)


def test_gauss_kruger_zone_35_on_central_meridian():
    # On the central meridian (105°E) the GK northing is the meridian arc length from the
    # equator; the easting is the 500 km false easting with the zone number 35 in front.
    northing_m = 3_393_000.0
    lon, lat = cc.to_wgs84(35_500_000.0, northing_m, "EPSG:4523")
    _, expected_lat, _ = Geod(ellps="GRS80").fwd(105.0, 0.0, 0.0, northing_m)
    assert lon == pytest.approx(105.0, abs=1e-9)
    assert lat == pytest.approx(expected_lat, abs=1e-7)  # ~1 cm
    assert 30.6 < lat < 30.7


def test_gauss_kruger_zone_35_chengdu():
    # Tianfu Square is 0.93° west of 105°E: about 89.5 km west of the central meridian.
    lon0, lat0 = TIANFU_SQUARE_WGS84
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4523", always_xy=True).transform(lon0, lat0)
    assert 35_410_000 < x < 35_411_000
    assert 3_392_000 < y < 3_393_500
    lon, lat = cc.to_wgs84(x, y, "EPSG:4523")
    assert distance_m(lon, lat, lon0, lat0) < 0.01
    # The zone-less variant (CM 105E, EPSG:4544) differs only by the zone prefix.
    lon2, lat2 = cc.to_wgs84(x - 35_000_000, y, "4544")
    assert distance_m(lon2, lat2, lon0, lat0) < 0.01


def test_web_mercator():
    lon, lat = cc.to_wgs84(0.0, 0.0, "EPSG:3857")
    assert (float(lon), float(lat)) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        (" ＧＣＪ０２ ", "gcj02"),
        ("高德", "gcj02"),
        ("amap", "gcj02"),
        ("bd09", "bd09"),
        ("Baidu", "bd09"),
        ("百度", "bd09"),
        ("wgs84", "pyproj"),
        ("EPSG:4523", "pyproj"),
        ("4523", "pyproj"),
        ("ＥＰＳＧ：４５２３", "pyproj"),
        ("+proj=tmerc +lat_0=0 +lon_0=105 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs", "pyproj"),
    ],
)
def test_parse_crs_option_kinds(text, kind):
    assert cc.parse_crs_option(text).kind == kind


def test_parse_crs_option_normalises_epsg():
    spec = cc.parse_crs_option("4523")
    assert spec.srs == "EPSG:4523"
    assert not spec.is_geographic
    assert "zone 35" in spec.name
    assert cc.parse_crs_option("cgcs2000") == cc.parse_crs_option("EPSG:4490")
    assert cc.parse_crs_option("cgcs2000").is_geographic


@pytest.mark.parametrize("text", ["foo", "", "EPSG:999999", "EPSG:4978", "bd09mc"])
def test_parse_crs_option_rejects_with_clear_message(text):
    with pytest.raises(cc.UnknownCrsError) as info:
        cc.parse_crs_option(text, option="--source-crs")
    message = str(info.value)
    assert message.startswith("--source-crs: ")
    assert repr(text) in message
    for accepted in ("gcj02", "bd09", "wgs84", "cgcs2000", "EPSG:4513-4554"):
        assert accepted in message


def test_unknown_crs_error_is_value_error():
    with pytest.raises(ValueError, match="--crs"):
        cc.to_wgs84(1.0, 2.0, "mars-2")
