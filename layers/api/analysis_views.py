"""Analysis results over the API: service circles, coverage and hot spots (GeoJSON/JSON).

Same rights as the pages (layers.accounts.roles): circles and coverage for planners and
administrators, hot spots for patrols and administrators."""

from __future__ import annotations

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.accounts.roles import PATROL_PAGES, PLANNER_PAGES


def _require(request: Request, perms: tuple[str, ...]) -> None:
    if not request.user.has_perms(perms):  # a superuser has every permission
        raise PermissionDenied("无权查看该分析结果")


class CircleView(APIView):
    """步行服务圈: ?type=CODE (required) &minutes=15 → FeatureCollection of circles."""

    @extend_schema(parameters=[OpenApiParameter("type", str, required=True), OpenApiParameter("minutes", int)])
    def get(self, request: Request) -> Response:
        from layers.facilities.models import FacilityCircle
        from layers.facilities.walking.refresh import request_refresh

        _require(request, PLANNER_PAGES)
        request_refresh()  # whatever facility or network change is still queued goes to the worker
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
        from layers.facilities.walking.refresh import request_refresh
        from layers.facilities.walking.reports import coverage_rows

        _require(request, PLANNER_PAGES)
        request_refresh()
        level = request.query_params.get("level", "community")
        if level not in ("community", "grid"):
            raise ValidationError({"level": "level 应为 community 或 grid"})
        rows = coverage_rows(level=level, type_code=request.query_params.get("type") or None)
        return Response([{**r.__dict__, "household_share": r.household_share, "resident_share": r.resident_share,
                          "focus_share": r.focus_share} for r in rows])


class HotspotView(APIView):
    """热点: ?days=30 &category=CODE,… &hours=20-02 &cell=grid|hex → Gi* classes per cell."""

    @extend_schema(parameters=[OpenApiParameter("days", int), OpenApiParameter("category", str),
                               OpenApiParameter("hours", str), OpenApiParameter("cell", str, enum=["grid", "hex"])])
    def get(self, request: Request) -> Response:
        from layers.patrols import hotspots
        from layers.patrols.filters import IncidentFilter, IncidentQueryError, parse_hours
        from layers.patrols.geojson import geojson

        _require(request, PATROL_PAGES)
        params = request.query_params
        try:
            flt = IncidentFilter.last_days(
                int(params.get("days", 30)),
                categories=tuple(c for c in params.get("category", "").split(",") if c),
                hours=parse_hours(params["hours"]) if params.get("hours") else None)
            result = hotspots.hotspots(flt, kind="hex" if params.get("cell") == "hex" else "grid")
        except (IncidentQueryError, ValueError) as e:
            raise ValidationError({"detail": str(e)}) from e
        return Response(geojson(result) | {"properties": {"filter": flt.describe_zh(), "cell": result.kind}})
