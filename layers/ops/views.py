"""/health/ for monitoring (no login; says whether things work, shows no data) and /favicon.ico."""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

# The model whose computed_at says when walking times were last refreshed. Looked up by name
# (its app may move), see walking_refresh().
ACCESS_MODEL = "HouseholdAccess"


def database_reachable() -> bool:
    try:
        connection.ensure_connection()
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not reachable"; logged, not shown
        log.exception("health: database unreachable")
        return False
    return True


def unapplied_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def queue_status() -> tuple[str, int]:
    """('ok', 0), or ('stuck', N) when N jobs have waited longer than 10 minutes: nobody
    works the queue (``python manage.py qcluster`` is not running)."""
    from layers.jobs.services import stuck_jobs

    stuck = stuck_jobs(older_than_s=600)
    return ("stuck" if stuck else "ok"), stuck


def _access_model():
    for model in apps.get_models():
        if model.__name__ == ACCESS_MODEL:
            return model
    return None


def walking_refresh() -> str | None:
    """ISO time of the newest walking-time row, or None when there is none."""
    model = _access_model()
    if model is None:
        return None
    latest = model.objects.aggregate(latest=Max("computed_at"))["latest"]
    return latest.isoformat() if latest else None


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    reasons: list[str] = []
    body: dict = {"database": "ok", "migrations": None, "queue": None, "walking_times_refreshed": None}
    if not database_reachable():
        body["database"] = "unreachable"
        reasons.append("数据库无法连接 (database unreachable)")
    else:
        try:
            pending = unapplied_migrations()
            body["migrations"] = "ok" if pending == 0 else f"{pending} unapplied"
            if pending:
                reasons.append(f"有 {pending} 个数据库迁移未执行 (run manage.py migrate)")
        except DatabaseError:
            log.exception("health: migrations check failed")
            body["migrations"] = "error"
            reasons.append("无法检查数据库迁移 (migration check failed)")
        try:
            body["queue"], stuck = queue_status()
            if stuck:
                reasons.append(f"{stuck} 个后台任务等待超过 10 分钟，后台任务进程未运行？(queue worker not running)")
        except DatabaseError:
            log.exception("health: queue check failed")
            body["queue"] = "error"
            reasons.append("无法读取后台任务表 (job table unreadable)")
        try:
            body["walking_times_refreshed"] = walking_refresh()
        except DatabaseError:
            log.exception("health: walking-time check failed")
            reasons.append("无法读取步行时间表 (walking-time table unreadable)")
    body["status"] = "ok" if not reasons else "error"
    if reasons:
        body["reasons"] = reasons
    return JsonResponse(body, status=200 if not reasons else 503, json_dumps_params={"ensure_ascii": False})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links; the SVG in static/ answers."""
    return HttpResponseRedirect(static("gridmap/favicon.svg"))
