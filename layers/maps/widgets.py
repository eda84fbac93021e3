"""GeoDjango admin map widget with OpenLayers served by the app (no CDN)."""

from django.conf import settings
from django.contrib.gis.forms.widgets import OSMWidget


class OfflineOSMWidget(OSMWidget):
    """Django's OSM widget with local OpenLayers; OSM tiles under the shapes only with
    GRIDMAP_BASEMAP=osm (and when online), otherwise the shapes on a blank background.

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
        # The options of Django's gis/openlayers(-osm).html script, as data.
        context["widget_options"] = {
            "geom_name": context["geom_type"], "id": context["id"], "map_id": f"{context['id']}_map",
            "map_srid": context["map_srid"], "name": context["name"], "module": context["module"],
            "default_lon": context["default_lon"], "default_lat": context["default_lat"],
            "default_zoom": context["default_zoom"],
            # OSM tiles only with the OSM basemap: the CSP's img-src allows no other tile host.
            "osm_tiles": settings.GRIDMAP_BASEMAP == "osm",
        }
        context["widget_options_id"] = f"{context['id']}_options"
        return context
