"""The permissions that lift the grid scope (layers.accounts.visibility) and open the planner's
and the patrol's pages.

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
            # Which role pages a user opens (layers.accounts.roles.PAGE_PERMISSIONS).
            ("use_planner", "可使用设施覆盖（规划人员页面与覆盖率接口）"),
            ("use_patrol", "可使用巡防热点（巡防页面与热点接口）"),
            ("use_data_transfer", "可使用数据导入导出（网页上传导入与导出下载）"),
            # Who takes which step of a case (layers.incidents.lifecycle, GB/T 30428 roles).
            ("command_incidents", "可受理、立案和派遣事件（指挥中心）"),
            ("handle_incidents", "可处置本部门的事件（处置部门）"),
            ("move_any_incident", "可办理事件的任何环节（管理员）"),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
