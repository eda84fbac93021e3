from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "layers.pages"
    label = "pages"
    verbose_name = "页面"
