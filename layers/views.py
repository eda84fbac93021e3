"""Pages of the layers app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from layers.maps.base import render as render_map
from layers.maps.overview import overview_map


def home(request: HttpRequest) -> HttpResponse:
    """The first page: the district on a map, communities outlined, grids coloured."""
    return render(request, "layers/home.html")


@xframe_options_sameorigin
def overview_map_html(request: HttpRequest) -> HttpResponse:
    """The overview map as a standalone Leaflet page (shown in the home page's frame)."""
    return HttpResponse(render_map(overview_map()))


def planner_page(request: HttpRequest) -> HttpResponse:
    """设施覆盖: wired to layers.maps.planner once the coverage analysis lands."""
    from django.http import HttpResponseNotFound

    return HttpResponseNotFound("设施覆盖页面尚未启用")


def patrol_page(request: HttpRequest) -> HttpResponse:
    """巡防热点: wired to layers.maps.patrol once the hot-spot analysis lands."""
    from django.http import HttpResponseNotFound

    return HttpResponseNotFound("巡防热点页面尚未启用")
