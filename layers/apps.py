from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "空间图层"

    def ready(self) -> None:
        from layers import signals

        signals.connect()
