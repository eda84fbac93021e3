"""What a locked-out login attempt gets (django-axes, AXES_LOCKOUT_CALLABLE): a Chinese page
for the login forms, JSON for scripts. The lockout itself — 5 failures per username or per
address within the cool-off time — is axes' (settings: AXES_*); an administrator lifts it
in the admin (登录安全 › 登录尝试: delete the rows) or with ``manage.py axes_reset_username NAME``."""

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


AXES_NAMES = {  # model: (verbose_name, verbose_name_plural); axes ships no Chinese translation
    "AccessAttempt": ("登录尝试", "登录尝试（锁定计数）"),
    "AccessFailureLog": ("登录失败记录", "登录失败记录"),
    "AccessLog": ("登录记录", "登录记录"),
}
AXES_FIELD_NAMES = {
    "attempt_time": "时间", "logout_time": "退出时间", "ip_address": "IP 地址", "username": "用户名",
    "user_agent": "浏览器", "path_info": "路径", "failures_since_start": "失败次数", "locked_out": "已锁定",
    "http_accept": "HTTP Accept", "get_data": "GET 数据", "post_data": "POST 数据（密码已隐去）",
}


def name_axes_in_chinese(app_config) -> None:
    """Chinese names for django-axes' models in the admin (called from AccountsConfig.ready)."""
    app_config.verbose_name = "登录安全"
    for model in app_config.get_models():
        if names := AXES_NAMES.get(model.__name__):
            model._meta.verbose_name, model._meta.verbose_name_plural = names
        for field in model._meta.fields:
            if label := AXES_FIELD_NAMES.get(field.name):
                field.verbose_name = label
