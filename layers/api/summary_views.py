"""辖区汇总 over the API: /api/summary/?level=street&code=510104001&period=2026-10.

The figures of layers.summaries (the same as the 辖区汇总 page and `manage.py summary`), with the
page's rights: summaries.view_summary; a grid worker reads the grid level of their own grids.
Without ``code``: every unit of the level the user may see. With ``code``: that unit and its
children. Bad parameters are a 400 naming them; a unit out of scope a 404. A unit too large to
sum in a request (layers.summaries.background) answers its latest figures with ``computed_at``,
or 202 with the job computing the first ones.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.accounts.roles import SUMMARY_PAGES
from layers.api.params import bad
from layers.summaries import background, export, services
from layers.summaries.figures import LEVELS
from layers.summaries.periods import PeriodError, parse_period


class SummaryView(APIView):
    """Figures of one unit and its children, or of every unit of a level, for a month."""

    @extend_schema(parameters=[
        OpenApiParameter("level", str, required=True, enum=list(LEVELS)),
        OpenApiParameter("code", str, description="该级单位代码 (6/9/12/15 位)"),
        OpenApiParameter("period", str, description="统计月份 YYYY-MM，默认本月"),
    ])
    def get(self, request: Request) -> Response:
        if not request.user.has_perms(SUMMARY_PAGES):
            raise PermissionDenied("无权查看辖区汇总")
        params = request.query_params
        try:
            period = parse_period(params.get("period"))
        except PeriodError as e:
            raise bad("period", str(e)) from e
        level, code = params.get("level"), params.get("code") or None
        try:
            services.check_level(level, code, code_required=False)
        except services.SummaryError as e:
            raise bad(e.param, str(e)) from e
        try:
            if code is None:
                answer = background.table_for(request.user, level, period)
            else:
                answer = background.summary_for(request.user, level, code, period, trend=False)
        except services.NotInScope as e:
            raise NotFound("没有该单位或不在您的管辖范围内") from e
        if answer.value is None:  # large figures asked for the first time: 202, and the job to follow
            return Response({"detail": "汇总较大，正在由后台计算，请稍后再取", "job": answer.job.pk,
                             "job_url": reverse("job_status", args=[answer.job.pk])}, status=202)
        head = {"period": period.key, "previous_period": period.previous().key, "level": level,
                "computed_at": answer.as_of.isoformat() if answer.as_of else None}
        if code is None:
            return Response({**head, "units": [export.unit_dict(r) for r in answer.value]})
        summary = answer.value
        return Response({**head, "unit": export.unit_dict(summary.total),
                         "children": [export.unit_dict(r) for r in summary.children]})
