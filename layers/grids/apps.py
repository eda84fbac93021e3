from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "layers.grids"
    label = "grids"
    verbose_name = "网格"
