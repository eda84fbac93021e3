"""The bulk re-link (layers.grids.linking.link_table, on arrays) gives the SQL rule's answer for
every point — on a shared edge, on a vertex, on a slanted edge, in a hole, outside every
grid — and writes only the rows whose grid changes."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection, transaction

from layers.grids import linking
from layers.grids.bulk_link import ASK_DATABASE, NO_GRID, GridSet, grids_for_points
from layers.people.models import Household
from tests.factories import EAST, MIDDLE, NORTH, SOUTH, WEST, make_community, make_grid, point

pytestmark = pytest.mark.django_db

SLANT_TOP = 104.074  # the slanted edge runs from (MIDDLE, SOUTH) to (SLANT_TOP, NORTH)
HOLE = (104.064, 30.654, 104.066, 30.656)  # a hole in the west grid, half filled by a grid of its own


def _poly(*rings: list[tuple[float, float]]) -> MultiPolygon:
    return MultiPolygon(Polygon(*rings), srid=4326)


def _ring(xmin: float, ymin: float, xmax: float, ymax: float) -> list[tuple[float, float]]:
    return [(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax), (xmin, ymin)]


def _tricky_grids():
    """West grid with a square hole (its lower half another grid, its upper half no grid), and
    the rest of the community split by a slanted edge into a middle and an east grid."""
    community = make_community()
    hx0, hy0, hx1, hy1 = HOLE
    west = make_grid(community, _poly(
        [(WEST, SOUTH), (MIDDLE, SOUTH), (SLANT_TOP, NORTH), (WEST, NORTH), (WEST, SOUTH)], _ring(*HOLE)),
        name="西网格")
    plug = make_grid(community, _poly(_ring(hx0, hy0, hx1, (hy0 + hy1) / 2)), name="洞内网格")
    east = make_grid(community, _poly([(MIDDLE, SOUTH), (EAST, SOUTH), (EAST, NORTH), (SLANT_TOP, NORTH),
                                       (MIDDLE, SOUTH)]), name="东网格")
    return west, plug, east


def _tricky_points() -> list[tuple[float, float]]:
    hx0, hy0, hx1, hy1 = HOLE
    hmid = (hy0 + hy1) / 2
    rng = np.random.default_rng(15)
    t = rng.uniform(0, 1, 400)
    slant = [(MIDDLE + s * (SLANT_TOP - MIDDLE), SOUTH + s * (NORTH - SOUTH)) for s in t]  # on the slanted edge
    near = [(x + d, y) for (x, y), d in zip(slant[:200], rng.choice([-1e-12, 1e-12, -1e-10, 1e-10, 1e-8], 200),
                                            strict=True)]
    return [
        (104.062, 30.652), (104.078, 30.652),  # plainly inside west / east
        (MIDDLE, SOUTH), (SLANT_TOP, NORTH),  # vertices shared by west and east
        (WEST, SOUTH), (EAST, NORTH),  # outer vertices
        (WEST, 30.655), (EAST, 30.655), (104.07, NORTH),  # on the community's outer edge
        (WEST - 1e-12, 30.655), (EAST + 1e-12, 30.655),  # a hair outside
        (104.09, 30.655), (104.0, 30.0),  # outside every grid
        (hx0 + 0.0005, hmid + 0.0005),  # in the hole, in no grid
        (hx0 + 0.0005, hy0 + 0.0005),  # in the hole, in the plug grid
        (hx0, hy0), (hx0, hmid), (hx1, hy1),  # vertices of the hole
        (hx0 + 0.001, hmid), (hx0 + 0.001, hy1), (hx0, hy0 + 0.0002),  # on the hole's and the plug's edges
        *slant, *near,
    ]


def _rule(ids: list[int]) -> dict[int, int | None]:
    """The SQL rule asked point by point (what the row trigger writes)."""
    with connection.cursor() as cur:
        cur.execute("SELECT id, gridmap_grid_for_point(geom) FROM people_household WHERE id = ANY(%s)", [ids])
        return dict(cur.fetchall())


def _stored() -> dict[int, int | None]:
    return dict(Household.objects.values_list("id", "grid_id"))


def _scramble_links() -> None:
    """Wrong grids everywhere (the trigger switched off in this transaction, as a careless
    migration or a restore without triggers would leave them)."""
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE people_household DISABLE TRIGGER household_link_grid")
        cur.execute("UPDATE people_household SET grid_id = CASE WHEN id % 2 = 0 THEN NULL "
                    "ELSE (SELECT max(id) FROM grids_grid) END")
        cur.execute("ALTER TABLE people_household ENABLE TRIGGER household_link_grid")


def _households(points: list[tuple[float, float]]) -> list[int]:
    made = Household.objects.bulk_create(
        [Household(geom=point(x, y), address=f"测试路{k}号", head_name="张三") for k, (x, y) in enumerate(points)])
    return [h.pk for h in made]


def test_bulk_relink_gives_the_sql_rule_on_tricky_points():
    west, plug, east = _tricky_grids()
    ids = _households(_tricky_points())
    expected = _rule(ids)
    assert _stored() == expected  # the row trigger wrote the rule
    # The rule itself on the named cases (index in _tricky_points): smallest code on shared
    # edges and vertices, nothing in the empty half of the hole or outside.
    first = min((west, east), key=lambda g: g.code)
    named = [expected[i] for i in ids]
    assert named[0] == west.id and named[1] == east.id and named[14] == plug.id
    assert named[2] == first.id and named[3] == first.id
    assert named[11] is None and named[12] is None and named[13] is None and named[9] is None
    assert named[15] == min((west, plug), key=lambda g: g.code).id
    _scramble_links()
    assert _stored() != expected
    changed = linking.link_all(("household",))
    assert _stored() == expected
    assert changed[0].changed > 0
    assert linking.link_all(("household",))[0].changed == 0


def test_bulk_and_sql_methods_agree_on_random_points():
    _tricky_grids()
    rng = np.random.default_rng(7)
    pts = list(zip(rng.uniform(WEST - 0.002, EAST + 0.002, 2000), rng.uniform(SOUTH - 0.001, NORTH + 0.001, 2000),
                   strict=True))
    _households(pts)
    _scramble_links()
    linking.link_all(("household",), method="sql")
    by_sql = _stored()
    _scramble_links()
    linking.link_all(("household",), method="bulk")
    assert _stored() == by_sql
    assert sum(g is None for g in by_sql.values()) > 100  # the sample reaches outside every grid


def test_only_rows_whose_grid_changes_are_written():
    west, _, east = _tricky_grids()
    ids = _households([(104.062, 30.652), (104.078, 30.652), (104.09, 30.655)])
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE people_household DISABLE TRIGGER household_link_grid")
        cur.execute("UPDATE people_household SET grid_id = %s WHERE id = %s", [west.id, ids[1]])
        cur.execute("ALTER TABLE people_household ENABLE TRIGGER household_link_grid")
        cur.execute("SELECT id, xmin::text FROM people_household")
        before = dict(cur.fetchall())
    assert linking.link_all(("household",))[0].changed == 1
    with connection.cursor() as cur:
        cur.execute("SELECT id, xmin::text FROM people_household")
        after = dict(cur.fetchall())
    assert after[ids[0]] == before[ids[0]] and after[ids[2]] == before[ids[2]]
    assert after[ids[1]] != before[ids[1]]
    assert Household.objects.get(pk=ids[1]).grid_id == east.id


def test_a_row_moved_while_linking_keeps_the_grid_its_trigger_gave(monkeypatch):
    west, _, east = _tricky_grids()
    moving, other = _households([(104.062, 30.652), (104.061, 30.652)])
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE people_household DISABLE TRIGGER household_link_grid")
        cur.execute("UPDATE people_household SET grid_id = NULL")
        cur.execute("ALTER TABLE people_household ENABLE TRIGGER household_link_grid")
    read = linking._read_points

    def read_then_move(cur, target, where):
        found = read(cur, target, where)
        # Another writer moves a household after its position was read: the trigger links it.
        cur.execute("UPDATE people_household SET geom = ST_SetSRID(ST_MakePoint(104.078, 30.652), 4326) "
                    "WHERE id = %s", [moving])
        return found

    monkeypatch.setattr(linking, "_read_points", read_then_move)
    assert linking.link_all(("household",))[0].changed == 1
    assert Household.objects.get(pk=moving).grid_id == east.id
    assert Household.objects.get(pk=other).grid_id == west.id


def test_the_row_trigger_still_links_every_other_write_after_a_bulk_relink():
    west, _, east = _tricky_grids()
    with transaction.atomic():
        (h,) = _households([(104.062, 30.652)])
        _scramble_links()
        assert linking.link_all()[0].changed == 1
        with connection.cursor() as cur:
            cur.execute("UPDATE people_household SET grid_id = %s WHERE id = %s", [east.id, h])
            cur.execute("SELECT current_setting('gridmap.set_based_linking', true)")
            assert cur.fetchone()[0] == "off"
    assert Household.objects.get(pk=h).grid_id == west.id


def test_a_table_with_district_codes_is_linked_one_district_at_a_time():
    west, _, east = _tricky_grids()
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bulk_link_parts (id bigint PRIMARY KEY, geom geometry(Point, 4326), "
                    "grid_id bigint, district_code varchar(6))")
        cur.execute("INSERT INTO bulk_link_parts VALUES (1, ST_SetSRID(ST_MakePoint(104.062, 30.652), 4326), NULL, "
                    "'510104'), (2, ST_SetSRID(ST_MakePoint(104.078, 30.652), 4326), %s, '510104'), "
                    "(3, ST_SetSRID(ST_MakePoint(104.09, 30.655), 4326), %s, '000000')", [west.id, east.id])
        batches = linking.district_batches(cur, "bulk_link_parts")
        assert [b.as_string(cur.connection) for b in batches] == ["p.district_code = '000000'",
                                                                  "p.district_code = '510104'"]
        assert linking.link_table(cur, "bulk_link_parts") == 3
        cur.execute("SELECT id, grid_id FROM bulk_link_parts ORDER BY id")
        assert cur.fetchall() == [(1, west.id), (2, east.id), (3, None)]


def test_grids_for_points_leaves_edges_to_the_database_and_takes_the_smallest_code_otherwise():
    a = Polygon.from_bbox((0, 0, 1, 1))
    b = Polygon.from_bbox((1, 0, 2, 1))
    c = Polygon.from_bbox((0.5, 0, 1.5, 1))  # overlaps both (faulty data): smallest code wins
    grids = GridSet.from_wkb([10, 20, 30], ["002", "003", "001"], [bytes(g.wkb) for g in (a, b, c)])
    x = np.array([0.2, 1.8, 0.7, 1.0, 3.0, 1.5, 0.0])
    y = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    assert grids_for_points(x, y, grids).tolist() == [10, 20, 30, 30, NO_GRID, ASK_DATABASE, ASK_DATABASE]
