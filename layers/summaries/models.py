"""The permissions of the leaders' summaries and ledgers; nothing is stored here (the figures
are computed from households, incidents, visits and the ledger history of layers.people)."""

from django.db import models


class SummaryScope(models.Model):
    """Holder of the summary permissions (no table). Which grids a user's summary covers is
    layers.accounts.visibility's answer, as everywhere."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = verbose_name_plural = "辖区汇总"
        permissions = [
            ("view_summary", "可查看辖区汇总与重点人群台账"),
            ("export_ledger", "可导出重点人群台账"),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
