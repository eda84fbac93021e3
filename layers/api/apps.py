from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "layers.api"
    label = "api"
    verbose_name = "接口"
