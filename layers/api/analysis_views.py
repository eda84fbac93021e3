"""Analysis results over the API: service circles, coverage and hot spots (GeoJSON/JSON).

Same rights as the pages: circles and coverage for users who see facilities and all grids
(planners, administrators), hot spots for users who see all incidents (patrols,
administrators)."""

from __future__ import annotations

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def _require(request: Request, perm: str) -> None:
    if not (request.user.is_superuser or request.user.has_perm(perm)):
        raise PermissionDenied("无权查看该分析结果")


class CircleView(APIView):
    """步行服务圈: ?type=CODE (required) &minutes=15 → FeatureCollection of circles."""

    @extend_schema(parameters=[OpenApiParameter("type", str, required=True), OpenApiParameter("minutes", int)])
    def get(self, request: Request) -> Response:
        from layers.facilities.models import FacilityCircle
        from layers.facilities.walking.refresh import refresh_pending

        _require(request, "accounts.view_all_grids")
        refresh_pending()  # whatever facility or network change is still queued
        code = request.query_params.get("type")
        if not code:
            raise ValidationError({"type": "需要设施类型代码 (?type=kindergarten)"})
        circles = FacilityCircle.objects.filter(facility__type__code=code).select_related("facility")
        if minutes := request.query_params.get("minutes"):
            if not minutes.isdigit():
                raise ValidationError({"minutes": f"分钟数应为整数 (minutes must be a whole number), got {minutes!r}"})
            circles = circles.filter(minutes=int(minutes))
        features = [{"type": "Feature", "geometry": json.loads(c.geom.geojson), "properties": {
            "facility": c.facility_id, "facility_name": c.facility.name, "minutes": c.minutes, "method": c.method,
            "method_label": c.get_method_display(), "snap_distance_m": c.snap_distance_m}} for c in circles]
        return Response({"type": "FeatureCollection", "features": features})


class CoverageView(APIView):
    """覆盖率: ?type=CODE &level=community|grid → rows of households/residents covered."""

    @extend_schema(parameters=[OpenApiParameter("type", str), OpenApiParameter("level", str, enum=["community", "grid"])])
    def get(self, request: Request) -> Response:
        from layers.facilities.walking.refresh import refresh_pending
        from layers.facilities.walking.reports import coverage_rows

        _require(request, "accounts.view_all_grids")
        refresh_pending()
        level = request.query_params.get("level", "community")
        if level not in ("community", "grid"):
            raise ValidationError({"level": "level 应为 community 或 grid"})
        rows = coverage_rows(level=level, type_code=request.query_params.get("type") or None)
        return Response([{**r.__dict__, "household_share": r.household_share, "resident_share": r.resident_share,
                          "focus_share": r.focus_share} for r in rows])


class HotspotView(APIView):
    """热点: ?days=30 &category=CODE,… &hours=20-02 &cell=grid|hex &district=CODE → Gi* classes per cell (district: required when the districts lie in different zones)."""

    @extend_schema(parameters=[OpenApiParameter("days", int), OpenApiParameter("category", str),
                               OpenApiParameter("hours", str), OpenApiParameter("cell", str, enum=["grid", "hex"]),
                               OpenApiParameter("district", str)])
    def get(self, request: Request) -> Response:
        from layers.patrols import hotspots
        from layers.patrols.filters import IncidentFilter, IncidentQueryError, parse_hours
        from layers.patrols.geojson import geojson

        _require(request, "accounts.view_all_incidents")
        params = request.query_params
        try:
            flt = IncidentFilter.last_days(
                int(params.get("days", 30)),
                categories=tuple(c for c in params.get("category", "").split(",") if c),
                hours=parse_hours(params["hours"]) if params.get("hours") else None,
                district=params.get("district") or None)
            result = hotspots.hotspots(flt, kind="hex" if params.get("cell") == "hex" else "grid")
        except (IncidentQueryError, ValueError) as e:
            raise ValidationError({"detail": str(e)}) from e
        return Response(geojson(result) | {"properties": {"filter": flt.describe_zh(), "cell": result.kind}})
