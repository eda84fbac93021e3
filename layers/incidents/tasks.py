"""Background tasks of incidents (run by the worker; layers.jobs).

``incidents.notify_due_soon`` warns departments of cases about to run out of time. A
django-q2 Schedule (created after every migrate, :func:`ensure_schedule`) queues it every
GRIDMAP_DUE_SOON_EVERY_MIN minutes (default 15) through :func:`queue_due_soon`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from layers.jobs.tasks import job_task

SCHEDULE_NAME = "事件即将超时提醒"


@job_task("incidents.notify_due_soon")
def notify_due_soon(job, progress) -> dict:
    """Notify the departments of cases whose limit runs out soon (once per case and person)."""
    from layers.incidents.notifications import notify_due_soon as notify

    sent = notify()
    return {"sent": sent, "summary": f"已发送 {sent} 条即将超时提醒"}


def queue_due_soon() -> bool:
    """What the schedule calls: a job when a case is due and not yet warned of (one index
    probe otherwise: no job row every quarter hour for nothing), unless one is still waiting
    (submit's key). Returns whether one was queued."""
    from layers.incidents.notifications import anything_due
    from layers.jobs.services import submit

    if not anything_due():
        return False
    submit("incidents.notify_due_soon", key="due_soon", label=SCHEDULE_NAME)
    return True


def ensure_schedule(sender=None, **kwargs) -> None:
    """post_migrate: the schedule that queues the reminder job (idempotent)."""
    from django.db import connections
    from django_q.models import Schedule

    using = kwargs.get("using", "default")
    # A migrate to an older state (`migrate incidents 0003`) may not have created django-q's tables.
    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return
    minutes = int(getattr(settings, "GRIDMAP_DUE_SOON_EVERY_MIN", 15))
    defaults = {"func": "layers.incidents.tasks.queue_due_soon", "schedule_type": Schedule.MINUTES,
                "minutes": minutes, "repeats": -1}
    # The first run one period after creation (not at once, while a fresh installation migrates).
    Schedule.objects.using(using).update_or_create(name=SCHEDULE_NAME, defaults=defaults, create_defaults={
        **defaults, "next_run": timezone.now() + timedelta(minutes=minutes)})
