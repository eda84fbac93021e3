from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "layers.jobs"
    label = "jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        # Every app's tasks.py registers its job functions (layers.jobs.tasks.job_task), in
        # the web process and in the worker alike.
        autodiscover_modules("tasks")
        from django_q.signals import post_spawn

        post_spawn.connect(_warm_worker, dispatch_uid="gridmap-warm-worker")


def _warm_worker(sender, **kwargs) -> None:
    """Each background worker process is warmed as a web worker is (gridmap.warm)."""
    from gridmap.warm import warm_process

    warm_process()
