"""Chinese error pages with the site header, the favicon, logout, hashed static files."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return response.content.decode()


def test_unknown_address_gives_the_chinese_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = _page(response)
    assert "页面不存在" in html and "gridmap 网格化管理" in html and 'lang="zh-Hans"' in html


def test_bad_host_gives_the_chinese_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求有误" in _page(response)


@pytest.mark.parametrize(("view", "exception", "status", "text"), [
    (defaults.bad_request, SuspiciousOperation(), 400, "请求有误"),
    (defaults.permission_denied, PermissionDenied(), 403, "无权访问"),
    (defaults.page_not_found, Http404(), 404, "页面不存在"),
])
def test_error_views_render_the_chinese_templates(view, exception, status, text):
    request = RequestFactory().get("/x/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = view(request, exception)
    assert response.status_code == status
    assert text in _page(response) and "gridmap 网格化管理" in _page(response)


def test_500_page_renders_without_a_request_context():
    response = defaults.server_error(RequestFactory().get("/x/"))
    assert response.status_code == 500
    html = _page(response)
    assert "服务器内部错误" in html and "gridmap 网格化管理" in html


def test_a_page_without_permission_gives_the_chinese_403(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    response = client.get("/planner/")
    assert response.status_code == 403
    assert "无权访问" in _page(response) and "gridmap 网格化管理" in _page(response)


def test_a_failed_csrf_check_gives_the_chinese_page():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x"})
    assert response.status_code == 403
    assert "页面已过期" in _page(response)


def test_logout_is_a_post_form_and_lands_on_the_login_page(client, django_user_model):
    user = django_user_model.objects.create_user("leaver", password="x")
    client.force_login(user)
    home = _page(client.get("/"))
    assert 'method="post" action="/accounts/logout/"' in home
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_favicon_is_linked_and_served(client):
    html = _page(client.get("/accounts/login/"))
    assert 'rel="icon" href="/static/gridmap/favicon.' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].startswith("/static/gridmap/favicon.") and response["Location"].endswith(".svg")


def test_static_urls_are_hashed_and_folium_names_still_resolve():
    from django.contrib.staticfiles.storage import staticfiles_storage

    from layers.maps.base import LOCAL_ASSETS

    assert staticfiles_storage.url("gridmap/gridmap.css") != "/static/gridmap/gridmap.css"
    for path in filter(None, LOCAL_ASSETS.values()):
        # The plain names folium's HTML uses are collected next to the hashed ones.
        assert staticfiles_storage.exists(path), path
        assert staticfiles_storage.stored_name(path) != path
