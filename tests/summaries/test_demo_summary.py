"""The demo district's summaries: every level's figures are the sum of its children's, and the
district's match direct database counts; the demo has a ledger history with joins and exits."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

from layers.summaries import figures, services
from layers.summaries.periods import current_period

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
FIXTURE_DIR = settings.BASE_DIR / "fixtures" / "demo"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    from layers.demo.loader import delete_demo, demo_exists

    with django_db_blocker.unblock():
        User = get_user_model()
        before = set(User.objects.values_list("username", flat=True))
        owned = not demo_exists()
        if owned:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                call_command("load_demo", logins=str(tmp_path_factory.mktemp("demo") / "logins.txt"),
                             skip_network=True, stdout=io.StringIO())
    yield
    if owned:
        with django_db_blocker.unblock():
            delete_demo(FIXTURE_DIR)
            User.objects.exclude(username__in=before).delete()


def _one(sql: str, params: list) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def test_every_level_adds_up_and_matches_direct_counts(demo):
    boss = get_user_model().objects.create_superuser("summary_boss")
    period = current_period()
    top = services.summarize(boss, "all", None, period)
    district = next(c for c in top.children if c.unit.code == "510104")
    summary = services.summarize(boss, "district", "510104", period)
    assert summary.total.current == district.current == figures.add(c.current for c in summary.children)
    assert len(summary.children) == 2
    communities = 0
    for street in summary.children:
        s = services.summarize(boss, "street", street.unit.code, period, trend=False)
        assert s.total.current == street.current == figures.add(c.current for c in s.children)
        assert s.total.previous == figures.add(c.previous for c in s.children)
        for community in s.children:
            c = services.summarize(boss, "community", community.unit.code, period, trend=False)
            assert c.total.current == figures.add(g.current for g in c.children)
            communities += 1
    assert communities == 7
    total = summary.total.current
    grids = "(SELECT g.id FROM grids_grid g JOIN grids_community c ON c.id = g.community_id" \
            " JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id WHERE d.code = '510104')"
    assert total["households"] == _one(f"SELECT count(*) FROM people_household WHERE grid_id IN {grids}", []) > 10000
    assert total["residents"] == _one(f"SELECT sum(residents) FROM people_household WHERE grid_id IN {grids}", [])
    in_period = f"FROM incidents_incident WHERE grid_id IN {grids} AND reported_at >= %s AND reported_at < %s"
    assert total["reported"] == _one(f"SELECT count(*) {in_period}", [period.start, period.end]) > 0
    assert total["closed"] == _one(f"SELECT count(*) {in_period} AND status IN ('closed', 'evaluated')",
                                   [period.start, period.end])
    assert total["satisfied"] == _one(f"SELECT count(*) {in_period} AND satisfaction = '满意'",
                                      [period.start, period.end])
    for group in figures.LEDGER_GROUPS:
        assert total.get(f"group:{group}", 0) == _one(
            f"SELECT count(*) FROM people_household WHERE grid_id IN {grids} AND %s = ANY(tags)", [group]), group
    # (Loaded without the walk network here: the walking tables may be empty; the count still agrees.)
    assert total.get("circle_reached", 0) == _one(
        f"SELECT count(*) FROM facilities_householdaccess a JOIN people_household h ON h.id = a.household_id"
        f" WHERE h.grid_id IN {grids} AND a.minutes <= 15", [])


def test_demo_ledger_has_joins_and_exits(demo):
    from layers.summaries import ledger

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM grids_grid")
        grid_ids = [r[0] for r in cur.fetchall()]
    months = current_period().back(3)
    joined = sum(t[2] for p in months for t in ledger.group_totals(grid_ids, p))
    left = sum(t[3] for p in months for t in ledger.group_totals(grid_ids, p))
    assert joined > 0 and left > 0
