import math

import numpy as np
import pytest
import shapely

from layers.patrols.stats.cells import hex_axial_coords, hex_centres_m, hexagon_cells

BOUNDS = (500_123.0, 3_400_456.0, 503_000.0, 3_402_500.0)


def test_every_point_lies_in_the_hexagon_it_is_assigned():
    cells = hexagon_cells(BOUNDS, size_m=250.0, origin_m=(500_000.0, 3_400_000.0))
    rng = np.random.default_rng(0)
    points = rng.uniform(BOUNDS[:2], BOUNDS[2:], (20_000, 2))
    ids = cells.locate(points)
    assert (ids >= 0).all()
    assert shapely.covers(cells.polygons[ids], shapely.points(points)).all()


def test_centres_and_vertices_map_to_the_right_cells():
    cells = hexagon_cells(BOUNDS, size_m=250.0)
    assert (cells.locate(cells.centroids_xy_m) == np.arange(len(cells))).all()
    q, r = hex_axial_coords(cells.centroids_xy_m, size_m=250.0)
    assert (q == cells.q).all() and (r == cells.r).all()
    corners = shapely.get_coordinates(cells.polygons[:50])
    ids = cells.locate(corners)
    inside = ids >= 0
    assert shapely.covers(cells.polygons[ids[inside]], shapely.points(corners[inside])).all()


def test_cell_geometry_size_is_the_distance_between_opposite_edges():
    cells = hexagon_cells((0.0, 0.0, 1000.0, 1000.0), size_m=100.0)
    poly = cells.polygons[0]
    assert poly.area == pytest.approx(math.sqrt(3) / 2 * 100.0**2) == pytest.approx(cells.area_m2)
    minx, miny, maxx, maxy = poly.bounds
    assert maxx - minx == pytest.approx(100.0)  # flat sides east and west
    assert maxy - miny == pytest.approx(2 * 100.0 / math.sqrt(3))  # pointy top and bottom
    centres = hex_centres_m(np.array([0, 1, 0]), np.array([0, 0, 1]), size_m=100.0)
    assert np.hypot(*(centres[1:] - centres[0]).T) == pytest.approx([100.0, 100.0])


def test_cells_tile_the_bounds_without_overlap():
    cells = hexagon_cells(BOUNDS, size_m=300.0)
    union = shapely.union_all(cells.polygons)
    box = shapely.box(*BOUNDS)
    assert box.difference(union).area == pytest.approx(0.0, abs=1e-3)
    assert union.area == pytest.approx(len(cells) * cells.area_m2, rel=1e-9)
    assert (shapely.area(shapely.intersection(cells.polygons, box)) > 0).all()


def test_axial_keys_are_stable_across_bounds_and_outside_points_get_minus_one():
    a = hexagon_cells((0.0, 0.0, 2000.0, 2000.0), size_m=200.0)
    b = hexagon_cells((1000.0, 1000.0, 4000.0, 3000.0), size_m=200.0)
    point = np.array([[1500.0, 1500.0]])
    ia, ib = a.locate(point)[0], b.locate(point)[0]
    assert (a.q[ia], a.r[ia]) == (b.q[ib], b.r[ib])
    np.testing.assert_allclose(a.centroids_xy_m[ia], b.centroids_xy_m[ib])
    assert a.locate(np.array([[10_000.0, 10_000.0], [-5_000.0, 100.0]])).tolist() == [-1, -1]


def test_geodataframe_adapter():
    frame = hexagon_cells((0.0, 0.0, 1000.0, 1000.0), size_m=250.0).to_geodataframe("EPSG:4547")
    assert list(frame.columns) == ["cell", "q", "r", "geometry"]
    assert frame.crs.to_epsg() == 4547


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="size_m"):
        hexagon_cells((0, 0, 1, 1), size_m=0)
    with pytest.raises(ValueError, match="bounds_m"):
        hexagon_cells((0, 0, 0, 1), size_m=1)
