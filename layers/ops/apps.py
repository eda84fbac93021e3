from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running gridmap: health endpoint, backups, error pages' helpers."""

    name = "layers.ops"
    label = "ops"
    verbose_name = "运维"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        # post_migrate is sent once per app with models, after every migrate (whatever its
        # target); this app has none, so listen to one that is always there: cleared once.
        post_migrate.connect(clear_cache_after_migrate, sender=apps.get_app_config("contenttypes"),
                             dispatch_uid="ops.clear_cache_after_migrate")


def clear_cache_after_migrate(sender=None, **kwargs) -> None:
    """After every migrate, the shared cache starts empty: cached analyses are keyed by
    data-version sequences, which a new or re-created database starts again from 1 (their old
    keys would then name other data), and a new schema may read differently anyway."""
    from django.core.cache import cache

    cache.clear()
