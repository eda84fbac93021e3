"""Planning scenarios (规划情景): facilities added, moved or closed on paper, evaluated without
touching the real facilities (layers/facilities/walking/scenarios.py computes, in the worker)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q

from layers.facilities.models.facilities import Facility, FacilityType
from layers.grids.models import WGS84


class Scenario(models.Model):
    """A named set of changes. ``results``: coverage and completeness per community of the
    scenario and of today (``baseline``), as last computed (``computed_at``; None: not yet)."""

    name = models.CharField("情景名称", max_length=100, unique=True)
    note = models.CharField("说明", max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    results = models.JSONField("计算结果", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "规划情景"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScenarioChange(models.Model):
    """One change of a scenario: a new facility (type, position, name), a facility moved
    (facility, new position) or closed (facility)."""

    class Action(models.TextChoices):
        ADD = "add", "新建"
        MOVE = "move", "迁址"
        CLOSE = "close", "关闭"

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="changes", verbose_name="情景")
    action = models.CharField("变动", max_length=5, choices=Action.choices)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name="现有设施")
    facility_type = models.ForeignKey(FacilityType, on_delete=models.CASCADE, null=True, blank=True,
                                      related_name="+", verbose_name="设施类型")
    name = models.CharField("名称", max_length=200, blank=True)
    geom = models.PointField("位置", srid=WGS84, null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "情景变动"
        ordering = ["scenario", "id"]
        constraints = [
            models.CheckConstraint(name="scenariochange_complete", condition=(
                Q(action="add", facility_type__isnull=False, geom__isnull=False)
                | Q(action="move", facility__isnull=False, geom__isnull=False)
                | Q(action="close", facility__isnull=False))),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.name or self.facility}"
