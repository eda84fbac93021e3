from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "layers.facilities"
    label = "facilities"
    verbose_name = "设施与步行可达"

    def ready(self) -> None:
        from layers.facilities import signals

        signals.connect()
