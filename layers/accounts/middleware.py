"""Login required everywhere, by default: a page added later is protected without anyone
remembering a decorator. Public are only the views marked ``@login_not_required`` (the
login pages, Django's and the admin's) and the paths in ``GRIDMAP_PUBLIC_PATHS`` (static
files, the health check). Under /api/ every view needs a login whatever it says itself,
and the answer is 401 with JSON instead of a redirect to the login page, so that a script
gets an error it can read."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url

API_PREFIX = "/api/"


def public_paths() -> tuple[str, ...]:
    return tuple(getattr(settings, "GRIDMAP_PUBLIC_PATHS", ()))


class LoginRequired(LoginRequiredMiddleware):
    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if request.path_info.startswith(public_paths()):
            return None
        if request.path_info.startswith(API_PREFIX) and not request.user.is_authenticated:
            # DRF marks its views login_not_required and leaves the check to each view's
            # permission classes; one view with AllowAny (drf-spectacular's schema view has
            # it by default) would then be public. No API endpoint is public here.
            return self.handle_no_permission(request, view_func)
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request: HttpRequest, view_func) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            response = JsonResponse({"detail": "请先登录 (authentication required)", "login": resolve_url(settings.LOGIN_URL)},
                                    status=401, json_dumps_params={"ensure_ascii": False})
            response["WWW-Authenticate"] = 'Session realm="gridmap"'
            return response
        return super().handle_no_permission(request, view_func)
