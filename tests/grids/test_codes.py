"""15-digit unit-grid codes, numbered west→east, north→south inside a community."""

from __future__ import annotations

import pytest

from layers.grids.codes import assign_codes, format_code, reading_order
from layers.grids.models import Grid
from tests.factories import box, make_community, make_grid

pytestmark = pytest.mark.django_db

# A 3 × 2 block layout: (column, row) with row 0 the northern one; centroids slightly uneven.
CELLS = {(c, r): box(104.060 + 0.005 * c, 30.660 - 0.004 * (r + 1) + (0.0003 if c == 1 else 0),
                     104.065 + 0.005 * c, 30.660 - 0.004 * r + (0.0003 if c == 1 else 0))
         for c in range(3) for r in range(2)}


def test_reading_order_is_north_to_south_then_west_to_east():
    keys = [(2, 1), (0, 0), (1, 1), (2, 0), (0, 1), (1, 0)]  # shuffled
    order = reading_order([CELLS[k] for k in keys])
    assert [keys[i] for i in order] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]


def test_assign_codes_numbers_new_grids_in_reading_order():
    community = make_community(geom=box(104.059, 30.651, 104.076, 30.661))
    keys = [(1, 1), (2, 0), (0, 1), (0, 0), (2, 1), (1, 0)]
    grids = [Grid(community=community, geom=CELLS[k], name=str(k)) for k in keys]
    assign_codes(community, grids)
    by_key = {k: g.code for k, g in zip(keys, grids, strict=True)}
    assert by_key[(0, 0)] == "510104001001001"
    assert by_key[(1, 0)] == "510104001001002"
    assert by_key[(2, 0)] == "510104001001003"
    assert by_key[(0, 1)] == "510104001001004"
    assert by_key[(2, 1)] == "510104001001006"
    assert all(len(code) == 15 and code.isdigit() for code in by_key.values())


def test_a_grid_saved_without_code_gets_the_next_free_sequence():
    community = make_community(geom=box(104.059, 30.651, 104.076, 30.661))
    first = make_grid(community, CELLS[(0, 0)])
    second = make_grid(community, CELLS[(2, 1)])
    assert first.code == "510104001001001"
    assert second.code == "510104001001002"
    Grid.objects.filter(pk=first.pk).delete()
    # Codes are identifiers: a freed number is not reused by the next grid.
    assert make_grid(community, CELLS[(1, 1)]).code == "510104001001003"


def test_existing_codes_are_kept_and_new_ones_follow():
    community = make_community(geom=box(104.059, 30.651, 104.076, 30.661))
    make_grid(community, CELLS[(0, 0)], code="510104001001007")
    new = [Grid(community=community, geom=CELLS[k], name="n") for k in ((1, 0), (0, 1))]
    assign_codes(community, new)
    assert [g.code for g in new] == ["510104001001008", "510104001001009"]


def test_sequence_out_of_range_is_refused():
    with pytest.raises(ValueError, match="001–999"):
        format_code("510104001001", 1000)
