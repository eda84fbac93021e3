"""One queued piece of background work as the user sees it: what, for whom, how far, result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Job(models.Model):
    """A job of the queue. ``kind`` names the task, ``key`` what it works on (a facility
    type, a file): at most one job of a kind and key waits at a time (a unique partial
    index), so repeated triggers collapse into the one already queued."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("任务", max_length=60)
    key = models.CharField("对象", max_length=200, blank=True, default="")
    label = models.CharField("说明", max_length=200, blank=True)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    message = models.CharField("消息", max_length=500, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    result_file = models.FileField("结果文件", upload_to="jobs/", blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             verbose_name="提交人")
    queue_task = models.CharField("队列任务", max_length=40, blank=True, default="")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台任务"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], condition=Q(state="queued"), name="job_one_queued_per_key"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.kind} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
