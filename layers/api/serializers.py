"""GeoJSON serializers. Personal data leaves the server masked: households carry
``id_number_masked``/``phone_masked`` only; full values come from the logged reveal view."""

from __future__ import annotations

import math

from django.utils import timezone
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from layers.facilities.models import Facility
from layers.grids.models import Community, Grid
from layers.incidents import lifecycle, limits
from layers.incidents.models import Department, Incident, IncidentStatus, IncidentTransition
from layers.incidents.rows import STATUS_LABELS, CaseRow
from layers.people.models import Household


class CommunitySerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Community
        geo_field = "geom"
        fields = ["id", "code", "name", "street"]


class GridSerializer(GeoFeatureModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Grid
        geo_field = "geom"
        fields = ["id", "code", "name", "community", "community_name"]


class FacilitySerializer(GeoFeatureModelSerializer):
    type_code = serializers.CharField(source="type.code", read_only=True)
    type_name = serializers.CharField(source="type.name", read_only=True)

    class Meta:
        model = Facility
        geo_field = "geom"
        fields = ["id", "name", "type", "type_code", "type_name", "address", "capacity", "source", "synthetic"]


class HouseholdSerializer(GeoFeatureModelSerializer):
    head_name = serializers.SerializerMethodField()
    grid_code = serializers.CharField(source="grid.code", read_only=True, default=None)

    class Meta:
        model = Household
        geo_field = "geom"
        fields = ["id", "external_id", "address", "residents", "head_name", "id_number_masked", "phone_masked",
                  "tags", "vulnerable_tags", "last_visit", "grid", "grid_code", "synthetic"]

    def get_head_name(self, obj: Household) -> str:
        from layers.people.masking import mask_name

        return mask_name(obj.head_name)


class TransitionSerializer(serializers.ModelSerializer):
    by = serializers.StringRelatedField()

    class Meta:
        model = IncidentTransition
        fields = ["from_status", "to_status", "at", "by", "note"]


class IncidentSerializer(GeoFeatureModelSerializer):
    category_code = serializers.SlugRelatedField(source="category", slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True, default=None)
    deadline = serializers.SerializerMethodField()
    department_name = serializers.CharField(source="department.name", read_only=True, default=None)
    stage = serializers.SerializerMethodField(help_text="the running stage's clock (layers.incidents.limits): "
                                                        "{name: 立案|派遣|处置, deadline, state: ok|warning|overdue}; "
                                                        "null once closed or cancelled")
    # Made by the client (a UUID): the same report sent twice is stored once (views.IncidentViewSet.create).
    client_id = serializers.UUIDField(required=False, allow_null=True)

    class Meta:
        model = Incident
        geo_field = "geom"
        fields = ["id", "external_id", "category", "category_code", "category_name", "description", "address",
                  "reported_at", "status", "status_label", "dispatched_at", "closed_at", "deadline", "stage",
                  "satisfaction", "grid", "grid_code", "synthetic", "department", "department_name", "duplicate_of",
                  "client_id"]
        read_only_fields = ["status", "department", "dispatched_at", "closed_at", "satisfaction", "grid", "synthetic",
                            "reported_at", "external_id", "duplicate_of"]

    def get_deadline(self, obj: Incident):
        return lifecycle.deadline(obj)

    def to_representation(self, instance: Incident) -> dict:
        """The Feature GeoFeatureModelSerializer makes (tests/api/test_incident_feature.py compares
        the two on every kind of case), built directly: DRF's per-field path took 40 ms of CPU
        for a page of 100, the largest share of a grid worker's requests under load. One
        difference, within a double's rounding: coordinates are the stored doubles themselves
        (GDAL's writer, drf-gis's path, costs 0.1 ms a point and rounds to 15 decimals)."""
        category, grid, department = instance.category, instance.grid, instance.department
        tz = timezone.get_current_timezone()
        x, y = instance.lonlat if isinstance(instance, CaseRow) else instance.geom.coords
        return {
            "id": instance.pk,
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {
                "external_id": instance.external_id, "category": instance.category_id,
                "category_code": category.code, "category_name": category.name,
                "description": instance.description, "address": instance.address,
                "reported_at": _iso(instance.reported_at, tz), "status": instance.status,
                "status_label": STATUS_LABELS.get(instance.status, instance.status),
                "dispatched_at": _iso(instance.dispatched_at, tz), "closed_at": _iso(instance.closed_at, tz),
                "deadline": self.get_deadline(instance), "stage": self.get_stage(instance),
                "satisfaction": instance.satisfaction, "grid": instance.grid_id,
                "grid_code": grid.code if grid is not None else None, "synthetic": instance.synthetic,
                "department": instance.department_id,
                "department_name": department.name if department is not None else None,
                "duplicate_of": instance.duplicate_of_id,
                "client_id": str(instance.client_id) if instance.client_id is not None else None,
            },
        }

    def get_stage(self, obj: Incident) -> dict | None:
        clock = limits.stage_clock(obj)
        if clock is None:
            return None
        return {"name": clock.stage, "deadline": clock.deadline.isoformat(), "state": clock.state}

    def validate_geom(self, value):
        """A 2D WGS84 point with finite coordinates inside China's extent; anything else
        (a Polygon, a 3D point, NaN or inf, a point in the Atlantic) is a 400 naming geom,
        not a database error."""
        return check_incident_point(value)


_DATETIME_FIELD = serializers.DateTimeField()


def _iso(value, tz):
    """A stored time as DRF's DateTimeField writes it (ISO 8601 in the current time zone,
    UTC as Z); None stays None. The time zone is looked up once per Feature, not per field."""
    if value is None:
        return None
    try:
        text = value.astimezone(tz).isoformat()
    except OverflowError:  # DRF's own refusal, with its message
        return _DATETIME_FIELD.to_representation(value)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


CHINA_EXTENT = (73.0, 3.0, 136.0, 54.0)
"""Longitude/latitude box around China (the report form uses the same bounds)."""


def check_incident_point(value):
    if value is None or value.geom_type != "Point":
        kind = "nothing" if value is None else value.geom_type
        raise serializers.ValidationError(f"事件位置应为一个点 (the location must be a Point, got {kind})")
    if value.hasz:
        raise serializers.ValidationError("事件位置应为二维点 (the location must be a 2D point: no height)")
    if value.srid not in (None, 4326):
        raise serializers.ValidationError(f"坐标系应为 WGS84 (EPSG:4326), got EPSG:{value.srid}")
    x, y = value.coords
    if not (math.isfinite(x) and math.isfinite(y)):
        raise serializers.ValidationError("坐标不是有限的数 (a coordinate is NaN or infinite)")
    xmin, ymin, xmax, ymax = CHINA_EXTENT
    if not (xmin <= x <= xmax and ymin <= y <= ymax):
        raise serializers.ValidationError(f"({x}, {y}) 不在中国范围内 (outside China: lon {xmin}–{xmax}, lat {ymin}–{ymax})")
    value.srid = 4326
    return value


class TransitionRequestSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=IncidentStatus.choices)
    from_status = serializers.ChoiceField(
        choices=IncidentStatus.choices, required=False,
        help_text="the status the client saw; if the incident has moved on since, 409 instead of a move")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    satisfaction = serializers.ChoiceField(choices=lifecycle.SATISFACTION_CHOICES, required=False,
                                           help_text="回访 only: 满意 ends the case, 不满意 sends it back")
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(active=True), required=False,
        help_text="派遣 only: the id of the 处置部门 the case is sent to (required there)")
