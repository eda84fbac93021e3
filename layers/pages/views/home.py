"""Pages of the layers app."""

import hashlib

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import condition

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
    return hashlib.sha256(f"{version}|{request.GET.get('in_bbox', '')}".encode()).hexdigest()[:32]


@condition(etag_func=_streets_etag)
def streets_geojson(request: HttpRequest) -> HttpResponse:
    """The imported walk network as GeoJSON lines (6 decimals ≈ 0.1 m): the light street
    background of maps without a tile basemap. ``?in_bbox=minLon,minLat,maxLon,maxLat`` keeps
    the streets crossing that box (every map asks for its view: a province's network is
    tens of megabytes). Public: it is OpenStreetMap data. The ETag lets browsers keep it
    until the network changes."""
    from layers.api.params import parse_bbox

    bbox = None
    if request.GET.get("in_bbox"):
        try:
            bbox = parse_bbox("in_bbox", request.GET["in_bbox"])
        except ValueError as e:
            return HttpResponseBadRequest(str(e), content_type="text/plain; charset=utf-8")
    sql = """
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
                   json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(geom, 6)::json,
                                     'properties', json_build_object('name', name))), '[]'::json))::text
          FROM facilities_walkedge
         WHERE %s OR geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)
    """
    with connection.cursor() as cur:
        cur.execute(sql, [bbox is None, *(bbox or (0, 0, 0, 0))])
        body = cur.fetchone()[0]
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response
