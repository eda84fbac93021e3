from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SummariesConfig(AppConfig):
    name = "layers.summaries"
    label = "summaries"
    verbose_name = "辖区汇总与台账"

    def ready(self) -> None:
        from layers.accounts.roles import ensure_roles

        # The role groups take this app's permissions too: accounts' own post_migrate runs
        # before this app's permissions exist (it comes earlier in INSTALLED_APPS).
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="summaries.ensure_roles")
