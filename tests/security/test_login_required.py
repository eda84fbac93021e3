"""Anonymous visitors: only the login pages (and static files, the health check) answer;
a page or API view added later without any check is protected all the same."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_household, point, two_grids

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_gets_no_household_counts_from_the_home_map():
    two_grids()
    make_household(point(104.065, 30.655))
    c = Client()
    for url in ("/", "/maps/overview.html", "/maps/streets.geojson"):
        response = c.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url
        assert "户数" not in response.content.decode()


def test_anonymous_visitor_gets_no_openapi_schema():
    response = Client().get("/api/schema/")
    assert response.status_code == 401 and "paths" not in response.content.decode()
    assert response["WWW-Authenticate"] and response.json()["login"] == "/accounts/login/"


@pytest.mark.urls("tests.security.urls_unprotected")
def test_a_page_added_without_any_check_still_needs_a_login():
    c = Client()
    page = c.get("/forgotten/")
    assert page.status_code == 302 and page["Location"] == "/accounts/login/?next=/forgotten/"
    api = c.get("/api/forgotten/")  # AllowAny on the view does not open the API
    assert api.status_code == 401 and "1234" not in api.content.decode()
    assert c.get("/health/").status_code == 200  # the health check stays public


def test_login_pages_and_static_files_stay_public():
    c = Client()
    assert c.get("/accounts/login/").status_code == 200
    assert c.get("/admin/login/").status_code == 200
    assert c.get("/static/vendor/leaflet/leaflet.js").status_code == 200
