"""Background work: jobs queued in PostgreSQL (django-q2's ORM broker), with progress and
results.

Heavy work — recomputing walking times and circles, the siting model, large imports and
exports — runs in the worker (``python manage.py qcluster``), never inside a web request. A domain app declares its tasks in its ``tasks.py`` with :func:`layers.jobs.tasks.job_task`
and queues them with :func:`layers.jobs.services.submit`.
"""
