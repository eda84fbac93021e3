from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "layers.accounts"
    label = "accounts"
    verbose_name = "角色与权限"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed

        from layers.accounts.roles import ensure_roles, staff_for_admin_group

        # Groups and their permissions exist in every installation, demo or not. accounts
        # comes after the domain apps in INSTALLED_APPS, so their permissions exist by then.
        post_migrate.connect(ensure_roles, sender=self)
        m2m_changed.connect(staff_for_admin_group, sender=get_user_model().groups.through,
                            dispatch_uid="accounts.staff_for_admin_group")
        from layers.accounts.backends import connect_signals

        connect_signals()
        from django.apps import apps

        if apps.is_installed("axes"):
            from layers.accounts.lockout import name_axes_in_chinese

            name_axes_in_chinese(apps.get_app_config("axes"))
