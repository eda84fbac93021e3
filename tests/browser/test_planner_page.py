"""设施覆盖 as a planner sees it in the browser: the numbered site list, the before/after table
and the life-circle completeness table agree with direct database counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from layers.facilities.models import SuggestedSite
from layers.facilities.walking.completeness import compute_snapshots
from layers.facilities.walking.refresh import refresh_pending
from layers.facilities.walking.sites import suggest
from tests.facilities.planner_fixtures import planner_district
from tests.facilities.walk_fixtures import add_facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def planner(db):
    from django.apps import apps

    from layers.accounts.roles import PLANNER, ensure_roles
    from layers.facilities.catalogue import seed_facility_types

    seed_facility_types(apps)  # transactional tests flush what migrations seeded
    ensure_roles()
    user = User.objects.create_user("planner_sites")
    user.groups.add(Group.objects.get(name=PLANNER))
    planner_district()
    # Every 5-minute type next to the west kindergarten: its neighbours have a complete 5-minute circle.
    for code in ("health_station", "elderly_daycare", "fitness_point", "service_station"):
        add_facility(-1200, 12, code=code, name=f"西{code}")
    refresh_pending()
    suggest("kindergarten", 2)
    compute_snapshots()
    return user


def test_planner_sees_numbered_sites_and_completeness_matching_the_database(visit, planner):
    v = visit(planner)
    page = v.open("/planner/?type=kindergarten")
    items = page.locator("#sites li")
    stored = list(SuggestedSite.objects.filter(facility_type__code="kindergarten").order_by("rank"))
    assert items.count() == len(stored) == 2
    for item, site in zip(items.all(), stored, strict=True):
        text = item.inner_text()
        assert site.place and site.place in text and "路网节点 " not in text
        assert item.locator(".site-households").inner_text() == str(site.newly_covered_households)
        assert item.locator(".site-focus").inner_text() == str(site.newly_covered_focus)
        assert f"{site.geom.x:.6f}" in text and f"EPSG:{site.metric_srid}" in text
    # Before/after: today's coverage plus the sites' gains, per community.
    with connection.cursor() as cur:
        cur.execute("""
            SELECT c.code, count(*), count(*) FILTER (WHERE a.minutes <= t.threshold_minutes)
              FROM people_household h JOIN grids_grid g ON g.id = h.grid_id
              JOIN grids_community c ON c.id = g.community_id CROSS JOIN facilities_facilitytype t
              LEFT JOIN facilities_householdaccess a ON a.household_id = h.id AND a.facility_type_id = t.id
             WHERE t.code = 'kindergarten' GROUP BY c.code ORDER BY c.code""")
        coverage = cur.fetchall()
        cur.execute("""
            SELECT c.code, count(*) FILTER (WHERE a.minutes <= t.level_minutes)
              FROM people_household h JOIN grids_grid g ON g.id = h.grid_id
              JOIN grids_community c ON c.id = g.community_id CROSS JOIN facilities_facilitytype t
              LEFT JOIN facilities_householdaccess a ON a.household_id = h.id AND a.facility_type_id = t.id
             WHERE t.level_minutes = 5 GROUP BY c.code, h.id
            HAVING bool_and(COALESCE(a.minutes <= t.level_minutes, false))""")
        complete_5 = {}
        for code, _ in cur.fetchall():
            complete_5[code] = complete_5.get(code, 0) + 1
    gains = {}
    for site in stored:
        for code, (n, _) in site.community_gains.items():
            gains[code] = gains.get(code, 0) + n
    for code, households, covered in coverage:
        row = page.locator(f"#before-after tr[data-code='{code}']").inner_text()
        assert f"{covered} → {covered + gains.get(code, 0)}" in row and str(households) in row
        cells = page.locator(f"#completeness tr[data-code='{code}'] td")
        assert cells.nth(1).inner_text() == str(households)
        assert page.locator(f"#completeness tr[data-code='{code}'] td[data-level='5']").get_attribute(
            "data-complete") == str(complete_5.get(code, 0))
    assert complete_5.get("510104001001") == 5  # the five households by the west facilities
    assert "缺项" in page.inner_text("#completeness") and "小学" in page.inner_text("#completeness")
    assert "有学龄前儿童" in page.inner_text("#focus-note")
    frame = next(f for f in page.frames if "/planner/map.html" in f.url)
    frame.wait_for_selector(".gm-legend")
    legend = frame.locator(".gm-legend").inner_text()
    assert "5分钟步行服务圈（朱红实线）" in legend and "15分钟步行服务圈（绿色点线）" in legend
    assert "生活圈完整率" in frame.locator(".leaflet-control-layers").inner_text()
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "planner_page.png"), full_page=True)
    assert v.errors == [] and v.outside_requests() == []
