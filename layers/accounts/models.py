"""The permissions that lift the grid scope (layers.accounts.visibility).

Django creates permissions for models only, so they are declared on a model without a
table: nothing is stored here.
"""

from django.db import models


class Scope(models.Model):
    """Holder of the scope permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = verbose_name_plural = "数据范围"
        permissions = [
            ("view_all_grids", "可查看全部网格"),
            ("view_all_households", "可查看全部户"),
            ("view_all_incidents", "可查看全部事件"),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
