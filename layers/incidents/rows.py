"""Incidents as plain rows for lists: what a Feature, a stage clock and a list row read, without
a model instance per case (layers.api.serializers, the grid worker's page)."""

from __future__ import annotations

from django.db.models import FloatField, Func, QuerySet

from layers.incidents.models import Incident, IncidentStatus

STATUS_LABELS = {value: str(label) for value, label in IncidentStatus.choices}


class _Named:
    """The few attributes of a related row (category, grid, department) a Feature reads."""

    __slots__ = ("accept_limit_hours", "code", "dispatch_limit_hours", "name", "time_limit_hours")

    def __init__(self, **values) -> None:
        for name, value in values.items():
            setattr(self, name, value)


class _X(Func):
    function, output_field = "ST_X", FloatField()


class _Y(Func):
    function, output_field = "ST_Y", FloatField()


# What a Feature and its stage clock read (IncidentSerializer.to_representation, limits.stage_start,
# lifecycle.deadline), as the columns of one row. lon and lat are the stored doubles themselves
# (PostgreSQL writes float8 exactly since version 12).
_ROW_COLUMNS = ("id", "external_id", "category_id", "category__code", "category__name", "category__accept_limit_hours",
                "category__dispatch_limit_hours", "category__time_limit_hours", "description", "address",
                "reported_at", "status", "dispatched_at", "closed_at", "satisfaction", "grid_id", "grid__code",
                "synthetic", "department_id", "department__name", "duplicate_of_id", "client_id", "accepted_at",
                "row_lon", "row_lat")


class CaseRow:
    """An incident as a list of Features reads it, made from one row of :func:`case_rows`: the
    attributes IncidentSerializer, the stage clocks and the lists of the pages read from an
    Incident, without building the Incident, its category, grid and department models and a GEOS
    point. That was 8 of the 16 ms of CPU of a grid worker's page of 100 cases (bench/serve.py)."""

    __slots__ = ("accepted_at", "address", "category", "category_id", "client_id", "closed_at", "department",
                 "department_id", "description", "dispatched_at", "duplicate_of_id", "external_id", "grid",
                 "grid_id", "lonlat", "pk", "reported_at", "satisfaction", "status", "status_label", "synthetic")

    def __init__(self, row: tuple) -> None:
        (self.pk, self.external_id, self.category_id, code, name, accept_h, dispatch_h, time_h, self.description,
         self.address, self.reported_at, self.status, self.dispatched_at, self.closed_at, self.satisfaction,
         self.grid_id, grid_code, self.synthetic, self.department_id, department_name, self.duplicate_of_id,
         self.client_id, self.accepted_at, lon, lat) = row
        self.category = _Named(code=code, name=name, accept_limit_hours=accept_h, dispatch_limit_hours=dispatch_h,
                               time_limit_hours=time_h)
        self.grid = _Named(code=grid_code) if self.grid_id is not None else None
        self.department = _Named(name=department_name) if self.department_id is not None else None
        self.lonlat = (lon, lat)
        self.status_label = STATUS_LABELS.get(self.status, self.status)


def case_rows(incidents: QuerySet[Incident]) -> QuerySet:
    """``incidents`` (annotated by ``limits.with_stage_deadline``) as rows for :class:`CaseRow`,
    still a queryset: the paginator counts and slices it."""
    return incidents.annotate(row_lon=_X("geom"), row_lat=_Y("geom")).values_list(*_ROW_COLUMNS)
