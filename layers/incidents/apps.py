from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "layers.incidents"
    label = "incidents"
    verbose_name = "事件"

    def ready(self) -> None:
        from layers.incidents import signals  # noqa: F401 - connects the photo file clean-up
