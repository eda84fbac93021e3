from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "layers.patrols"
    label = "patrols"
    verbose_name = "巡防热点"
