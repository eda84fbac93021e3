"""Analysis results over the API: service circles, coverage and hot spots (GeoJSON/JSON).

Same rights as the pages (layers.accounts.roles): circles and coverage for planners and
administrators, hot spots for patrols and administrators."""

from __future__ import annotations

import json

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.accounts import visibility
from layers.accounts.roles import PATROL_PAGES, PLANNER_PAGES
from layers.accounts.visibility import grids_beyond_overview
from layers.api.params import bad, choice_param, district_param, int_param

MAX_DAYS = 3650
"""The longest hot-spot window (ten years): a larger number is a typo, or an overflow attempt."""



def _require(request: Request, perms: tuple[str, ...]) -> None:
    if not request.user.has_perms(perms):  # a superuser has every permission
        raise PermissionDenied("无权查看该分析结果")


def _held_district(request: Request) -> tuple[str | None, bool]:
    """?district=CODE (a 400 when malformed or unknown) and whether the user holds it (a
    district not held gives an empty result, as any row out of scope)."""
    code = district_param(request)
    return code, visibility.holds_district(request.user, code)


DISTRICT = OpenApiParameter("district", str, description="6 位区划代码 (one district; default: all)")


class CircleView(APIView):
    """步行服务圈: ?type=CODE (required) &minutes=15 &district=CODE → FeatureCollection of circles."""

    @extend_schema(parameters=[OpenApiParameter("type", str, required=True), OpenApiParameter("minutes", int),
                               DISTRICT])
    def get(self, request: Request) -> Response:
        from layers.facilities.models import Facility, FacilityCircle
        from layers.facilities.walking.refresh import request_refresh

        _require(request, PLANNER_PAGES)
        request_refresh()  # whatever facility or network change is still queued goes to the worker
        code = request.query_params.get("type")
        if not code:
            raise ValidationError({"type": "需要设施类型代码 (?type=kindergarten)"})
        district, held = _held_district(request)
        if not held:
            return Response({"type": "FeatureCollection", "features": []})
        circles = FacilityCircle.objects.filter(facility__type__code=code).select_related("facility")
        if district:
            circles = circles.filter(facility__in=visibility.in_district(Facility.objects.all(), district))
        if request.query_params.get("minutes"):
            circles = circles.filter(minutes=int_param(request, "minutes", 15, minimum=1, maximum=120))
        features = [{"type": "Feature", "geometry": json.loads(c.geom.geojson), "properties": {
            "facility": c.facility_id, "facility_name": c.facility.name, "minutes": c.minutes, "method": c.method,
            "method_label": c.get_method_display(), "snap_distance_m": c.snap_distance_m}} for c in circles]
        return Response({"type": "FeatureCollection", "features": features})


class CoverageView(APIView):
    """覆盖率: ?type=CODE &level=community|grid &district=CODE → rows of households/residents covered
    (all districts: each district's total row too, ``total`` "district")."""

    @extend_schema(parameters=[OpenApiParameter("type", str), OpenApiParameter("level", str, enum=["community", "grid"]),
                               DISTRICT])
    def get(self, request: Request) -> Response:
        from layers.facilities.walking.refresh import request_refresh
        from layers.facilities.walking.reports import coverage_rows

        _require(request, PLANNER_PAGES)
        request_refresh()
        level = choice_param(request, "level", "community", ("community", "grid"))
        district, held = _held_district(request)
        if not held:
            return Response([])
        if district is None and (grids := grids_beyond_overview(request.user)):  # a province's took minutes
            raise bad("district", f"辖区共 {grids} 个网格（超过 {settings.GRIDMAP_OVERVIEW_MAX_GRIDS} 个），"
                                  "覆盖率须逐区计算：请用 district 指定一个 6 位区划代码")
        rows = coverage_rows(level=level, type_code=request.query_params.get("type") or None, district=district)
        return Response([{**r.__dict__, "household_share": r.household_share, "resident_share": r.resident_share,
                          "focus_share": r.focus_share} for r in rows])


class HotspotView(APIView):
    """热点: ?days=30 &category=CODE,… &hours=20-02 &cell=grid|hex &district=CODE → Gi* classes per cell (district: required when the districts lie in different zones)."""

    @extend_schema(parameters=[OpenApiParameter("days", int), OpenApiParameter("category", str),
                               OpenApiParameter("hours", str), OpenApiParameter("cell", str, enum=["grid", "hex"]),
                               OpenApiParameter("district", str)])
    def get(self, request: Request) -> Response:
        from layers.patrols import hotspots
        from layers.patrols.filters import IncidentFilter, IncidentQueryError, check_categories, parse_hours
        from layers.patrols.geojson import geojson

        _require(request, PATROL_PAGES)
        params = request.query_params
        district, held = _held_district(request)
        if not held:
            return Response({"type": "FeatureCollection", "features": []})
        days = int_param(request, "days", 30, minimum=1, maximum=MAX_DAYS)
        cell = choice_param(request, "cell", "grid", ("grid", "hex"))
        categories = tuple(c for c in params.get("category", "").split(",") if c)
        try:
            hours = parse_hours(params["hours"]) if params.get("hours") else None
        except IncidentQueryError as e:
            raise bad("hours", str(e)) from e
        try:
            check_categories(categories)
        except IncidentQueryError as e:
            raise bad("category", str(e)) from e
        try:
            flt = IncidentFilter.last_days(days, categories=categories, hours=hours,
                                          district=district)
            result = hotspots.hotspots(flt, kind="hex" if cell == "hex" else "grid")
        except (IncidentQueryError, ValueError) as e:
            raise ValidationError({"detail": str(e)}) from e
        return Response(geojson(result) | {"properties": {"filter": flt.describe_zh(), "cell": result.kind}})
