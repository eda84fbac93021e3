"""Pages of the layers app."""

import hashlib

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import condition

from layers.maps.base import MAJOR_HIGHWAYS, STREETS_ALL_ZOOM, STREETS_MIN_ZOOM
from layers.maps.base import render as render_map
from layers.maps.overview import overview_map
from layers.pages.views.district import district_choice


def home(request: HttpRequest) -> HttpResponse:
    """The first page: the district on a map, communities outlined, grids coloured (one district
    or all of those the user holds: ?district=CODE)."""
    return render(request, "pages/home.html", {"district": district_choice(request)})


@xframe_options_sameorigin
def overview_map_html(request: HttpRequest) -> HttpResponse:
    """The overview map as a standalone Leaflet page (shown in the home page's frame)."""
    district = district_choice(request, say=False)
    return HttpResponse(render_map(overview_map(district=district.code), nonce=request.csp_nonce))


def _streets_etag(request: HttpRequest) -> str:
    # The walk network's writes draw a value from gridmap_patrol_layout_version (with grid,
    # community and category writes, which are rare): one sequence read instead of counting a
    # province's half a million edges on every request. The box is part of the URL.
    with connection.cursor() as cur:
        cur.execute("SELECT last_value FROM gridmap_patrol_layout_version")
        version = cur.fetchone()[0]
    return hashlib.sha256(f"{version}|{request.GET.urlencode()}".encode()).hexdigest()[:32]


def _zoom(text: str) -> int:
    """?zoom=: a whole Leaflet zoom level 0–22, else ValueError naming the parameter."""
    if not (text.isascii() and text.isdigit() and int(text) <= 22):
        raise ValueError(f"zoom: 应为 0–22 的整数缩放级别 (a whole zoom level 0–22), got {text[:20]!r}")
    return int(text)


@condition(etag_func=_streets_etag)
def streets_geojson(request: HttpRequest) -> HttpResponse:
    """The imported walk network as GeoJSON lines (6 decimals ≈ 0.1 m): the light street
    background of maps without a tile basemap. ``?in_bbox=minLon,minLat,maxLon,maxLat`` keeps
    the streets crossing that box (every map asks for its view: a province's network is
    tens of megabytes); ``?zoom=`` below STREETS_ALL_ZOOM keeps the major roads only, below
    STREETS_MIN_ZOOM none (layers.maps.base). Public:
    it is OpenStreetMap data. The ETag lets browsers keep it until the network changes."""
    from layers.api.params import parse_bbox

    bbox, zoom = None, None
    try:
        if request.GET.get("in_bbox"):
            bbox = parse_bbox("in_bbox", request.GET["in_bbox"])
        if request.GET.get("zoom"):
            zoom = _zoom(request.GET["zoom"])
    except ValueError as e:
        return HttpResponseBadRequest(str(e), content_type="text/plain; charset=utf-8")
    highways = None  # every street
    if zoom is not None and zoom < STREETS_ALL_ZOOM:
        highways = list(MAJOR_HIGHWAYS) if zoom >= STREETS_MIN_ZOOM else []
    sql = """
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
                   json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(geom, 6)::json,
                                     'properties', json_build_object('name', name))), '[]'::json))::text
          FROM facilities_walkedge
         WHERE (%s OR geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)) AND (%s::text[] IS NULL OR highway = ANY(%s))
    """
    with connection.cursor() as cur:
        cur.execute(sql, [bbox is None, *(bbox or (0, 0, 0, 0)), highways, highways])
        body = cur.fetchone()[0]
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response
