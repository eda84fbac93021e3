"""Role × page matrix: every URL of layers/pages/urls.py and layers/api/urls.py, asked by
an anonymous visitor, a grid worker, a planner, a patrol, a non-superuser of the 管理员
group, a superuser, the command centre (指挥中心) and a department user (处置部门) whose
department was sent nothing, answers exactly the status in MATRIX. A URL added later without a
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
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver

from layers.accounts.roles import ADMIN
from layers.facilities.models import Facility, FacilityType
from tests.factories import category, point
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "worker", "planner", "patrol", "admin_group", "superuser", "command", "department")
LOGIN = "login"


@dataclass(frozen=True)
class Row:
    method: str
    url: Callable[[SimpleNamespace], str]
    expected: tuple  # one answer per role, in ROLES order
    data: dict | None = None


WEST_POINT = {"lon": 104.064, "lat": 30.652}
# force_new: each role reports at the same point; past the first, the others would be shown
# the first as a possible duplicate (tests/incidents/test_duplicates.py) instead of saving.
REPORT = {"description": "矩阵上报", "address": "西路", "force_new": "1", **WEST_POINT}
API_REPORT = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.064, 30.652]},
              "properties": {"description": "矩阵上报", "force_new": True}}

#                  anonymous worker planner patrol admin_group superuser command department
EVERYONE = (LOGIN, 200, 200, 200, 200, 200, 200, 200)
WORKER_PAGE = (LOGIN, 200, 403, 403, 200, 200, 403, 403)
PLANNER_PAGE = (LOGIN, 403, 200, 403, 200, 200, 403, 403)
PATROL_PAGE = (LOGIN, 403, 403, 200, 200, 200, 403, 403)
API_EVERYONE = (401, 200, 200, 200, 200, 200, 200, 200)
API_WORKER = (401, 200, 403, 403, 200, 200, 403, 403)
API_PLANNER = (401, 403, 200, 403, 200, 200, 403, 403)
API_PATROL = (401, 403, 403, 200, 200, 200, 403, 403)
# Departments see cases only (no grids, communities or facilities); the command centre reads
# grids and communities (where cases are), not facilities.
API_AREAS = (401, 200, 200, 200, 200, 200, 200, 403)
API_FACILITIES = (401, 200, 200, 200, 200, 200, 403, 403)
API_INCIDENTS = (401, 200, 403, 200, 200, 200, 200, 200)  # patrols read incidents, planners do not

MATRIX: dict[tuple[str, str], Row] = {
    # layers/pages/urls.py
    ("home", "GET"): Row("GET", lambda w: "/", EVERYONE),
    ("overview_map", "GET"): Row("GET", lambda w: "/maps/overview.html", EVERYONE),
    ("streets_geojson", "GET"): Row("GET", lambda w: "/maps/streets.geojson", EVERYONE),
    ("my_grids", "GET"): Row("GET", lambda w: "/my/", WORKER_PAGE),
    ("my_map", "GET"): Row("GET", lambda w: "/my/map.html", WORKER_PAGE),
    ("household", "GET"): Row("GET", lambda w: f"/households/{w.hw.id}/", WORKER_PAGE),
    ("my_today", "GET"): Row("GET", lambda w: "/my/today/?lat=30.652&lon=104.064", WORKER_PAGE),
    ("household_search", "GET"): Row("GET", lambda w: "/my/households/?q=西路&priority=1", WORKER_PAGE),
    ("my_me", "GET"): Row("GET", lambda w: "/my/me/", EVERYONE),
    # Full ID numbers and phones: grid workers and superusers, not the 管理员 group.
    ("household_reveal", "POST"): Row("POST", lambda w: f"/households/{w.hw.id}/reveal/",
                                      (LOGIN, 200, 403, 403, 403, 200, 403, 403)),
    ("household_visit", "POST"): Row("POST", lambda w: f"/households/{w.hw.id}/visits/",
                                     (LOGIN, 302, 403, 403, 302, 302, 403, 403),
                                     {"kind": "routine", "visited_at": "2026-11-01T10:00", "note": "矩阵"}),
    ("report_incident", "GET"): Row("GET", lambda w: "/incidents/new/", WORKER_PAGE),
    ("report_incident", "POST"): Row("POST", lambda w: "/incidents/new/", (LOGIN, 302, 403, 403, 302, 302, 403, 403),
                                     REPORT),
    ("incident", "GET"): Row("GET", lambda w: f"/incidents/{w.iw.id}/", (LOGIN, 200, 403, 200, 200, 200, 200, 404)),
    ("grid_at", "GET"): Row("GET", lambda w: "/grid-at/?lon=104.064&lat=30.652", WORKER_PAGE),
    # 处置部门 / 指挥中心: the case list; a step from the case page (an empty form: back to the
    # case with a message once past the rights; 404 where the case is out of sight).
    ("department", "GET"): Row("GET", lambda w: "/dept/", (LOGIN, 403, 403, 403, 200, 200, 200, 200)),
    ("incident_step", "POST"): Row("POST", lambda w: f"/incidents/{w.iw.id}/step/",
                                   (LOGIN, 302, 404, 403, 302, 302, 302, 404)),
    ("notifications", "GET"): Row("GET", lambda w: "/notifications/", (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("incidents", "GET"): Row("GET", lambda w: "/incidents/", (LOGIN, 200, 403, 200, 200, 200, 200, 200)),
    ("incident_map", "GET"): Row("GET", lambda w: f"/incidents/{w.iw.id}/map.html", (LOGIN, 200, 403, 200, 200, 200, 200, 404)),
    # 催办: grid workers (and the reporter); patrols read incidents but do not urge.
    ("incident_urge", "POST"): Row("POST", lambda w: f"/incidents/{w.iw.id}/urge/", (LOGIN, 302, 403, 403, 302, 302, 403, 404),
                                   {"kind": "催办"}),
    # Merging duplicates: the command centre / administrators; past the permission check the
    # case to merge into (none with id 0) answers 404.
    ("incident_merge", "POST"): Row("POST", lambda w: f"/incidents/{w.iw.id}/merge/",
                                    (LOGIN, 403, 403, 403, 404, 404, 404, 403), {"into": "0"}),
    ("incident_duplicates", "GET"): Row("GET", lambda w: "/incidents/duplicates/?lon=104.066&lat=30.656&category="
                                        f"{category('dispute').id}", WORKER_PAGE),
    # Photos: whoever sees the incident (the photo is made on first use, see _photo_url).
    ("incident_photo", "GET"): Row("GET", lambda w: _photo_url(w), (LOGIN, 200, 403, 200, 200, 200, 200, 404)),
    ("incident_photo_thumb", "GET"): Row("GET", lambda w: _photo_url(w) + "thumb/",
                                         (LOGIN, 200, 403, 200, 200, 200, 200, 404)),
    # The service worker: every logged-in user (it holds no data, only the shell's addresses).
    ("service_worker", "GET"): Row("GET", lambda w: "/sw.js", EVERYONE),
    ("planner", "GET"): Row("GET", lambda w: "/planner/?type=kindergarten", PLANNER_PAGE),
    ("planner_map", "GET"): Row("GET", lambda w: "/planner/map.html?type=kindergarten", PLANNER_PAGE),
    # GET only redirects back to the page; POST runs the siting model.
    ("planner_suggest", "GET"): Row("GET", lambda w: "/planner/suggest/?type=kindergarten",
                                    (LOGIN, 403, 302, 403, 302, 302, 403, 403)),
    # GET only redirects back to the page; POST queues the Excel / PDF export.
    ("planner_export", "GET"): Row("GET", lambda w: "/planner/export/?type=kindergarten",
                                   (LOGIN, 403, 302, 403, 302, 302, 403, 403)),
    ("planner_scenarios", "GET"): Row("GET", lambda w: "/planner/scenarios/?type=kindergarten", PLANNER_PAGE),
    ("patrol", "GET"): Row("GET", lambda w: "/patrol/?days=7", PATROL_PAGE),
    ("patrol_map", "GET"): Row("GET", lambda w: "/patrol/map.html?days=7", PATROL_PAGE),
    ("patrol_card", "GET"): Row("GET", lambda w: "/patrol/card/?days=7", PATROL_PAGE),
    # 数据导入导出: administrators; an empty form is a 400 once past the permission check.
    ("data", "GET"): Row("GET", lambda w: "/data/", (LOGIN, 403, 403, 403, 200, 200, 403, 403)),
    ("data_import", "POST"): Row("POST", lambda w: "/data/import/", (LOGIN, 403, 403, 403, 400, 400, 403, 403)),
    ("data_export", "POST"): Row("POST", lambda w: "/data/export/", (LOGIN, 403, 403, 403, 400, 400, 403, 403)),
    # 辖区汇总 and 台账: leaders and administrators everywhere, a grid worker on their own grids only.
    ("summary", "GET"): Row("GET", lambda w: "/summary/", WORKER_PAGE),
    ("summary_unit", "GET"): Row("GET", lambda w: "/summary/street/510104001/", (LOGIN, 404, 403, 403, 200, 200, 403, 403)),
    ("summary_ledger_all", "GET"): Row("GET", lambda w: "/summary/ledger/", WORKER_PAGE),
    # The Excel ledger: a POST queues it (back to the ledger page), a GET is refused.
    ("summary_ledger_export_all", "POST"): Row("POST", lambda w: "/summary/ledger.xlsx",
                                               (LOGIN, 302, 403, 403, 302, 302, 403, 403), {"period": "2026-10"}),
    ("summary_ledger", "GET"): Row("GET", lambda w: f"/summary/grid/{w.west.code}/ledger/", WORKER_PAGE),
    ("summary_ledger_export", "POST"): Row("POST", lambda w: f"/summary/grid/{w.west.code}/ledger.xlsx",
                                           (LOGIN, 302, 403, 403, 302, 302, 403, 403), {"period": "2026-10"}),
    # layers/api/urls.py
    ("api-schema", "GET"): Row("GET", lambda w: "/api/schema/?format=json", API_EVERYONE),
    ("api-circles", "GET"): Row("GET", lambda w: "/api/circles/?type=kindergarten", API_PLANNER),
    ("api-coverage", "GET"): Row("GET", lambda w: "/api/coverage/?type=kindergarten", API_PLANNER),
    ("api-hotspots", "GET"): Row("GET", lambda w: "/api/hotspots/?days=7", API_PATROL),
    ("api-summary", "GET"): Row("GET", lambda w: "/api/summary/?level=grid", API_WORKER),
    ("api-root", "GET"): Row("GET", lambda w: "/api/", API_EVERYONE),
    ("community-list", "GET"): Row("GET", lambda w: "/api/communities/", API_AREAS),
    ("community-detail", "GET"): Row("GET", lambda w: f"/api/communities/{w.community.id}/", API_AREAS),
    ("grid-list", "GET"): Row("GET", lambda w: "/api/grids/", API_AREAS),
    ("grid-detail", "GET"): Row("GET", lambda w: f"/api/grids/{w.west.id}/", API_AREAS),
    ("facility-list", "GET"): Row("GET", lambda w: "/api/facilities/", API_FACILITIES),
    ("facility-detail", "GET"): Row("GET", lambda w: f"/api/facilities/{w.facility.id}/", API_FACILITIES),
    ("household-list", "GET"): Row("GET", lambda w: "/api/households/", API_WORKER),
    ("household-detail", "GET"): Row("GET", lambda w: f"/api/households/{w.hw.id}/", API_WORKER),
    ("incident-list", "GET"): Row("GET", lambda w: "/api/incidents/", API_INCIDENTS),
    ("incident-list", "POST"): Row("POST", lambda w: "/api/incidents/", (401, 201, 403, 403, 201, 201, 403, 403),
                                   API_REPORT),
    # the department was sent nothing: the case is out of its sight
    ("incident-detail", "GET"): Row("GET", lambda w: f"/api/incidents/{w.iw.id}/",
                                    (401, 200, 403, 200, 200, 200, 200, 404)),
    ("incident-history", "GET"): Row("GET", lambda w: f"/api/incidents/{w.iw.id}/history/",
                                     (401, 200, 403, 200, 200, 200, 200, 404)),
    # An unknown status: past the permission check the answer is 400 whatever the lifecycle rules.
    ("incident-transition", "POST"): Row("POST", lambda w: f"/api/incidents/{w.iw.id}/transition/",
                                         (401, 400, 403, 403, 400, 400, 400, 404), {"to_status": "no-such-status"}),
    # Outside the two url files, for the record: the login page and the admin site.
    ("login", "GET"): Row("GET", lambda w: "/accounts/login/", (200, 200, 200, 200, 200, 200, 200, 200)),
    ("admin:index", "GET"): Row("GET", lambda w: "/admin/", ("admin-login", "admin-login", "admin-login",
                                                            "admin-login", 200, 200, "admin-login", "admin-login")),
}


def _photo_url(w) -> str:
    """The address of a photo of the west incident, made once per world."""
    if not hasattr(w, "photo"):
        import io

        from PIL import Image

        from layers.incidents.models import IncidentPhoto
        from layers.incidents.photos import attach, prepare

        out = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 0, 0)).save(out, format="JPEG")
        upload = SimpleUploadedFile("m.jpg", out.getvalue(), "image/jpeg")
        (w.photo,) = attach(w.iw, [prepare(upload)], stage=IncidentPhoto.Stage.REPORT)
    return f"/incidents/{w.iw.id}/photos/{w.photo.id}/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # photos the matrix makes stay out of var/media


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
            "patrol": client_for(w.patrol), "admin_group": client_for(admin_user), "superuser": client_for(w.admin),
            "command": client_for(w.command), "department": client_for(w.dept_user)}


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
