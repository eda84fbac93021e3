from django.apps import AppConfig


class MapsConfig(AppConfig):
    name = "layers.maps"
    label = "maps"
    verbose_name = "地图"
