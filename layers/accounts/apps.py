from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "layers.accounts"
    label = "accounts"
    verbose_name = "角色与权限"

    def ready(self) -> None:
        from layers.accounts.roles import ensure_roles

        # Groups and their permissions exist in every installation, demo or not. accounts
        # comes after the domain apps in INSTALLED_APPS, so their permissions exist by then.
        post_migrate.connect(ensure_roles, sender=self)
