"""The Content-Security-Policy: the second line of defence if a value ever escaped escaping."""

from __future__ import annotations

import re
import time

import pytest

from layers.maps.base import TILE_HOSTS
from tests.fixtures_world import client_for

MAPS = ["/maps/overview.html", "/my/map.html", "/planner/map.html?type=kindergarten", "/patrol/map.html?days=30"]


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


@pytest.mark.django_db
def test_injected_inline_script_without_nonce_is_not_allowed_by_the_header(world):
    for path in MAPS:
        response = client_for(world.admin).get(path)
        assert response.status_code == 200, path
        csp = _directives(response)
        script_src = csp["script-src"]
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, path
        nonces = [s for s in script_src if s.startswith("'nonce-")]
        assert len(nonces) == 1, script_src
        nonce = nonces[0][len("'nonce-"):-1]
        # Every <script> of the map page carries this request's nonce (folium's inline ones too).
        tags = re.findall(r"<script\b[^>]*>", response.content.decode())
        assert tags and all(f'nonce="{nonce}"' in t for t in tags), (path, tags)
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'self'"]


@pytest.mark.django_db
def test_nonce_is_fresh_per_request_and_templates_carry_it(world):
    client = client_for(world.worker_w)
    first, second = client.get("/incidents/new/"), client.get("/incidents/new/")
    nonces = [re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", first.content.decode())
    assert inline and all(f'nonce="{nonces[0]}"' in t for t in inline), inline
    # No inline event handlers (onchange=…) either: the CSP would block them.
    for path in ("/my/", "/incidents/new/", "/"):
        assert not re.search(r"<[^>]+\son[a-z]+=", client.get(path).content.decode()), path


@pytest.mark.django_db
@pytest.mark.parametrize("basemap", ["none", "osm", "tianditu", "amap"])
def test_tile_hosts_of_other_basemaps_are_not_allowed_as_images(world, settings, basemap):
    settings.GRIDMAP_BASEMAP = basemap
    img_src = _directives(client_for(world.admin).get("/maps/overview.html"))["img-src"]
    assert set(img_src) == {"'self'", "data:", "blob:", *TILE_HOSTS[basemap]}


def test_tile_hosts_cover_the_basemaps_tile_urls(settings):
    """TILE_HOSTS (the CSP's img-src) and the tile URLs of base_map stay in step."""
    from fnmatch import fnmatch
    from urllib.parse import urlsplit

    import folium

    from layers.maps.base import base_map

    settings.GRIDMAP_TIANDITU_KEY = "k"
    for basemap in ("osm", "tianditu", "amap"):
        m = base_map(basemap=basemap, with_streets=False)
        tiles = [c.tiles for c in m._children.values() if isinstance(c, folium.TileLayer)]
        assert tiles, basemap
        for url in tiles:
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(url.replace("{s}", "1")))
            assert any(fnmatch(origin, host) for host in TILE_HOSTS[basemap]), (basemap, origin)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_script_smuggled_into_a_map_page_is_blocked_by_csp(visit, world):
    """As if escaping were bypassed: a <script> in the served map HTML (without the nonce)
    does not run, the CSP reports it, and the map's own nonced scripts still draw."""
    v = visit(world.worker_w)
    console: list[str] = []
    v.page.on("console", lambda m: console.append(m.text))

    def inject(route):
        response = route.fetch()
        body = response.text().replace("<body>", "<body><script>window.__xss = 9</script>"
                                       '<img src=x onerror="window.__xss = 10">', 1)
        route.fulfill(response=response, body=body)

    v.page.route("**/my/map.html", inject)
    page = v.open("/my/map.html")
    deadline = time.monotonic() + 15
    while not page.evaluate("() => !!document.querySelector('.leaflet-pane') && typeof L !== 'undefined'"):
        assert time.monotonic() < deadline
        page.wait_for_timeout(100)
    assert page.evaluate("() => window.__xss === undefined")
    assert any("Content Security Policy" in c for c in console), console
    assert page.locator(".leaflet-control-layers").count() == 1  # the map's own script ran


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_geometry_widget_works_under_csp_with_a_hostile_grid_name(visit, world):
    """The admin's map widget had an inline script (Django's template); now its options are
    JSON and a static file builds it: the map appears, nothing is blocked, nothing runs."""
    from layers.grids.models import Grid

    Grid.objects.filter(pk=world.west.pk).update(name='<img src=x onerror="window.__xss=1">')
    v = visit(world.admin)
    console: list[str] = []
    v.page.on("console", lambda m: console.append(m.text))
    page = v.open(f"/admin/grids/grid/{world.west.pk}/change/")
    page.wait_for_selector(".dj_map canvas, .dj_map .ol-viewport", state="attached")
    assert page.evaluate("() => window.__xss === undefined")
    assert page.evaluate("() => Object.keys(window).some(k => k.startsWith('geodjango_'))")
    assert not [c for c in console if "Content Security Policy" in c], console
    assert v.errors == []
