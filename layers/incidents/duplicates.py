"""Duplicate reports (DOMAIN.md §3: several people report one broken lamp): which cases a new
report may repeat, linking the report to one of them, and merging two cases.

A candidate is a case of the same category within RADIUS_M metres reported within the
last WINDOW_HOURS hours, whatever its status (a closed case too: the lamp may be broken
again, the reporter decides). Distances are in metres in the metric CRS of the district
holding the point (layers.grids.crs), never in degrees.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.gis.db.models.functions import Distance, Transform
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from layers.grids.crs import district_metric_srid, metric_srid_for_lonlat
from layers.grids.limits import field_limit
from layers.grids.models import District
from layers.incidents import lifecycle
from layers.incidents.lifecycle import IncidentStatus as S
from layers.incidents.models import Incident, IncidentReport

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from layers.incidents.models import IncidentCategory

RADIUS_M = 50.0
WINDOW_HOURS = 72


class MergeError(ValueError):
    """A merge that cannot be done; str() is the message for the user (Chinese)."""


def metric_srid_at(point: Point) -> int:
    """The metric CRS (EPSG) of the district holding ``point`` (WGS84), else the point's zone."""
    district = District.objects.filter(geom__covers=point).order_by("code").only("metric_srid").first()
    if district is not None:
        return district_metric_srid(district)
    return metric_srid_for_lonlat(point.x, point.y)


def _in_metric_crs(point: Point, srid: int) -> Point:
    """``point`` (WGS84) in ``srid``, projected by PostGIS as the candidates' own geometries
    are. GDAL in this process built a new PROJ pipeline per call: 20 ms of every report."""
    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s) p",
                    [point.x, point.y, srid])
        x, y = cur.fetchone()
    return Point(x, y, srid=srid)


def candidates(incidents: QuerySet[Incident], *, category: IncidentCategory | int, point: Point,
               at: datetime | None = None, radius_m: float = RADIUS_M, window_hours: float = WINDOW_HOURS,
               exclude_pk: int | None = None) -> QuerySet[Incident]:
    """The cases of ``incidents`` (already scoped by layers.accounts.visibility) a report of
    ``category`` at ``point`` (WGS84) at ``at`` may repeat: same category, within ``radius_m``
    metres, reported within ``window_hours`` before ``at`` (or after it, for an older case
    looked at later), not themselves merged away. Nearest first, ``distance_m`` annotated."""
    at = at or timezone.now()
    point = Point(point.x, point.y, srid=4326)
    srid = metric_srid_at(point)
    here = _in_metric_crs(point, srid)
    window = timedelta(hours=window_hours)
    qs = (incidents.filter(category=category, duplicate_of__isnull=True,
                           reported_at__gte=at - window, reported_at__lte=at + window)
          .annotate(geom_m=Transform("geom", srid)).filter(geom_m__dwithin=(here, radius_m))
          .annotate(distance=Distance("geom_m", here)))
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.select_related("category", "grid").defer("grid__geom").order_by("distance", "-reported_at")


def as_dict(incident: Incident) -> dict:
    """A candidate (from :func:`candidates`) as JSON for the report form and the API: text only."""
    return {"id": incident.pk, "category": incident.category.name, "status": incident.get_status_display(),
            "description": incident.description[:120], "address": incident.address,
            "reported_at": timezone.localtime(incident.reported_at).isoformat(timespec="minutes"),
            "distance_m": round(incident.distance.m), "grid": incident.grid.name if incident.grid else ""}


def link(incident: Incident, *, by: Any, category: IncidentCategory, description: str, point: Point,
         address: str = "", at: datetime | None = None) -> IncidentReport:
    """Record a new report as a further report of ``incident`` (no second case, no status move)."""
    name = by.get_username()[:field_limit(IncidentReport, "reporter_name")] if by is not None else ""
    return IncidentReport.objects.create(
        incident=incident, category=category, description=description, address=address,
        geom=Point(point.x, point.y, srid=4326), reported_at=at or timezone.now(), reporter=by, reporter_name=name)


def merge(duplicate: Incident, into: Incident, *, by: Any) -> Incident:
    """Mark ``duplicate`` as the same case as ``into``; cancel it (through the lifecycle) if it
    is still at 信息采集. Returns ``duplicate``, refreshed."""
    if duplicate.pk == into.pk:
        raise MergeError("不能把事件合并到它自己")
    with transaction.atomic():
        rows = {i.pk: i for i in Incident.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk])}
        dup, target = rows[duplicate.pk], rows[into.pk]
        if dup.duplicate_of_id is not None:
            raise MergeError(f"该事件已合并到事件 {dup.duplicate_of_id}")
        if target.duplicate_of_id is not None:
            raise MergeError(f"目标事件本身已合并到事件 {target.duplicate_of_id}，请合并到该事件")
        if Incident.objects.filter(duplicate_of=dup).exists():
            raise MergeError("已有其他事件合并到该事件，请将它作为保留的事件")
        Incident.objects.filter(pk=dup.pk).update(duplicate_of=target)
        if dup.status == S.REPORTED:
            lifecycle.move(dup, S.CANCELLED, by=by, note=f"与事件 {target.pk} 重复，已合并")
    duplicate.refresh_from_db()
    return duplicate
