"""Stored XSS on the maps (security finding 1), tried in real Chromium.

Every hostile payload of tests/security/hostile.py is stored in community and grid names,
a facility (and its type), a household address, an incident category and an incident
reported by the grid worker; then every map is opened as each role that sees it, every
tooltip and popup is opened, and the page must not have run the payload (window.__xss),
must show it as text, must still have drawn the map, and must have no page error and no
CSP violation. The figure (payloads × maps, scripts executed) is printed at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from tests.security.hostile import PAYLOADS, store_hostile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Opens every tooltip and popup of the Leaflet map the way a hover or a click does (on the
# layer, or on the GeoJSON group it belongs to, with the hovered feature as source), and
# returns the text shown, the labels, legend and layer control, and how much was drawn.
OPEN_EVERYTHING = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const leaves = new Set();
  const walk = l => { if (l.getLayers && !(L.MarkerCluster && l instanceof L.MarkerCluster)) { leaves.add(l);
                        l.getLayers().forEach(walk); } else { leaves.add(l); } };
  map.eachLayer(walk);
  const owner = (l, key) => { const queue = [l], seen = new Set();
    while (queue.length) { const x = queue.shift(); if (seen.has(x)) continue; seen.add(x);
      if (x[key]) return x[key]; Object.values(x._eventParents || {}).forEach(p => queue.push(p)); }
    return null; };
  const shown = [];
  let paths = 0;
  for (const l of leaves) {
    if (l.getLayers) continue;
    if (l instanceof L.Path) paths++;
    const ll = l.getLatLng ? l.getLatLng() : (l.getBounds ? l.getBounds().getCenter() : null);
    if (!ll) continue;
    const tooltip = owner(l, '_tooltip');
    if (tooltip) { tooltip._source = l; map.openTooltip(tooltip, ll);
                   shown.push(tooltip.getElement() ? tooltip.getElement().textContent : ''); map.closeTooltip(tooltip); }
    const popup = owner(l, '_popup');
    if (popup) { popup._source = l; map.openPopup(popup, ll);
                 shown.push(popup.getElement() ? popup.getElement().textContent : ''); map.closePopup(popup); }
  }
  const text = sel => Array.from(document.querySelectorAll(sel)).map(e => e.textContent);
  return {shown, labels: text('.gm-label'), legend: text('.gm-legend'), control: text('.leaflet-control-layers'),
          panes: document.querySelectorAll('.leaflet-pane').length, paths};
}"""

# Both bounding-box layers (households, incidents) have fetched their points.
LAZY_LOADED = """() => Object.values(window).filter(v => v instanceof L.GeoJSON && v.getLayers().length
                   && v.getLayers()[0] instanceof L.CircleMarker).length >= 2"""

XSS = "() => window.__xss === undefined ? null : window.__xss"


@dataclass
class Tally:
    """Payloads × maps opened, and how many of them ran a payload (target 0)."""

    tried: int = 0
    executed: int = 0
    maps: set[str] = field(default_factory=set)


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def figure():
    yield
    print(f"\nstored XSS: {len(PAYLOADS)} payloads × {len(TALLY.maps)} maps = {TALLY.tried} map loads, "
          f"{TALLY.executed} executed scripts")


def _poll(page, js: str, timeout_s: float = 15.0) -> None:
    """Wait until ``js`` (a function) is true. Not wait_for_function: Playwright compiles
    its predicate with eval, which the pages' CSP (rightly) refuses."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(js):
        assert time.monotonic() < deadline, f"timed out waiting for {js}"
        page.wait_for_timeout(100)


def _open(visit, user, path: str, *, before_collect: str | None = None,
          ready: str | None = None, server=None) -> tuple[dict, object]:
    v = visit(user, server=server)
    console: list[str] = []
    v.page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page = v.open(path)
    _poll(page, "() => Object.values(window).some(v => v instanceof L.Map)")
    if before_collect:
        page.evaluate(before_collect)
    if ready:
        _poll(page, ready)
    seen = page.evaluate(OPEN_EVERYTHING)
    xss = page.evaluate(XSS)
    TALLY.tried += 1
    TALLY.maps.add(f"{path} ({user.username})")
    TALLY.executed += xss is not None
    assert xss is None, f"{path} as {user.username}: payload ran (window.__xss={xss})"
    assert v.errors == [], v.errors
    assert not [c for c in console if "Content Security Policy" in c], console
    assert seen["panes"] >= 4 and seen["paths"] >= 1, seen  # the map drew
    return seen, v


def _text(seen: dict) -> str:
    return "\n".join(seen["shown"] + seen["labels"] + seen["legend"] + seen["control"])


@pytest.fixture(scope="module")
def lazy_server(serve):
    """A second production server that embeds no household (GRIDMAP_MAX_EMBEDDED_HOUSEHOLDS=0):
    the grid worker's map fetches them by bounding box."""
    server = serve(GRIDMAP_MAX_EMBEDDED_HOUSEHOLDS="0")
    yield server
    server.stop()


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_hostile_names_never_run_on_any_map(visit, world, payload, lazy_server):
    t = store_hostile(world, payload)

    # Overview (home page's map), logged in as a grid worker and as the administrator.
    for user in (world.worker_w, world.admin):
        seen, _ = _open(visit, user, "/maps/overview.html")
        assert t.community in seen["labels"], seen["labels"]  # the community label, as text
        shown = _text(seen)
        assert t.community in shown and t.west in shown and t.east in shown

    # The grid worker's map with households and incidents embedded (worker, administrator).
    for user, grids in ((world.worker_w, [t.west]), (world.admin, [t.west, t.east])):
        seen, _ = _open(visit, user, "/my/map.html")
        shown = _text(seen)
        for expected in [*grids, t.address, t.description, t.category]:
            assert expected in shown, (user.username, expected)

    # The same map above the embedding threshold: households and incidents fetched by
    # bounding box, their tooltips built in the browser (layers/maps/lazy.py).
    seen, _ = _open(visit, world.worker_w, "/my/map.html",
                    before_collect="() => Object.values(window).find(v => v instanceof L.Map).setView([30.655, 104.065], 18)",
                    ready=LAZY_LOADED, server=lazy_server)
    shown = _text(seen)
    assert "户（放大到街区后加载）" in shown
    assert t.address in shown and t.category in shown, shown
    assert "标签独居老人" in shown  # a list property reads as text, not as JSON

    # The planner's map (planner, administrator): facility, its type, grid names.
    for user in (world.planner, world.admin):
        seen, _ = _open(visit, user, "/planner/map.html?type=kindergarten")
        shown = _text(seen)
        for expected in (t.facility, t.ftype, t.west):
            assert expected in shown, (user.username, expected)

    # The patrol's map (patrol, administrator): hot-spot cells named after grids, incidents.
    for user in (world.patrol, world.admin):
        seen, _ = _open(visit, user, "/patrol/map.html?days=30")
        shown = _text(seen)
        assert t.west in shown and t.category in shown, (user.username, shown)

    # The report form's grid picker: hover the worker's grid, its name shows in a tooltip.
    v = visit(world.worker_w)
    page = v.open("/incidents/new/")
    page.hover("#pick path.leaflet-interactive")
    page.wait_for_selector(".leaflet-tooltip")
    TALLY.tried += 1
    TALLY.maps.add("/incidents/new/ (grid picker)")
    xss = page.evaluate(XSS)
    TALLY.executed += xss is not None
    assert xss is None and v.errors == []
    assert t.west in page.inner_text(".leaflet-tooltip")


def test_pages_around_the_maps_show_hostile_names_as_text(visit, world):
    """The role pages hosting the maps (Django templates), three payloads at once (names
    hold at most 100 characters)."""
    payload = "".join(PAYLOADS[k] for k in ("img_onerror", "template_literal", "attribute_breakout_svg"))
    t = store_hostile(world, payload)
    for user, path, frame_part in ((world.worker_w, "/", "/maps/overview.html"), (world.worker_w, "/my/", "/my/map.html"),
                                   (world.planner, "/planner/?type=kindergarten", "/planner/map.html"),
                                   (world.patrol, "/patrol/?days=30", "/patrol/map.html")):
        v = visit(user)
        page = v.open(path)
        frame = next(f for f in page.frames if frame_part in f.url)
        frame.wait_for_selector(".leaflet-pane", state="attached")
        for target in (page, frame):
            assert target.evaluate(XSS) is None, path
        assert v.errors == [], v.errors
        if path == "/my/":
            assert t.address in page.inner_text("#households")
        if path.startswith("/planner/"):
            assert t.ftype in page.inner_text("h2")


@pytest.fixture(scope="module")
def districts_server(serve):
    """A production server whose overview of every district outlines the districts (above
    GRIDMAP_OVERVIEW_MAX_GRIDS grids, as for a province)."""
    server = serve(GRIDMAP_OVERVIEW_MAX_GRIDS="0")
    yield server
    server.stop()


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_a_hostile_district_name_never_runs_on_the_province_overview(visit, world, payload, districts_server):
    from layers.grids.models import District

    name = payload + "锦江区"
    District.objects.filter(code="510104").update(name=name)
    seen, _ = _open(visit, world.admin, "/maps/overview.html", server=districts_server)
    assert name in seen["labels"], seen["labels"]  # the district's label, as text
    assert any(name in s and "510104" in s for s in seen["shown"]), seen["shown"]  # its tooltip
    assert not any(world.west.name in s for s in seen["shown"])  # districts, not grids
