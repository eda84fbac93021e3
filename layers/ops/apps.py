from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running gridmap: health endpoint, backups, error pages' helpers."""

    name = "layers.ops"
    label = "ops"
    verbose_name = "运维"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Sent once per app with models (this one has none); clearing an emptied cache is cheap.
        post_migrate.connect(clear_cache_after_migrate, dispatch_uid="ops.clear_cache_after_migrate")


def clear_cache_after_migrate(sender=None, **kwargs) -> None:
    """After every migrate, the shared cache starts empty: cached analyses are keyed by
    data-version sequences, which a new or re-created database starts again from 1 (their old
    keys would then name other data), and a new schema may read differently anyway."""
    from django.core.cache import cache

    cache.clear()
