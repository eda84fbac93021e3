"""The grid worker's map: each grid's households and open cases, priority households their own
layer (never clustered), colours apart from the incident statuses, and the phone controls (定位到我,
legend and layers folded)."""

from __future__ import annotations

import json
import re

import pytest

from layers.accounts import visibility
from layers.incidents import lifecycle
from layers.maps.base import render
from layers.maps.worker import OTHER_COLOUR, STATUS_COLOURS, VULNERABLE_COLOUR, worker_map
from tests.factories import category, make_household, point

pytestmark = pytest.mark.django_db

CLUSTER_GREY = "#525252"  # the cluster bubbles' fill (layers.maps.lazy.ClusteredPoints)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _lab(colour: str) -> tuple[float, float, float]:
    """sRGB hex → CIELAB (D65)."""
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _delta_e(a: str, b: str) -> float:
    """CIE76 colour difference: about 2.3 is just noticeable, above 25 clearly another colour."""
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5


def test_household_colours_never_look_like_an_incident_status():
    for household_colour in (VULNERABLE_COLOUR, OTHER_COLOUR, CLUSTER_GREY):
        for status, colour in STATUS_COLOURS.items():
            assert _delta_e(household_colour, colour) > 25, (household_colour, status)


def _map_html(world) -> str:
    user = world.worker_w
    m = worker_map(visibility.visible_grids(user), visibility.visible_households(user),
                   visibility.visible_incidents(user).filter(status__in=lifecycle.OPEN_STATUSES))
    return render(m, nonce="test")


def test_each_grid_shows_its_households_and_its_open_cases(world):
    """The grid's tooltip (网格, 户数, 未结事件) counts the grid's own households and its cases
    still open: a case closed (不予立案) or in the next grid is not one."""
    for n in range(2):
        make_household(point(104.064 + n / 1000, 30.654), address=f"西路{n + 3}号")
    second = lifecycle.report(category=category("dispute"), description="西边又一件", geom=point(104.067, 30.657))
    cancelled = lifecycle.report(category=category("dispute"), description="西边无效", geom=point(104.068, 30.657))
    lifecycle.move(cancelled, "cancelled")
    assert {second.grid_id, cancelled.grid_id} == {world.west.id}
    user = world.admin  # holds both grids
    html = render(worker_map(visibility.visible_grids(user), visibility.visible_households(user),
                             visibility.visible_incidents(user)), nonce="test")
    shown = {p["code"]: (p["households"], p["open"]) for p in map(json.loads, re.findall(
        r'"properties": (\{"code": [^{}]*"households": [^{}]*\})', html))}
    assert shown == {world.west.code: (3, 2), world.east.code: (1, 1)}


def test_priority_households_are_a_layer_of_their_own_not_clustered(world):
    html = _map_html(world)
    # The 独居老人 household of the west grid is in the priority layer: a plain feature group
    # (every point drawn) whose points are the gm-priority symbol, not a cluster group.
    priority = html.index('"gm-priority"')
    layer = html.rindex("L.featureGroup();", 0, priority)
    assert "markerClusterGroup" not in html[layer:priority]
    assert "西路1号" in html[layer:priority + 2000] or json.dumps("西路1号")[1:-1] in html[layer:priority + 2000]
    # The other households stay clustered, in the app's grey bubbles.
    assert "L.markerClusterGroup" in html and "gm-cluster" in html


def test_phone_controls_locate_and_folded_legend_and_layers(world):
    html = _map_html(world)
    assert "navigator.geolocation.getCurrentPosition" in html and "定位到我" in html
    assert "gm-folded" in html and "control.options.collapsed = true" in html
    # Every script carries the nonce (the CSP blocks the rest).
    assert html.count("<script") == html.count('nonce="test"')
