from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "layers.people"
    label = "people"
    verbose_name = "人口与走访"
