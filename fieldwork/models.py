"""The grid worker's casework: visits (走访记录) and the log of who viewed personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from layers.models import Household


class Visit(models.Model):
    """A grid worker's visit to a household."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", "日常走访"
        CARE = "care", "帮扶慰问"
        CHECK = "check", "信息核查"
        FOLLOWUP = "followup", "事件回访"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visits", verbose_name="户")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="网格员")
    visited_at = models.DateTimeField("走访时间")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    note = models.TextField("记录", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "走访记录"
        ordering = ["-visited_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_at:%Y-%m-%d}"


class PiiAccessLog(models.Model):
    """One view of a household's full personal data (ID number, phone): who, when, which.

    Written by fieldwork.pii.reveal(); readable by administrators only; never edited.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="查看人")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, verbose_name="户")
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    via = models.CharField("途径", max_length=100, help_text="页面、接口或导出")

    class Meta:
        verbose_name = verbose_name_plural = "个人信息查看记录"
        ordering = ["-at"]
        default_permissions = ("view",)
        permissions = [
            ("view_all_grids", "可查看全部网格"),
            ("view_all_households", "可查看全部户"),
            ("view_all_incidents", "可查看全部事件"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.household_id} · {self.at:%Y-%m-%d %H:%M}"
