"""REST API (GeoJSON). Every queryset comes from layers.accounts.visibility, so the API shows a user
exactly what the pages show them; objects outside their scope answer 404."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework_gis.pagination import GeoJsonPagination

from layers.accounts import visibility
from layers.accounts.reporting import ReportLocationError, report_grid
from layers.api import serializers as s
from layers.api.params import CheckedBBoxFilter, district_param, time_param
from layers.facilities.models import Facility
from layers.grids.models import Community
from layers.incidents import duplicates, lifecycle, limits
from layers.incidents.models import Incident
from layers.incidents.rows import CaseRow, case_rows


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django's model permissions, reading included (view_*)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"],
                 "HEAD": ["%(app_label)s.view_%(model_name)s"]}

    def _queryset(self, view):
        # Only the model is read from it: name it by the serializer instead of building the
        # scoped queryset (visibility, stage clocks: 6 ms per incident request) for nothing.
        model = getattr(getattr(getattr(view, "serializer_class", None), "Meta", None), "model", None)
        return model._default_manager.none() if model is not None else super()._queryset(view)


class StepPermissions(ModelPermissions):
    """A lifecycle step (POST …/transition/) needs reading the incident; the action itself asks
    for change_incident and the lifecycle for the role (not add_incident: the command centre
    and the departments move cases they never report)."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.view_%(model_name)s"]}


class Pagination(GeoJsonPagination):
    """Pages of 100 Features, newest first where time matters (``next`` names the following
    page; ``?page_size=`` up to 10,000 for a client that wants more at once, as the maps do).
    A default of 1000 sent a grid worker every case their grids ever had on each call."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 10000


class GeoViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    pagination_class = Pagination
    filter_backends = [CheckedBBoxFilter]
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True


def _district(request):
    """?district=CODE (400 when malformed or unknown) and whether the user holds it."""
    code = district_param(request)
    return code, visibility.holds_district(request.user, code)


class CommunityViewSet(GeoViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """社区边界 (?in_bbox=minLon,minLat,maxLon,maxLat, ?district=CODE)."""

    serializer_class = s.CommunitySerializer

    def get_queryset(self):
        code, held = _district(self.request)
        if not held:
            return Community.objects.none()
        return visibility.in_district(Community.objects.all(), code)


class GridViewSet(GeoViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """网格: all for planners/patrols/administrators, the assigned ones for a grid worker."""

    serializer_class = s.GridSerializer

    def get_queryset(self):
        return visibility.visible_grids(self.request.user, district_param(self.request)).select_related("community")


class FacilityViewSet(GeoViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """设施 (?type=CODE, ?district=CODE)."""

    serializer_class = s.FacilitySerializer

    def get_queryset(self):
        code, held = _district(self.request)
        if not held:
            return Facility.objects.none()
        qs = visibility.in_district(Facility.objects.select_related("type"), code)
        if code := self.request.query_params.get("type"):
            qs = qs.filter(type__code=code)
        return qs


def _filter_grid(qs, request):
    if code := request.query_params.get("grid"):
        qs = qs.filter(grid__code=code)
    return qs


class HouseholdViewSet(GeoViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """户 (masked). ?grid=CODE, ?tag=独居老人, ?district=CODE, ?in_bbox=…"""

    serializer_class = s.HouseholdSerializer

    def get_queryset(self):
        households = visibility.visible_households(self.request.user, district_param(self.request))
        qs = _filter_grid(households.select_related("grid"), self.request)
        if tag := self.request.query_params.get("tag"):
            qs = qs.filter(tags__contains=[tag])
        return qs.order_by("id")


class IncidentViewSet(GeoViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """事件. ?grid=CODE ?district=CODE ?status=handling ?category=CODE ?since=2026-01-01 ?until=…; POST reports one
    (the grid is filled in by the database); POST {id}/transition/ moves it along the lifecycle."""

    serializer_class = s.IncidentSerializer

    def get_queryset(self):
        qs = _filter_grid(visibility.visible_incidents(self.request.user, district_param(self.request)), self.request)
        # The stage clocks in the same query; the grid's outline is not part of a Feature.
        qs = limits.with_stage_deadline(qs.select_related("category", "grid", "department").defer("grid__geom"))
        params = self.request.query_params
        if value := params.get("status"):
            qs = qs.filter(status__in=value.split(","))
        if value := params.get("category"):
            qs = qs.filter(category__code__in=value.split(","))
        if since := time_param(self.request, "since"):
            qs = qs.filter(reported_at__gte=since)
        if until := time_param(self.request, "until"):
            qs = qs.filter(reported_at__lt=until)
        return qs.order_by("-reported_at", "-id")

    def list(self, request, *args, **kwargs):
        """A page of Features (every list is paginated: Pagination), read as rows
        (layers.incidents.rows.CaseRow), not as models."""
        page = self.paginate_queryset(case_rows(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(self.get_serializer([CaseRow(row) for row in page], many=True).data)

    def create(self, request, *args, **kwargs):
        """Report an incident. 200 with the stored one when its ``client_id`` was reported
        before by the same user (a phone sending its offline queue twice). If cases of the same
        category within 50 m and 72 h exist (layers.incidents.duplicates), 409 lists them unless
        the feature's properties say ``link_to`` (the id of one of them: the report is recorded
        on it, 200, no new case) or ``force_new: true`` (a new case all the same, 201)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, user = serializer.validated_data, request.user
        client_id = data.get("client_id")
        if existing := self._reported_before(client_id):
            return Response(self.get_serializer(existing).data, status=status.HTTP_200_OK)
        try:
            report_grid(user, data["geom"])
        except ReportLocationError as e:
            raise ValidationError({"geom": [str(e)]}) from e
        props = request.data.get("properties") if isinstance(request.data, dict) else None
        props = props if isinstance(props, dict) else {}
        link_to, force_new = props.get("link_to"), props.get("force_new") in (True, "true", "1", 1)
        found = list(duplicates.candidates(visibility.visible_incidents(user), category=data["category"],
                                           point=data["geom"]))
        if link_to not in (None, ""):
            target = next((c for c in found if str(c.pk) == str(link_to)), None)
            if target is None:
                raise ValidationError({"link_to": ["所选事件不在可关联的范围内（同类、50 米内、72 小时内、您可见）"]})
            report = duplicates.link(target, by=user, category=data["category"], description=data["description"],
                                     address=data.get("address", ""), point=data["geom"])
            return Response({"linked_to": target.pk, "report": report.pk}, status=status.HTTP_200_OK)
        if found and not force_new:
            return Response({"detail": "附近 50 米内、72 小时内已有同类事件，可能重复：请在 properties 中带 link_to"
                                       "（关联到其中一件）或 force_new: true（仍然新建）重新提交",
                             "duplicates": [duplicates.as_dict(c) for c in found]}, status=status.HTTP_409_CONFLICT)
        try:
            with transaction.atomic():
                serializer.instance = lifecycle.report(by=user, reporter_name=user.get_username(), **data)
        except IntegrityError:
            # The same client_id twice at once: the first report stays, the second gets it.
            if existing := self._reported_before(client_id):
                return Response(self.get_serializer(existing).data, status=status.HTTP_200_OK)
            raise
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    def _reported_before(self, client_id) -> Incident | None:
        if client_id is None:
            return None
        existing = (Incident.objects.filter(client_id=client_id).select_related("category", "grid", "department")
                    .defer("grid__geom").first())
        if existing is not None and existing.reporter_id != self.request.user.pk:
            raise ValidationError({"client_id": ["该提交编号已被他人使用"]})
        return existing

    @extend_schema(request=s.TransitionRequestSerializer, responses=s.TransitionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, StepPermissions])
    def transition(self, request, pk=None):
        """Move the incident (lifecycle.move: row lock, rules, history). 201 with the step;
        400 a move the lifecycle does not allow; 403 the reporter closing their own case;
        409 the incident moved on meanwhile (or differs from the ``from_status`` sent)."""
        incident: Incident = self.get_object()
        if not request.user.has_perm("incidents.change_incident"):
            return Response({"detail": "无权变更事件状态"}, status=status.HTTP_403_FORBIDDEN)
        body = s.TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            step = lifecycle.move(incident, data["to_status"], by=request.user, note=data.get("note", ""),
                                  satisfaction=data.get("satisfaction", ""),
                                  expected_status=data.get("from_status") or None,
                                  department=data.get("department"))
        except lifecycle.ConcurrentMoveError as e:
            incident.refresh_from_db(fields=["status"])
            return Response({"detail": str(e), "status": incident.status}, status=status.HTTP_409_CONFLICT)
        except lifecycle.SeparationOfDutiesError as e:
            return Response({"detail": str(e)}, status=status.HTTP_403_FORBIDDEN)
        except lifecycle.TransitionError as e:
            raise serializers.ValidationError({"to_status": [str(e)]}) from e
        return Response(s.TransitionSerializer(step).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        incident = self.get_object()
        return Response(s.TransitionSerializer(incident.transitions.all(), many=True).data)
