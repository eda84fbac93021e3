"""A log of import and export runs: who moved which data in or out, and when.

Exports of households and incidents with ``--unmasked`` carry full ID numbers and phone
numbers: PIPL asks that such access be traceable, so every export is logged here, and
every import that wrote data (dry runs and refused files write nothing, not even here).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportRun(models.Model):
    """One run of an import_* or export_layer command."""

    class Kind(models.TextChoices):
        IMPORT = "import", "导入"
        EXPORT = "export", "导出"

    kind = models.CharField("类型", max_length=6, choices=Kind.choices)
    layer = models.CharField("图层", max_length=30)
    file_name = models.CharField("文件", max_length=300)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="用户"
    )
    unmasked = models.BooleanField("含完整个人信息", default=False)
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    unchanged = models.PositiveIntegerField("未变", default=0)
    rejected = models.PositiveIntegerField("拒绝", default=0)
    rows = models.PositiveIntegerField("导出行数", default=0)
    options = models.JSONField("选项", default=dict, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "导入导出记录"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.layer} {self.file_name} ({self.at:%Y-%m-%d %H:%M})"

    @classmethod
    def record_import(cls, loader, result, *, user=None) -> ImportRun:
        opts = loader.options
        return cls.objects.create(
            kind=cls.Kind.IMPORT, layer=loader.layer, file_name=str(loader.path)[-300:], user=user,
            created=result.created,
            updated=result.updated, unchanged=result.unchanged, rejected=result.rejected,
            options={"crs": opts.crs, "encoding": opts.encoding, "mapping": dict(opts.mapping),
                     "skip_invalid": opts.skip_invalid, "allow_no_key": opts.allow_no_key},
        )

    @classmethod
    def record_export(cls, result, *, user=None, file_name: str = "") -> ImportRun:
        """Log an export (importers.export.ExportResult) as export_layer does; ``unmasked``
        when personal data left in full."""
        from importers.export_layers import LAYERS

        return cls.objects.create(kind=cls.Kind.EXPORT, layer=result.layer,
                                  file_name=(file_name or str(result.path))[-300:], user=user,
                                  unmasked=not result.masked and LAYERS[result.layer].personal,
                                  rows=result.rows, options={"format": result.format})
