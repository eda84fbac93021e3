"""WSGI entry point: gunicorn gridmap.wsgi (or any WSGI server)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmap.settings")
application = get_wsgi_application()

from gridmap.warm import warm_process  # noqa: E402 - Django is set up first

warm_process()
