from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FieldworkConfig(AppConfig):
    name = "fieldwork"
    verbose_name = "网格工作"

    def ready(self) -> None:
        from fieldwork.roles import ensure_roles

        # Groups and their permissions exist in every installation, demo or not.
        post_migrate.connect(ensure_roles, sender=self)
