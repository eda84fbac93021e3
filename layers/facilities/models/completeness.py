"""Life-circle completeness as last computed by the background worker (the planner page and
the exports read it; layers/facilities/walking/completeness.py writes it)."""

from __future__ import annotations

from django.db import models


class CompletenessSnapshot(models.Model):
    """Completeness per community or grid (``level``) of every household, for every district.

    ``state`` identifies the walking times, households and facility types it was computed
    from (walking.completeness.access_state): when they change, the page asks the worker for
    a new one. ``types``: [{code, name, level_minutes}] in catalogue order; ``rows``: [{code,
    name, district, households, complete: {minutes: households}, reached: [households per
    type]}]."""

    level = models.CharField("层级", max_length=10, unique=True)
    state = models.CharField("数据状态", max_length=200)
    computed_at = models.DateTimeField("计算时间")
    types = models.JSONField("设施类型", default=list)
    rows = models.JSONField("各单元", default=list)

    class Meta:
        verbose_name = verbose_name_plural = "生活圈完整度"

    def __str__(self) -> str:
        return f"生活圈完整度（{self.level}）"
