from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running gridmap: health endpoint, backups, error pages' helpers."""

    name = "layers.ops"
    label = "ops"
    verbose_name = "运维"
    default_auto_field = "django.db.models.BigAutoField"
