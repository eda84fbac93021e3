"""Incident photos, served to those who may see the incident and to nobody else.

There is no public /media/ URL: each request goes through layers.accounts.visibility (another
grid's incident answers 404, as its page does) and the file is streamed with private cache
headers, so a shared proxy keeps no copy.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control, patch_vary_headers

from layers.accounts import visibility
from layers.incidents.models import IncidentPhoto

PHOTO_CACHE_SECONDS = 3600
"""How long the browser (only it: private) may keep a photo without asking again."""


def _photo(request: HttpRequest, pk: int, photo_id: int) -> IncidentPhoto:
    incident = get_object_or_404(visibility.visible_incidents(request.user), pk=pk)
    return get_object_or_404(IncidentPhoto, pk=photo_id, incident=incident)


def _stream(field) -> FileResponse:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError) as e:
        raise Http404("照片文件不存在") from e
    response = FileResponse(handle, content_type="image/jpeg")
    patch_cache_control(response, private=True, max_age=PHOTO_CACHE_SECONDS)
    patch_vary_headers(response, ["Cookie"])
    return response


@login_required
@permission_required("incidents.view_incident", raise_exception=True)
def incident_photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    return _stream(_photo(request, pk, photo_id).file)


@login_required
@permission_required("incidents.view_incident", raise_exception=True)
def incident_photo_thumb(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    return _stream(_photo(request, pk, photo_id).thumbnail)
