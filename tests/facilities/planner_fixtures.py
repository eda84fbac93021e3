"""A small district for the planner's tables: two communities on one street, facilities of
two types, households with priority tags."""

from __future__ import annotations

from layers.facilities.walking.refresh import refresh_pending
from tests.facilities.walk_fixtures import add_facility, add_household, build_network, lonlat
from tests.factories import box, make_community, make_grid

NODES = {f"n{x}": (x, 0) for x in range(-1500, 1501, 500)}
EDGES = [(f"n{x}", f"n{x + 500}") for x in range(-1500, 1500, 500)]


def planner_district() -> None:
    """West community (x < 0): a kindergarten at -1200 and a primary school at -1000; 5
    households near them (2 with young children), 3 at x ≈ -300. East community: 4 households at
    x ≈ 1200 (1 with young children), nothing near."""
    west, south = lonlat(-1600, -400)
    east, north = lonlat(1600, 400)
    middle = lonlat(0, 0)[0]
    cw = make_community(code="510104001001", geom=box(west, south, middle, north), name="西社区")
    ce = make_community(code="510104001002", geom=box(middle, south, east, north), name="东社区")
    make_grid(cw, box(west, south, middle, north), name="西网格")
    make_grid(ce, box(middle, south, east, north), name="东网格")
    build_network(NODES, EDGES)
    add_facility(-1200, 10, name="西幼儿园")
    add_facility(-1000, 10, code="primary_school", name="西小学")
    for k in range(5):
        add_household(-1250 + 20 * k, 15, tags=["有幼儿"] if k < 2 else None, address=f"测试路 {k + 1} 号")
    for k in range(3):
        add_household(-300 + 20 * k, 15, address=f"测试路 {k + 20} 号")
    for k in range(4):
        add_household(1150 + 30 * k, 15, tags=["有幼儿"] if k == 0 else None, address=f"测试路 {k + 40} 号")
    refresh_pending()
