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
