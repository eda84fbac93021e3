"""Places named by their streets: crossing, street and house numbers, or coordinates."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.gis.geos import LineString
from pyproj import Geod

from layers.facilities.models import WalkEdge, WalkNode
from layers.facilities.places import PlaceParts, describe, house_numbers, place_names, place_names_lonlat
from layers.facilities.walking.graph import lonlat_to_metric
from tests.facilities.walk_fixtures import add_household, lonlat, point

SRID = 4544  # CGCS2000 Gauss–Krüger zone 105°E: Chengdu
GEOD = Geod(ellps="WGS84")

# 人民南路 runs north–south along x = 0; 锦里西路 crosses it at (0, 0) going east–west; 人民南路
# becomes 人民南路二段 at (0, -400) (a name change, not a crossing); an unnamed path at x = 2000.
NODES = {"s": (0, -400), "c": (0, 0), "n": (0, 400), "w": (-400, 0), "e": (400, 0), "s2": (0, -800),
         "p1": (2000, 0), "p2": (2000, 400)}
EDGES = [("s", "c", "人民南路"), ("c", "n", "人民南路"), ("w", "c", "锦里西路"), ("c", "e", "锦里西路"),
         ("s2", "s", "人民南路二段"), ("p1", "p2", "")]


def network() -> None:
    ids = {name: 100 + k for k, name in enumerate(NODES)}
    WalkNode.objects.bulk_create([WalkNode(id=ids[n], geom=point(*xy)) for n, xy in NODES.items()])
    rows = []
    for a, b, name in EDGES:
        (lon1, lat1), (lon2, lat2) = lonlat(*NODES[a]), lonlat(*NODES[b])
        length = GEOD.line_length([lon1, lon2], [lat1, lat2])
        rows.append(WalkEdge(source=ids[a], target=ids[b], length_m=length, cost=length, reverse_cost=length,
                             highway="footway", name=name, geom=LineString((lon1, lat1), (lon2, lat2), srid=4326)))
    WalkEdge.objects.bulk_create(rows)


def metric(x: float, y: float) -> tuple[float, float]:
    return tuple(lonlat_to_metric(np.array([lonlat(x, y)]), SRID)[0])


def test_house_numbers_only_on_that_street() -> None:
    addresses = ["人民南路 40 号 2 栋 1 单元 101", "锦江区人民南路12号", "人民南路二段 3 号", "人民南路 12 号 5 栋", "其他"]
    assert house_numbers(addresses, "人民南路") == [12, 40]
    assert house_numbers(addresses, "人民南路二段") == [3]
    assert house_numbers(addresses, "") == []


def test_describe_formats() -> None:
    assert describe(PlaceParts(crossing=("甲路", "乙街"))) == "甲路与乙街交叉口附近"
    assert describe(PlaceParts(street="甲路", addresses=("甲路 5 号",))) == "甲路 5 号附近"
    assert describe(PlaceParts(street="甲路")) == "甲路附近"
    assert describe(PlaceParts(lon=104.1, lat=30.6)) == "路网节点附近 (104.10000, 30.60000)"


@pytest.mark.django_db
def test_crossing_street_numbers_and_fallback() -> None:
    network()
    for k, number in enumerate((12, 40, 26)):
        add_household(15, 150 + 20 * k, address=f"人民南路 {number} 号 1 栋 1 单元 {k + 1}01")
    add_household(20, 180, address="人民南路二段 7 号")  # another street: not in the range
    add_household(20, 700, address="人民南路 99 号")  # too far from the point
    points = [
        metric(30, 25),  # 39 m from the crossing
        metric(10, 200),  # 200 m north of the crossing, on 人民南路 by the households
        metric(-10, -400),  # at the name change 人民南路 / 人民南路二段: not a crossing
        metric(2030, 200),  # an unnamed path only
        metric(-300, 90),  # 90 m from 锦里西路, 300 m from the crossing, no addresses
    ]
    names = place_names(points, SRID)
    assert names[0] == "人民南路与锦里西路交叉口附近"
    assert names[1] == "人民南路 12–40 号附近"
    assert names[2] in ("人民南路附近", "人民南路二段附近")
    lon, lat = lonlat(2030, 200)
    assert names[3] == f"路网节点附近 ({lon:.5f}, {lat:.5f})"
    assert names[4] == "锦里西路附近"
    assert all("100" not in n and "101" not in n for n in names)  # never a node id
    # Beyond 60 m the crossing is not used; lon/lat input gives the same names.
    assert place_names([metric(70, 0)], SRID) == ["锦里西路附近"]
    assert place_names_lonlat([lonlat(30, 25)], SRID) == [names[0]]
    assert place_names([], SRID) == []
