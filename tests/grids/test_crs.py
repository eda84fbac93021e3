"""The metric CRS follows the data: each district works in metres in its own CGCS2000
Gauss–Krüger zone, so that buffers, hexagons, walking distances and grid codes are right in
Shanghai and Harbin as in Chengdu, and two districts of different zones live side by side."""

from __future__ import annotations

import importlib
import math
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from pyproj import Geod, Transformer

from layers.facilities.models import AccessMethod, FacilityCircle, HouseholdAccess
from layers.facilities.walking.refresh import refresh_pending
from layers.grids import crs
from layers.grids.checks import check_metric_srid_override
from layers.grids.codes import assign_codes, reading_order
from layers.grids.models import Community, District, Grid, Street
from layers.patrols import counts as ic
from tests.facilities.walk_fixtures import (
    CHENGDU,
    HARBIN,
    SHANGHAI,
    add_facility,
    add_household,
    build_network,
    lonlat,
    origin_at,
    point,
    reference_walks,
    snap_in_postgis,
)
from tests.factories import box, make_community

pytestmark = pytest.mark.django_db

GEOD = Geod(ellps="WGS84")
PLACES = {"shanghai": (SHANGHAI, "310101", "黄浦区", 4549), "harbin": (HARBIN, "230102", "道里区", 4551),
          "chengdu": (CHENGDU, "510104", "锦江区", 4544)}


def district_at(lon: float, lat: float, code: str, name: str, half_deg: float = 0.03) -> Community:
    """A district → street → community, all one box of ±``half_deg`` around (lon, lat)."""
    geom = box(lon - half_deg, lat - half_deg, lon + half_deg, lat + half_deg)
    district = District.objects.create(code=code, name=name, geom=geom)
    street = Street.objects.create(district=district, code=f"{code}001", name="测试街道", geom=geom)
    return Community.objects.create(street=street, code=f"{code}001001", name="测试社区", geom=geom)


# --- choosing the zone -----------------------------------------------------------------------------


@pytest.mark.parametrize(("lon", "srid"), [
    (104.07, 4544), (121.47, 4549), (121.5, 4550), (126.63, 4551), (87.62, 4538), (75.99, 4534), (73.5, 4534),
    (134.3, 4554), (116.40, 4548), (113.26, 4547),
])  # Chengdu, Shanghai, the 121.5°E border, Harbin, Urumqi, Kashgar, the far west, Fuyuan, Beijing, Guangzhou
def test_the_zone_is_the_nearest_central_meridian(lon, srid):
    assert crs.zone_srid_for_lonlat(lon, 30.0) == srid
    assert srid == 4534 + (crs.central_meridian_deg(lon) - 75) // 3


def test_a_longitude_outside_china_is_refused():
    with pytest.raises(ValueError, match="不在中国"):
        crs.zone_srid_for_lonlat(2.35, 48.85)


@pytest.mark.parametrize("place", PLACES)
def test_a_district_gets_the_zone_of_its_centre_and_keeps_it(place):
    (lon, lat), code, name, srid = PLACES[place]
    district = district_at(lon, lat, code, name).street.district
    district.refresh_from_db()
    assert district.metric_srid == srid == crs.district_metric_srid(code) == crs.district_metric_srid(district)
    district.geom = box(lon + 2.9, lat, lon + 3.0, lat + 0.1)  # a new shape does not renumber the hexagons
    district.save()
    district.refresh_from_db()
    assert district.metric_srid == srid


def test_the_migration_fills_existing_districts_from_their_centroid():
    migration = importlib.import_module("layers.grids.migrations.0003_district_metric_srid")
    district_at(*HARBIN, "230102", "道里区")
    make_community()  # Chengdu
    District.objects.update(metric_srid=4534)
    migration.fill_metric_srid(None, SimpleNamespace(connection=connection))
    assert dict(District.objects.values_list("code", "metric_srid")) == {"230102": 4551, "510104": 4544}


def test_only_the_chinese_gauss_kruger_zones_are_accepted():
    district = make_community().street.district
    with pytest.raises(IntegrityError, match="district_metric_srid_accepted"), transaction.atomic():
        District.objects.filter(pk=district.pk).update(metric_srid=32648)


def test_the_override_is_used_for_every_district_and_check_warns_where_it_is_far():
    district_at(*SHANGHAI, "310101", "黄浦区")
    make_community()  # Chengdu
    assert check_metric_srid_override() == []  # no override: nothing to say
    with override_settings(GRIDMAP_METRIC_SRID=32648):
        assert crs.district_metric_srid("310101") == crs.district_metric_srid("510104") == 32648
        warnings = check_metric_srid_override()
        # UTM 48N (Chengdu) stretches Shanghai's lengths by ~3 %; Chengdu itself is within 0.1 %.
        assert [w.id for w in warnings] == ["gridmap.W001"] and "310101" in warnings[0].msg
        assert "EPSG:4549" in warnings[0].hint
    with override_settings(GRIDMAP_METRIC_SRID=4326):
        assert [e.id for e in check_metric_srid_override()] == ["gridmap.E002"]


# --- grid codes ----------------------------------------------------------------------------------


def _cells_deg(lon0: float, lat0: float, width_m: float, height_m: float) -> dict[tuple[int, int], object]:
    """A 3 × 2 block of level cells (row 0 north), ``width_m`` × ``height_m`` on the ground."""
    dlon = width_m / (111_320 * math.cos(math.radians(lat0)))
    dlat = height_m / 110_540
    return {(row, col): box(lon0 + col * dlon, lat0 - (row + 1) * dlat, lon0 + (col + 1) * dlon, lat0 - row * dlat)
            for row in range(2) for col in range(3)}


def test_grid_codes_in_harbin_read_north_to_south_west_to_east():
    community = district_at(*HARBIN, "230102", "道里区")
    cells = _cells_deg(HARBIN[0] - 0.01, HARBIN[1] + 0.01, 300, 200)
    keys = [(1, 2), (0, 1), (1, 0), (0, 2), (1, 1), (0, 0)]  # shuffled
    grids = [Grid(community=community, name=f"网格{k}", geom=cells[k]) for k in keys]
    assign_codes(community, grids)
    codes = {k: g.code[-3:] for k, g in zip(keys, grids, strict=True)}
    assert codes == {(0, 0): "001", (0, 1): "002", (0, 2): "003", (1, 0): "004", (1, 1): "005", (1, 2): "006"}
    # In the Chengdu zone (UTM 48N, 21.6° west) grid north turns 15° from true north there:
    # the level row would be cut in two and the codes would not be in reading order.
    chengdu_order = reading_order([g.geom for g in grids], srid=32648)
    assert [keys[i] for i in chengdu_order] != sorted(keys)


def test_two_districts_side_by_side_each_with_its_zone_codes_and_cells():
    chengdu = make_community()  # 510104, near 春熙路
    shanghai = district_at(*SHANGHAI, "310101", "黄浦区")
    for community, (lon, lat) in ((chengdu, (104.061, 30.659)), (shanghai, (SHANGHAI[0] - 0.02, SHANGHAI[1]))):
        cells = _cells_deg(lon, lat, 300, 200)
        grids = [Grid(community=community, name=f"网格{k}", geom=cells[k]) for k in sorted(cells, reverse=True)]
        assign_codes(community, grids)
        Grid.objects.bulk_create(grids)
        by_code = sorted(grids, key=lambda g: g.code)
        assert [g.code[:12] for g in by_code] == [community.code] * 6
        centres = [(g.geom.centroid.x, g.geom.centroid.y) for g in by_code]
        assert [c[1] for c in centres[:3]] == pytest.approx([centres[0][1]] * 3)  # first row: north, W→E
        assert centres[0][0] < centres[1][0] < centres[2][0] and centres[3][1] < centres[0][1]
    assert District.objects.get(code="510104").metric_srid == 4544
    assert District.objects.get(code="310101").metric_srid == 4549
    assert ic.grid_cells(district="510104").crs.to_epsg() == 4544
    assert ic.grid_cells(district="310101").crs.to_epsg() == 4549
    with pytest.raises(ic.IncidentQueryError, match="请选择一个区"):
        ic.grid_cells()  # several zones at once: one district at a time


# --- hexagons ------------------------------------------------------------------------------------


@pytest.mark.parametrize("place", ["shanghai", "harbin"])
def test_hexagons_are_the_configured_size_on_the_ground(place):
    (lon, lat), code, name, srid = PLACES[place]
    district_at(lon, lat, code, name, half_deg=0.01)
    frame = ic.hex_cells(size_m=150, district=code)
    assert frame.crs.to_epsg() == srid
    ideal_m2 = math.sqrt(3) / 2 * 150**2
    whole = frame[frame["area_m2"] > ideal_m2 * (1 - 1e-9)].to_crs(4326)
    ground = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in whole.geometry])
    assert len(ground) > 50
    assert np.abs(ground / ideal_m2 - 1).max() < 0.01, (ground.min(), ground.max())


# --- walking: service circles and walking times ----------------------------------------------------

# Two streets along the banks of a river (y = 0) 200 m apart, one bridge at x = 600 (as in
# tests/facilities/test_isochrones.py), drawn in metres on the ground around the place.
RIVER_NODES = {"S0": (-1200, -100), "S1": (0, -100), "S2": (600, -100), "S3": (1200, -100),
               "N0": (-1200, 100), "N1": (0, 100), "N2": (600, 100), "N3": (1200, 100)}
RIVER_EDGES = [("S0", "S1"), ("S1", "S2"), ("S2", "S3"), ("N0", "N1"), ("N1", "N2"), ("N2", "N3"), ("S2", "N2")]


def band_width_m(circle: FacilityCircle, x: float, street_y: float) -> float:
    """Ground distance (pyproj.Geod) from the street at (x, street_y) to the circle's edge straight south."""
    to_local = Transformer.from_crs(4326, "+proj=tmerc +lat_0={1} +lon_0={0} +k=1 +ellps=WGS84 +units=m".format(
        *lonlat(0, 0)), always_xy=True)
    local = shapely.transform(shapely.from_wkb(bytes(circle.geom.wkb)),
                              lambda xy: np.column_stack(to_local.transform(xy[:, 0], xy[:, 1])))
    cut = local.intersection(shapely.LineString([(x, street_y), (x, street_y - 200)]))
    y_edge = shapely.get_coordinates(cut)[:, 1].min()
    (lon1, lat1), (lon2, lat2) = lonlat(x, street_y), lonlat(x, y_edge)
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize("place", ["shanghai", "harbin", "chengdu"])
def test_service_circle_bands_are_50_m_on_the_ground(place):
    (lon, lat), code, name, srid = PLACES[place]
    district_at(lon, lat, code, name)
    with origin_at(lon, lat):
        build_network(RIVER_NODES, RIVER_EDGES)
        f = add_facility(50, -110)  # 10 m south of the south street
        refresh_pending()
        c15 = FacilityCircle.objects.get(facility=f, minutes=15)
        assert c15.method == AccessMethod.NETWORK
        assert c15.snap_distance_m == pytest.approx(10, abs=0.05)
        widths = [band_width_m(c15, x, -100) for x in (-800, -400, 300, 900)]
        assert widths == pytest.approx([50] * 4, abs=0.5), widths
        assert c15.geom.covers(point(0, -149.5)) and not c15.geom.covers(point(0, -150.5))


# A main street A—B—C along y = 0 and a side street B—D going north (tests/facilities/test_coverage.py).
STREET = {"A": (-1000, 0), "B": (0, 0), "C": (1000, 0), "D": (0, 500)}
STREET_EDGES = [("A", "B"), ("B", "C"), ("B", "D")]


@pytest.mark.parametrize("place", ["shanghai", "harbin"])
def test_walking_times_equal_dijkstra_on_geodesic_lengths(place):
    (lon, lat), code, name, srid = PLACES[place]
    district_at(lon, lat, code, name)
    with origin_at(lon, lat):
        build_network(STREET, STREET_EDGES)
        east, west = add_facility(200, -10, name="东幼儿园"), add_facility(-900, 10, name="西幼儿园")
        households = [add_household(-300, 15), add_household(250, 20), add_household(0, 300),
                      add_household(900, 0), add_household(-40, 120)]
        refresh_pending()
        got = [HouseholdAccess.objects.get(household=h, facility_type__code="kindergarten") for h in households]
        lonlats = [(h.geom.x, h.geom.y) for h in households]
        expected = reference_walks([(f.geom.x, f.geom.y) for f in (east, west)], lonlats)
        assert [a.distance_m for a in got] == pytest.approx(expected, abs=0.05)
        assert [a.distance_m for a in got] == pytest.approx([500, 50, 500, 700, 320], abs=0.05)
        snaps = [snap_in_postgis(*p)[6] for p in lonlats]  # ground metres
        assert [a.snap_distance_m for a in got] == pytest.approx(snaps, abs=0.02)
        assert [a.snap_distance_m for a in got] == pytest.approx([15, 20, 0, 0, 40], abs=0.02)


def test_households_of_two_districts_are_walked_each_in_its_zone():
    district_at(*CHENGDU, "510104", "锦江区")
    district_at(*SHANGHAI, "310101", "黄浦区")
    pairs = []
    for place in (CHENGDU, SHANGHAI):
        with origin_at(*place):
            build_network(STREET, STREET_EDGES, first_id=1 + 100 * len(pairs))
            pairs.append((add_facility(200, -10), add_household(-300, 15)))
    refresh_pending()
    for facility, household in pairs:
        a = HouseholdAccess.objects.get(household=household, facility_type__code="kindergarten")
        assert a.facility_id == facility.pk
        assert a.distance_m == pytest.approx(500, abs=0.05) and a.snap_distance_m == pytest.approx(15, abs=0.02)


# --- import ----------------------------------------------------------------------------------------


def test_an_imported_district_takes_its_zone_next_to_chengdu(tmp_path):
    """The Chengdu test boundaries moved to Harbin (codes 230102…) import beside the Chengdu ones."""
    import geopandas as gpd

    from tests.importers.conftest import DATA, run

    shift = (HARBIN[0] - 104.07, HARBIN[1] - 30.66)
    for name, level in (("district.geojson", "district"), ("street.geojson", "street"),
                        ("communities.gpkg", "community"), ("grids_nocode.geojson", "grid")):
        assert run("import_boundaries", DATA / name, "--level", level).ok
        gdf = gpd.read_file(DATA / name).to_crs(4326)
        gdf["geometry"] = gdf.geometry.translate(*shift)
        for column in gdf.columns:
            if column != "geometry":
                gdf[column] = gdf[column].map(lambda v: v.replace("510104", "230102", 1) if isinstance(v, str) else v)
        gdf.to_file(tmp_path / f"{level}.geojson", driver="GeoJSON")
        result = run("import_boundaries", tmp_path / f"{level}.geojson", "--level", level)
        assert result.ok, result.text
    assert dict(District.objects.values_list("code", "metric_srid")) == {"230102": 4551, "510104": 4544}
    for code in ("510104001001", "230102001001"):
        grids = list(Grid.objects.filter(community__code=code).order_by("code"))
        assert [g.code[12:] for g in grids] == ["001", "002", "003", "004"]
        assert grids[0].geom.centroid.y > grids[-1].geom.centroid.y  # north first
