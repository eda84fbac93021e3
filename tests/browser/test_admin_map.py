"""The admin's geometry editor (OpenLayers, layers/maps/widgets.py) on the production server:
with GRIDMAP_BASEMAP=none it draws the imported walk network under the edited shape, from
the app's /maps/streets.geojson like the other maps, and loads nothing from outside."""

from __future__ import annotations

import time

import pytest
from django.contrib.gis.geos import LineString

from layers.facilities.models import WalkEdge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The editor's layers: the background's feature count (-1: not a vector layer) and the
# edited shapes (MapWidget's feature overlay).
EDITOR = """() => {
  const key = Object.keys(window).find(k => k.startsWith('geodjango_'));
  if (!key || !window[key] || !window[key].map) return null;
  const w = window[key], base = w.map.getLayers().item(0);
  return {name: base.get('name') || null,
          streets: base.getSource && base.getSource().getFeatures ? base.getSource().getFeatures().length : -1,
          edited: w.featureOverlay.getSource().getFeatures().length,
          rendered: !!document.querySelector('.dj_map canvas')};
}"""


def _poll(page, js: str, ok, timeout_s: float = 15.0):
    """page.evaluate(js) until ok(value) (not wait_for_function: Playwright evals its
    predicate, which the admin's CSP refuses)."""
    deadline = time.monotonic() + timeout_s
    while not ok(value := page.evaluate(js)):
        assert time.monotonic() < deadline, f"timed out: {value}"
        page.wait_for_timeout(100)
    return value


def test_grid_editor_draws_the_street_background_offline(visit, world):
    streets = [((104.058, 30.653), (104.082, 30.653), "南街"), ((104.058, 30.657), (104.082, 30.657), "北街"),
               ((104.065, 30.648), (104.065, 30.662), "西巷"), ((104.075, 30.648), (104.075, 30.662), "东巷")]
    WalkEdge.objects.bulk_create([
        WalkEdge(source=k, target=k + 100, cost=100, reverse_cost=100, length_m=100, name=name,
                 geom=LineString(a, b, srid=4326)) for k, (a, b, name) in enumerate(streets, start=1)])
    v = visit(world.admin)
    page = v.open(f"/admin/grids/grid/{world.west.pk}/change/")
    seen = _poll(page, EDITOR, lambda s: s and s["streets"] >= len(streets))
    assert seen == {"name": "streets", "streets": len(streets), "edited": 1, "rendered": True}
    assert any("/maps/streets.geojson?in_bbox=" in u for u in v.requests)  # the streets in view only
    assert "OpenStreetMap" in page.locator(".dj_map .ol-attribution").text_content()
    v.screenshot("admin_grid_editor")
    assert v.errors == []
    assert v.outside_requests() == []
