"""Households and incidents are linked to the grid covering them, on every write path."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from layers.grids import linking
from layers.grids.models import Grid
from layers.incidents.models import Incident
from layers.people.models import Household
from tests.factories import EAST, MIDDLE, NORTH, SOUTH, WEST, box, category, make_grid, make_household, point, two_grids

pytestmark = pytest.mark.django_db

INSIDE_WEST = point(104.065, 30.655)
INSIDE_EAST = point(104.075, 30.655)
ON_BORDER = point(MIDDLE, 30.655)
OUTSIDE = point(104.090, 30.655)


def _xmin(table: str, pk: int) -> str:
    """The transaction id that last wrote the row: unchanged means the row was not rewritten."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT xmin::text FROM {table} WHERE id = %s", [pk])
        return cur.fetchone()[0]


def test_household_inside_a_grid_is_linked_on_create():
    _, west, east = two_grids()
    assert make_household(INSIDE_WEST).grid == west  # save() reads back what the trigger chose
    assert Household.objects.get(address="测试路1号").grid == west
    h = make_household(INSIDE_EAST, address="测试路2号")
    h.refresh_from_db()
    assert h.grid == east


def test_incident_is_linked_on_create():
    _, west, _ = two_grids()
    i = Incident.objects.create(category=category(), description="噪音扰民", geom=INSIDE_WEST,
                                reported_at=timezone.now())
    i.refresh_from_db()
    assert i.grid == west


def test_point_on_shared_border_goes_to_the_grid_with_the_smallest_code():
    _, west, east = two_grids()
    assert west.code < east.code  # west is numbered first (west→east)
    h = make_household(ON_BORDER)
    h.refresh_from_db()
    assert h.grid == west
    # The rule follows the code, not the insertion order or the id: swap the codes.
    with connection.cursor() as cur:
        cur.execute("UPDATE grids_grid SET code = '510104001001099' WHERE id = %s", [west.id])
    h.refresh_from_db()
    assert h.grid == east


def test_point_outside_every_grid_is_kept_unassigned_and_reported():
    two_grids()
    h = make_household(OUTSIDE, address="城外路9号")
    h.refresh_from_db()
    assert h.grid is None and h.unassigned
    out = StringIO()
    call_command("link_grids", "--report", stdout=out)
    text = out.getvalue()
    assert "户 1" in text and "城外路9号" in text
    assert Household.objects.filter(pk=h.pk).exists()


def test_moving_a_point_relinks_it():
    _, west, east = two_grids()
    h = make_household(INSIDE_WEST)
    h.geom = INSIDE_EAST
    h.save()
    h.refresh_from_db()
    assert h.grid == east
    h.geom = OUTSIDE
    h.save()
    h.refresh_from_db()
    assert h.grid is None


def test_grid_cannot_be_set_by_hand():
    _, west, east = two_grids()
    h = make_household(INSIDE_WEST)
    with connection.cursor() as cur:
        cur.execute("UPDATE people_household SET grid_id = %s WHERE id = %s", [east.id, h.id])
    h.refresh_from_db()
    assert h.grid == west


def test_redrawing_a_grid_relinks_exactly_the_rows_it_affects():
    community, west, east = two_grids()
    moved = make_household(point(104.0625, 30.655))  # west part that the redraw gives up
    stays = make_household(point(104.068, 30.655))  # stays in the west grid
    elsewhere = make_household(INSIDE_EAST)  # untouched grid
    before = {h.pk: _xmin("people_household", h.pk) for h in (stays, elsewhere)}
    west.geom = box(104.065, SOUTH, MIDDLE, NORTH)
    west.save()
    moved.refresh_from_db()
    assert moved.grid is None
    assert {h.pk: _xmin("people_household", h.pk) for h in (stays, elsewhere)} == before
    # Adding a grid over the uncovered strip picks the orphan up.
    new = make_grid(community, box(WEST, SOUTH, 104.065, NORTH), name="新网格")
    moved.refresh_from_db()
    assert moved.grid == new


def test_deleting_a_grid_leaves_its_points_unassigned_not_deleted():
    _, west, _ = two_grids()
    h = make_household(INSIDE_WEST)
    west.delete()
    h.refresh_from_db()
    assert h.grid is None


def test_bulk_sql_insert_links_every_row():
    _, west, east = two_grids()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO people_household (geom, address, residents, head_name, id_number, phone, tags,
                                          synthetic, external_id, district_code)
            SELECT p, '批量路' || n || '号', 1, '李四', '', '', '{}', true, '', gridmap_district_code_for_point(p, NULL)
              FROM generate_series(0, 999) AS n,
                   ST_SetSRID(ST_MakePoint(104.06055 + (n % 190) * 0.0001, 30.651 + (n / 190) * 0.0001), 4326) p
            """
        )
    assert Household.objects.filter(address__startswith="批量路").count() == 1000
    assert Household.objects.filter(address__startswith="批量路", grid__isnull=True).count() == 0
    linked = Household.objects.filter(address__startswith="批量路")
    assert linked.filter(grid=west).count() + linked.filter(grid=east).count() == 1000
    # Every row agrees with an independent point-in-polygon test.
    for h in linked[:50]:
        assert h.grid == (west if h.geom.x <= MIDDLE else east)


def test_bulk_create_links_every_row():
    _, west, _ = two_grids()
    Household.objects.bulk_create(
        [Household(geom=point(104.061 + k * 0.0001, 30.655), address=f"{k}", head_name="王五") for k in range(50)]
    )
    assert Household.objects.filter(grid=west).count() == 50


def test_link_grids_repairs_rows_written_with_the_trigger_off_and_prints_counts():
    community, west, east = two_grids()
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE people_household DISABLE TRIGGER household_link_grid")
        cur.execute(
            "INSERT INTO people_household (geom, address, residents, head_name, id_number, phone, tags, synthetic,"
            " external_id, grid_id, district_code) SELECT p, a, 1, 'x', '', '', '{}', false, '', %s,"
            " gridmap_district_code_for_point(p, NULL) FROM (VALUES (ST_SetSRID(ST_MakePoint(104.065, 30.655), 4326),"
            " 'a'), (ST_SetSRID(ST_MakePoint(104.09, 30.655), 4326), 'b')) v(p, a)",
            [east.id],
        )
        cur.execute("ALTER TABLE people_household ENABLE TRIGGER household_link_grid")
    out = StringIO()
    call_command("link_grids", stdout=out)
    text = out.getvalue()
    assert "household: 2" in text
    assert community.code in text and "未关联网格 (unassigned): 户 1" in text
    assert Household.objects.get(address="a").grid == west
    assert Household.objects.get(address="b").grid is None
    # A second pass finds nothing to change.
    assert [c.changed for c in linking.link_all()] == [0, 0]


def test_set_based_linker_matches_the_row_trigger():
    two_grids()
    for x in (104.061, MIDDLE, 104.079, EAST, 104.1):
        make_household(point(x, 30.655))
    expected = dict(Household.objects.values_list("id", "grid_id"))
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE people_household DISABLE TRIGGER household_link_grid")
        cur.execute("UPDATE people_household SET grid_id = NULL")
        cur.execute("ALTER TABLE people_household ENABLE TRIGGER household_link_grid")
    linking.link_all()
    assert dict(Household.objects.values_list("id", "grid_id")) == expected
    assert Grid.objects.count() == 2
