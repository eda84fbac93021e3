"""Pages of the layers app."""

import hashlib

from django.db import connection
from django.http import HttpRequest, HttpResponse
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
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(max(id), 0), coalesce(sum(length_m), 0) FROM facilities_walkedge")
        return hashlib.sha256(repr(cur.fetchone()).encode()).hexdigest()[:32]


@condition(etag_func=_streets_etag)
def streets_geojson(request: HttpRequest) -> HttpResponse:
    """The imported walk network as GeoJSON lines (6 decimals ≈ 0.1 m): the light street
    background of maps without a tile basemap. Public: it is OpenStreetMap data. The ETag
    lets browsers keep it until the network changes."""
    sql = """
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
                   json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(geom, 6)::json,
                                     'properties', json_build_object('name', name))), '[]'::json))::text
          FROM facilities_walkedge
    """
    with connection.cursor() as cur:
        cur.execute(sql)
        body = cur.fetchone()[0]
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response
