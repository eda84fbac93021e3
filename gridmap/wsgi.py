"""WSGI entry point: gunicorn gridmap.wsgi (or any WSGI server)."""
import importlib
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmap.settings")
application = get_wsgi_application()

# Import what the pages need now, while the server process starts, not in the first request
# each gunicorn worker serves: the analysis stack (numpy, scipy, pandas, the patrol classes a
# cached answer is unpickled into) costs over a second of CPU per process.
for _module in ("gridmap.urls", "layers.patrols.advice", "layers.patrols.hotspots", "layers.patrols.route",
                "layers.maps.patrol", "layers.maps.planner", "layers.maps.worker",
                "layers.facilities.walking.reports", "layers.api.views", "layers.api.analysis_views"):
    importlib.import_module(_module)
