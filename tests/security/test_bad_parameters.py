"""Bad-parameter corpus: every API list endpoint and every page that reads query parameters,
each parameter with a list of hostile or malformed values. Nothing may answer 500; a 400
names the parameter it refuses.

Attacks: NUL bytes, non-numbers, 20-digit overflows, impossible dates (2024-02-30,
0001-01-01), hours out of range, unknown cells, garbage / inverted / infinite bounding boxes,
huge page numbers and page sizes.
"""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NUL = "\x00"
COMMON = ["%00", NUL, f"abc{NUL}def", "abc", "-1", "0", "99999999999999999999", "1e309", "inf", "-inf", "nan",
          "x" * 5000, "'; DROP TABLE people_household; --", "<script>alert(1)</script>", "\u202e", ""]
DATES = ["2024-02-30", "0001-01-01", "9999-12-31", "2024-13-01", "99999-01-01", "2024-01-01T25:00", "yesterday"]
HOURS = ["25-99", "20", "a-b", "-1-5", "20-02-03", "99999999999999999999-1"]
BBOXES = ["garbage", "1,2,3", "5,5,1,1", "inf,0,1,1", "nan,nan,nan,nan", "-1e400,0,1e400,1", "1,2,3,4,5",
          "104.06,30.65,104.08"]

# (path, {param: extra bad values beyond COMMON})
API = [
    ("/api/communities/", {"in_bbox": BBOXES, "page": [], "page_size": []}),
    ("/api/grids/", {"in_bbox": BBOXES, "page": [], "page_size": []}),
    ("/api/facilities/", {"type": [], "in_bbox": BBOXES, "page": []}),
    ("/api/households/", {"grid": [], "tag": [], "in_bbox": BBOXES, "page": [], "page_size": []}),
    ("/api/incidents/", {"status": ["reported,", ",,,"], "category": [], "since": DATES, "until": DATES,
                         "grid": [], "in_bbox": BBOXES, "page": [], "page_size": []}),
    ("/api/circles/", {"type": [], "minutes": ["abc", "15.5", "99999999999999999999"]}),
    ("/api/coverage/", {"type": [], "level": ["foo"]}),
    ("/api/hotspots/", {"days": ["99999999999999999999", "1e9"], "hours": HOURS, "cell": ["foo"], "category": []}),
]
PAGES = [
    ("/my/", {"tag": [], "page": []}),
    ("/patrol/", {"days": ["99999999999999999999"], "hours": HOURS, "category": [], "cell": ["foo"]}),
    ("/patrol/map.html", {"days": ["99999999999999999999"], "hours": HOURS, "category": [], "cell": ["foo"]}),
    ("/patrol/card/", {"days": ["99999999999999999999"], "hours": HOURS, "category": [], "start": ["police:1", "here"],
                       "lat": [], "lon": [], "dwell": ["121"], "depart": ["25:61"]}),
    ("/planner/", {"type": []}),
    ("/planner/map.html", {"type": []}),
    ("/grid-at/", {"lon": ["104.07"], "lat": ["30.655"]}),
    ("/incidents/new/", {"lon": [], "lat": [], "category": []}),
    ("/incidents/", {"status": [], "category": [], "grid": [], "overdue": [], "since": DATES, "until": DATES,
                     "page": []}),
    ("/incidents/duplicates/", {"lon": [], "lat": [], "category": []}),
]
ADMIN = [
    ("/admin/people/household/", {"q": [], "o": ["abc", "99"], "p": []}),
    ("/admin/people/visit/", {"q": [], "kind": []}),
    ("/admin/incidents/incident/", {"q": [], "status": [], "category__id__exact": []}),
    ("/admin/facilities/facility/", {"q": [], "type__id__exact": []}),
]
# Parameters that go with a required one (type for circles), so that the bad one is reached.
BASE = {"/api/circles/": "type=kindergarten&", "/grid-at/": "lon=104.065&lat=30.655&",
        "/incidents/duplicates/": "lon=104.065&lat=30.655&category=1&"}


def client_for(user) -> Client:
    """A logged-in client that returns a 500 as a response (to count it) instead of raising."""
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def _cases(table):
    for path, params in table:
        for name, extra in params.items():
            for value in dict.fromkeys([*COMMON, *extra]):
                yield path, name, value


def _url(path: str, name: str, value: str) -> str:
    from urllib.parse import quote

    encoded = value if value == "%00" else quote(value, safe="")
    return f"{path}?{BASE.get(path, '')}{name}={encoded}"


def _check(client, cases) -> tuple[int, list[str]]:
    failures = []
    count = errors = 0
    for path, name, value in cases:
        url = _url(path, name, value)
        response = client.get(url)
        count += 1
        if response.status_code >= 500:
            errors += 1
            failures.append(f"{response.status_code} {url[:120]}")
        elif response.status_code == 400:
            body = response.content.decode("utf-8", "replace")
            if name not in body:
                failures.append(f"400 without naming {name!r}: {url[:120]} {body[:200]}")
    print(f"bad-parameter corpus: {count} requests, {errors} answered >= 500")  # noqa: T201 - the figure
    return count, failures


def test_api_list_endpoints_survive_nul_overflow_bad_dates_hours_cells_and_bboxes(world):
    count, failures = _check(client_for(world.admin), _cases(API))
    assert count > 300
    assert failures == []


def test_api_list_endpoints_survive_the_same_for_a_grid_worker(world):
    count, failures = _check(client_for(world.worker_w), _cases(API[:5]))
    assert failures == []


def test_pages_survive_nul_overflow_bad_hours_and_cells(world):
    cases = list(_cases(PAGES))
    count, failures = _check(client_for(world.admin), cases)
    assert failures == []
    _, failures = _check(client_for(world.worker_w), [c for c in cases if c[0] in ("/my/", "/grid-at/", "/incidents/new/",
                                                                                   "/incidents/", "/incidents/duplicates/")])
    assert failures == []


def test_admin_lists_survive_nul_in_search_and_filters(world):
    _, failures = _check(client_for(world.admin), _cases(ADMIN))
    assert failures == []


def test_nul_in_a_query_parameter_is_a_400_naming_it():
    response = Client().get("/api/incidents/?grid=%00")
    assert response.status_code == 400 and "grid" in response.content.decode()


def test_impossible_since_date_is_a_400_naming_since(world):
    response = client_for(world.admin).get("/api/incidents/?since=2024-02-30")
    assert response.status_code == 400 and "since" in response.json()


def test_hotspot_days_overflow_is_a_400_naming_days(world):
    response = client_for(world.patrol).get("/api/hotspots/?days=99999999999999999999")
    assert response.status_code == 400 and "days" in response.json()


def test_bad_hotspot_hours_and_cell_are_400s(world):
    client = client_for(world.patrol)
    for query, name in itertools.product(("hours=25-99", "cell=foo"), [None]):
        response = client.get(f"/api/hotspots/?{query}")
        assert response.status_code == 400, query
        assert query.split("=")[0] in response.json(), (query, name)


# --- POST /api/incidents/: hostile geometries ------------------------------------------------

GEOMETRIES = {
    "polygon": {"type": "Polygon", "coordinates": [[[104.065, 30.655], [104.066, 30.655], [104.066, 30.656],
                                                    [104.065, 30.655]]]},
    "point_3d": {"type": "Point", "coordinates": [104.065, 30.655, 500.0]},
    "point_nan_wkt": "POINT (nan 30.655)",  # strict JSON has no NaN, WKT text does
    "point_inf_1e999": {"type": "Point", "coordinates": ["INF", 30.655]},  # "INF" → the literal 1e999 below
    "point_inf_wkt": "POINT (inf 30.655)",
    "point_outside_china": {"type": "Point", "coordinates": [-30.0, 40.0]},
    "multipoint": {"type": "MultiPoint", "coordinates": [[104.065, 30.655]]},
    "garbage": {"type": "Point", "coordinates": "abc"},
    "empty": {},
}


def test_posting_an_incident_as_a_polygon_3d_nan_inf_or_foreign_point_is_a_400_naming_geom(world):
    import json

    from layers.incidents.models import Incident

    before = Incident.objects.count()
    wrong = []
    for kind, geometry in GEOMETRIES.items():
        body = {"type": "Feature", "geometry": geometry,
                "properties": {"category": world.iw.category_id, "description": "测试"}}
        text = json.dumps(body).replace('"INF"', "1e999")  # a JSON number that overflows to inf
        for user in (world.worker_w, world.admin):
            response = client_for(user).post("/api/incidents/", text, content_type="application/json")
            if response.status_code != 400 or "geom" not in response.content.decode():
                wrong.append((kind, user.username, response.status_code, response.content[:200]))
    assert wrong == []
    assert Incident.objects.count() == before
