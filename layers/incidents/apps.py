from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IncidentsConfig(AppConfig):
    name = "layers.incidents"
    label = "incidents"
    verbose_name = "事件"

    def ready(self) -> None:
        from layers.incidents import signals  # noqa: F401 - connects the photo file clean-up
        from layers.incidents.tasks import ensure_schedule

        # The reminder schedule exists in every installation (django_q's tables are migrated by then).
        post_migrate.connect(ensure_schedule, sender=self, dispatch_uid="incidents.ensure_schedule")
