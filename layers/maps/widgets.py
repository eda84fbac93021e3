"""GeoDjango admin map widget with OpenLayers served by the app (no CDN)."""

from django.contrib.gis.forms.widgets import OSMWidget


class OfflineOSMWidget(OSMWidget):
    """Django's OSM widget with local OpenLayers; OSM tiles show only when online."""

    default_lon = 104.08
    default_lat = 30.66
    default_zoom = 14

    class Media:
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")
