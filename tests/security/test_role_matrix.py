"""Role × page matrix: every URL of layers/pages/urls.py and layers/api/urls.py, asked by
an anonymous visitor, a grid worker, a planner, a patrol, a non-superuser of the 管理员
group and a superuser, answers exactly the status in MATRIX. A URL added later without a
row here fails test_every_page_and_api_url_has_a_row.

"login" means a redirect to the login page; 401 is the API's answer to anonymous callers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLPattern, URLResolver

from layers.accounts.roles import ADMIN
from layers.facilities.models import Facility, FacilityType
from tests.factories import category, point
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "worker", "planner", "patrol", "admin_group", "superuser")
LOGIN = "login"


@dataclass(frozen=True)
class Row:
    method: str
    url: Callable[[SimpleNamespace], str]
    expected: tuple  # one answer per role, in ROLES order
    data: dict | None = None


WEST_POINT = {"lon": 104.064, "lat": 30.652}
REPORT = {"description": "矩阵上报", "address": "西路", **WEST_POINT}
API_REPORT = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.064, 30.652]},
              "properties": {"description": "矩阵上报"}}

#                  anonymous worker planner patrol admin_group superuser
EVERYONE = (LOGIN, 200, 200, 200, 200, 200)
WORKER_PAGE = (LOGIN, 200, 403, 403, 200, 200)
PLANNER_PAGE = (LOGIN, 403, 200, 403, 200, 200)
PATROL_PAGE = (LOGIN, 403, 403, 200, 200, 200)
API_EVERYONE = (401, 200, 200, 200, 200, 200)
API_WORKER = (401, 200, 403, 403, 200, 200)
API_PLANNER = (401, 403, 200, 403, 200, 200)
API_PATROL = (401, 403, 403, 200, 200, 200)
API_INCIDENTS = (401, 200, 403, 200, 200, 200)  # patrols read incidents, planners do not

MATRIX: dict[tuple[str, str], Row] = {
    # layers/pages/urls.py
    ("home", "GET"): Row("GET", lambda w: "/", EVERYONE),
    ("overview_map", "GET"): Row("GET", lambda w: "/maps/overview.html", EVERYONE),
    ("streets_geojson", "GET"): Row("GET", lambda w: "/maps/streets.geojson", EVERYONE),
    ("my_grids", "GET"): Row("GET", lambda w: "/my/", WORKER_PAGE),
    ("my_map", "GET"): Row("GET", lambda w: "/my/map.html", WORKER_PAGE),
    ("household", "GET"): Row("GET", lambda w: f"/households/{w.hw.id}/", WORKER_PAGE),
    # Full ID numbers and phones: grid workers and superusers, not the 管理员 group.
    ("household_reveal", "POST"): Row("POST", lambda w: f"/households/{w.hw.id}/reveal/",
                                      (LOGIN, 200, 403, 403, 403, 200)),
    ("household_visit", "POST"): Row("POST", lambda w: f"/households/{w.hw.id}/visits/",
                                     (LOGIN, 302, 403, 403, 302, 302),
                                     {"kind": "routine", "visited_at": "2026-11-01T10:00", "note": "矩阵"}),
    ("report_incident", "GET"): Row("GET", lambda w: "/incidents/new/", WORKER_PAGE),
    ("report_incident", "POST"): Row("POST", lambda w: "/incidents/new/", (LOGIN, 302, 403, 403, 302, 302),
                                     REPORT),
    ("incident", "GET"): Row("GET", lambda w: f"/incidents/{w.iw.id}/", (LOGIN, 200, 403, 200, 200, 200)),
    ("grid_at", "GET"): Row("GET", lambda w: "/grid-at/?lon=104.064&lat=30.652", WORKER_PAGE),
    ("planner", "GET"): Row("GET", lambda w: "/planner/?type=kindergarten", PLANNER_PAGE),
    ("planner_map", "GET"): Row("GET", lambda w: "/planner/map.html?type=kindergarten", PLANNER_PAGE),
    # GET only redirects back to the page; POST runs the siting model.
    ("planner_suggest", "GET"): Row("GET", lambda w: "/planner/suggest/?type=kindergarten",
                                    (LOGIN, 403, 302, 403, 302, 302)),
    ("patrol", "GET"): Row("GET", lambda w: "/patrol/?days=7", PATROL_PAGE),
    ("patrol_map", "GET"): Row("GET", lambda w: "/patrol/map.html?days=7", PATROL_PAGE),
    # 数据导入导出: administrators; an empty form is a 400 once past the permission check.
    ("data", "GET"): Row("GET", lambda w: "/data/", (LOGIN, 403, 403, 403, 200, 200)),
    ("data_import", "POST"): Row("POST", lambda w: "/data/import/", (LOGIN, 403, 403, 403, 400, 400)),
    ("data_export", "POST"): Row("POST", lambda w: "/data/export/", (LOGIN, 403, 403, 403, 400, 400)),
    # 辖区汇总 and 台账: leaders and administrators everywhere, a grid worker on their own grids only.
    ("summary", "GET"): Row("GET", lambda w: "/summary/", WORKER_PAGE),
    ("summary_unit", "GET"): Row("GET", lambda w: "/summary/street/510104001/", (LOGIN, 404, 403, 403, 200, 200)),
    ("summary_ledger_all", "GET"): Row("GET", lambda w: "/summary/ledger/", WORKER_PAGE),
    # The Excel ledger: a POST queues it (back to the ledger page), a GET is refused.
    ("summary_ledger_export_all", "POST"): Row("POST", lambda w: "/summary/ledger.xlsx",
                                               (LOGIN, 302, 403, 403, 302, 302), {"period": "2026-10"}),
    ("summary_ledger", "GET"): Row("GET", lambda w: f"/summary/grid/{w.west.code}/ledger/", WORKER_PAGE),
    ("summary_ledger_export", "POST"): Row("POST", lambda w: f"/summary/grid/{w.west.code}/ledger.xlsx",
                                           (LOGIN, 302, 403, 403, 302, 302), {"period": "2026-10"}),
    # layers/api/urls.py
    ("api-schema", "GET"): Row("GET", lambda w: "/api/schema/?format=json", API_EVERYONE),
    ("api-circles", "GET"): Row("GET", lambda w: "/api/circles/?type=kindergarten", API_PLANNER),
    ("api-coverage", "GET"): Row("GET", lambda w: "/api/coverage/?type=kindergarten", API_PLANNER),
    ("api-hotspots", "GET"): Row("GET", lambda w: "/api/hotspots/?days=7", API_PATROL),
    ("api-summary", "GET"): Row("GET", lambda w: "/api/summary/?level=grid", API_WORKER),
    ("api-root", "GET"): Row("GET", lambda w: "/api/", API_EVERYONE),
    ("community-list", "GET"): Row("GET", lambda w: "/api/communities/", API_EVERYONE),
    ("community-detail", "GET"): Row("GET", lambda w: f"/api/communities/{w.community.id}/", API_EVERYONE),
    ("grid-list", "GET"): Row("GET", lambda w: "/api/grids/", API_EVERYONE),
    ("grid-detail", "GET"): Row("GET", lambda w: f"/api/grids/{w.west.id}/", API_EVERYONE),
    ("facility-list", "GET"): Row("GET", lambda w: "/api/facilities/", API_EVERYONE),
    ("facility-detail", "GET"): Row("GET", lambda w: f"/api/facilities/{w.facility.id}/", API_EVERYONE),
    ("household-list", "GET"): Row("GET", lambda w: "/api/households/", API_WORKER),
    ("household-detail", "GET"): Row("GET", lambda w: f"/api/households/{w.hw.id}/", API_WORKER),
    ("incident-list", "GET"): Row("GET", lambda w: "/api/incidents/", API_INCIDENTS),
    ("incident-list", "POST"): Row("POST", lambda w: "/api/incidents/", (401, 201, 403, 403, 201, 201),
                                   API_REPORT),
    ("incident-detail", "GET"): Row("GET", lambda w: f"/api/incidents/{w.iw.id}/", API_INCIDENTS),
    ("incident-history", "GET"): Row("GET", lambda w: f"/api/incidents/{w.iw.id}/history/", API_INCIDENTS),
    # An unknown status: past the permission check the answer is 400 whatever the lifecycle rules.
    ("incident-transition", "POST"): Row("POST", lambda w: f"/api/incidents/{w.iw.id}/transition/",
                                         (401, 400, 403, 403, 400, 400), {"to_status": "no-such-status"}),
    # Outside the two url files, for the record: the login page and the admin site.
    ("login", "GET"): Row("GET", lambda w: "/accounts/login/", (200, 200, 200, 200, 200, 200)),
    ("admin:index", "GET"): Row("GET", lambda w: "/admin/", ("admin-login", "admin-login", "admin-login",
                                                            "admin-login", 200, 200)),
}


def _names(patterns, prefix: str = "") -> set[str]:
    names = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            names |= _names(p.url_patterns, f"{p.namespace}:" if p.namespace else prefix)
        elif isinstance(p, URLPattern):
            assert p.name, f"unnamed URL pattern {p.pattern}: give it a name and a row in MATRIX"
            names.add(prefix + p.name)
    return names


def _clients(w) -> dict[str, Client]:
    admin_user = User.objects.create_user("guanli_group")
    admin_user.groups.add(Group.objects.get(name=ADMIN))  # joining the group makes the user staff
    admin_user.refresh_from_db()
    return {"anonymous": Client(), "worker": client_for(w.worker_w), "planner": client_for(w.planner),
            "patrol": client_for(w.patrol), "admin_group": client_for(admin_user), "superuser": client_for(w.admin)}


def _answer(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        return LOGIN
    if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
        return "admin-login"
    return response.status_code


def ask(row: Row, w, clients: dict[str, Client]) -> list[tuple[str, object, object]]:
    """[(role, expected, got)] for the answers that differ from the row."""
    wrong = []
    for role, expected in zip(ROLES, row.expected, strict=True):
        c, url = clients[role], row.url(w)
        if row.method == "GET":
            response = c.get(url)
        elif url.startswith("/api/"):
            data = json.loads(json.dumps(row.data or {}))
            if "properties" in data:
                data["properties"]["category"] = category("street_order").id
            response = c.post(url, json.dumps(data), content_type="application/json")
        else:
            data = dict(row.data or {})
            if "description" in data and "lon" in data:
                data["category"] = category("street_order").id
            response = c.post(url, data)
        got = _answer(response)
        if got != expected:
            wrong.append((role, expected, got))
    return wrong


def test_every_page_and_api_url_has_a_row():
    from layers.api.urls import urlpatterns as api
    from layers.pages.urls import urlpatterns as pages

    names = _names(pages) | _names(api)
    covered = {name for name, _ in MATRIX}
    assert names - covered == set(), "URLs without a row in the role matrix"


@pytest.mark.parametrize("key", list(MATRIX), ids=[f"{n}-{m}" for n, m in MATRIX])
def test_each_role_gets_exactly_its_pages(world, key):
    world.facility = Facility.objects.create(type=FacilityType.objects.get(code="kindergarten"), name="测试幼儿园",
                                             geom=point(104.064, 30.654), source="manual")
    wrong = ask(MATRIX[key], world, _clients(world))
    assert wrong == [], f"{key}: (role, expected, got) {wrong}"
