from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "layers.grids"
    label = "grids"
    verbose_name = "网格"

    def ready(self) -> None:
        from layers.grids import checks  # noqa: F401  (registers the system check)
