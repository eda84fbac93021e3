"""What a locked-out login attempt gets (django-axes, AXES_LOCKOUT_CALLABLE): a Chinese page
for the login forms, JSON for scripts. The lockout itself — 5 failures per username or per
address within the cool-off time — is axes' (settings: AXES_*); an administrator lifts it
in the admin (访问尝试: delete the rows) or with ``manage.py axes_reset_username NAME``."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

LOCKED_STATUS = 429


def cooloff_minutes() -> int:
    from axes.helpers import get_cool_off

    cool_off = get_cool_off()
    return int(cool_off.total_seconds() // 60) if cool_off else 0


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    minutes = cooloff_minutes()
    message = (f"登录失败次数过多，该账号或该地址已被暂时锁定，请 {minutes} 分钟后再试，或联系管理员解锁。"
               if minutes else "登录失败次数过多，该账号或该地址已被锁定，请联系管理员解锁。")
    wants_json = (request.headers.get("x-requested-with") == "XMLHttpRequest"
                  or "application/json" in request.headers.get("accept", "")
                  or request.path_info.startswith("/api/"))
    if wants_json:
        return JsonResponse({"detail": message, "failure_limit": settings.AXES_FAILURE_LIMIT,
                             "cooloff_minutes": minutes}, status=LOCKED_STATUS,
                            json_dumps_params={"ensure_ascii": False})
    return render(request, "registration/locked_out.html", {
        "message": message, "failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes,
    }, status=LOCKED_STATUS)
