"""GeoDjango admin map widget with OpenLayers served by the app (no CDN)."""

from django.conf import settings
from django.contrib.gis.forms.widgets import OSMWidget
from django.urls import reverse

from layers.maps.base import OSM_ATTRIBUTION, TIANDITU_ATTRIBUTION, tianditu_tiles

# The editor's backgrounds. Amap's tiles are in GCJ-02 (shifted by some 500 m): the Leaflet
# maps shift the data for display only, the editor would draw and save in the tiles'
# frame, so with GRIDMAP_BASEMAP=amap it shows the street background instead.
EDITOR_BASEMAPS = {"none": "none", "osm": "osm", "tianditu": "tianditu", "amap": "none"}
AMAP_NOTE = "高德底图使用 GCJ-02 偏移坐标，编辑器改以路网为背景，以免图形错位。"


class OfflineOSMWidget(OSMWidget):
    """Django's OSM widget with local OpenLayers and gridmap's basemap setting: with
    GRIDMAP_BASEMAP=none (and amap) the imported walk network under the edited shape,
    fetched from /maps/streets.geojson as by the other maps (layers.maps.base); OSM or
    Tianditu tiles when configured (the Content-Security-Policy allows their hosts then).

    Its template has no inline script (the Content-Security-Policy allows none without the
    request's nonce, which a widget does not see): the MapWidget options are written as
    JSON and gridmap/olwidget.js creates the map. Default view in WGS84 degrees.
    """

    template_name = "gis/gridmap-openlayers-osm.html"
    default_lon = 104.08
    default_lat = 30.66
    default_zoom = 14

    class Media:
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js", "gridmap/olwidget.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        basemap = EDITOR_BASEMAPS.get(settings.GRIDMAP_BASEMAP, "none")
        # The options of Django's gis/openlayers(-osm).html script, as data.
        context["widget_options"] = {
            "geom_name": context["geom_type"], "id": context["id"], "map_id": f"{context['id']}_map",
            "map_srid": context["map_srid"], "name": context["name"], "module": context["module"],
            "default_lon": context["default_lon"], "default_lat": context["default_lat"],
            "default_zoom": context["default_zoom"],
            "basemap": basemap,
            "streets_url": reverse("streets_geojson"), "streets_attribution": OSM_ATTRIBUTION,
            "tiles": ([{"url": tianditu_tiles(layer), "attribution": TIANDITU_ATTRIBUTION}
                       for layer in ("vec", "cva")] if basemap == "tianditu" else []),
        }
        context["widget_options_id"] = f"{context['id']}_options"
        context["basemap_note"] = AMAP_NOTE if settings.GRIDMAP_BASEMAP == "amap" else ""
        return context
