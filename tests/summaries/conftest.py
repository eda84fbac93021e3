"""A small district for the summaries: the shared world (one community, two grids) plus a second
community of one grid in the same street, cases in October and September 2026 at every step,
visits, ledger entries on known days, and a leader (领导)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from layers.accounts.roles import LEADER
from layers.incidents import lifecycle
from layers.people.models import PriorityMembership, Visit
from layers.summaries.periods import Period
from tests.factories import box, category, make_community, make_grid, make_household, point, step_kwargs

OCT, SEP = Period(2026, 10), Period(2026, 9)


@contextmanager
def ledger_day(day: dt.date):
    """Household writes inside record ``day`` in the ledger (the trigger's gridmap.ledger_date)."""
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('gridmap.ledger_date', %s, false)", [day.isoformat()])
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('gridmap.ledger_date', '', false)")


def at(period: Period, day: int, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(period.year, period.month, day, hour))


def case(code: str, where, reported: dt.datetime, steps: list[str], *, hours_each: float = 1,
         satisfaction: str = "") -> object:
    """An incident reported at ``reported`` moved through ``steps`` one every ``hours_each`` hours
    (by the system, so separation of duties does not apply)."""
    incident = lifecycle.report(category=category(code), description="测试", geom=where, at=reported)
    t = reported
    for step in steps:
        t += dt.timedelta(hours=hours_each)
        lifecycle.move(incident, step, at=t, satisfaction=satisfaction if step == "evaluated" else "",
                       **step_kwargs(incident, step))
    return incident


TO_CLOSED = ["accepted", "dispatched", "handling", "feedback", "closed"]


@pytest.fixture
def town(world):
    w = world
    # The world's households were entered today: back-date them to August.
    PriorityMembership.objects.filter(household__in=[w.hw, w.he]).update(entered_on=dt.date(2026, 8, 1))
    with ledger_day(dt.date(2026, 8, 1)):
        w.north = make_community("510104001002", box(104.060, 30.660, 104.080, 30.670), name="北社区")
        w.north_grid = make_grid(w.north, box(104.060, 30.660, 104.080, 30.670), name="北网格")
        w.hn = make_household(point(104.065, 30.665), address="北路3号", head_name="赵六", id_number="510104197001011111",
                              phone="13700001111", tags=["低保", "残疾"], residents=3)
        w.hw2 = make_household(point(104.062, 30.652), address="=HYPERLINK(\"http://x\")", head_name="孙七",
                               tags=["高龄"], residents=1)
    # September: west joins 特困 on 9-10; October: north leaves 残疾 on 10-12, east joins 流动人口 on 10-20.
    with ledger_day(dt.date(2026, 9, 10)):
        w.hw.tags = [*w.hw.tags, "特困"]
        w.hw.save()
    with ledger_day(dt.date(2026, 10, 12)):
        w.hn.tags = ["低保"]
        w.hn.save()
    with ledger_day(dt.date(2026, 10, 20)):
        w.he.tags = ["流动人口"]
        w.he.save()
    west_pt, east_pt, north_pt = point(104.066, 30.656), point(104.076, 30.656), point(104.066, 30.666)
    w.cases = SimpleNamespace(
        # October, west: closed in time and 满意; closed late (dispute limit 72 h); open and overdue
        on_time=case("dispute", west_pt, at(OCT, 2), [*TO_CLOSED, "evaluated"], satisfaction="满意"),
        late=case("dispute", west_pt, at(OCT, 3), TO_CLOSED, hours_each=30),
        overdue=case("street_order", west_pt, at(OCT, 4), ["accepted", "dispatched"]),
        # October, east: cancelled; unsatisfied (back to handling); just reported
        cancelled=case("fire_risk", east_pt, at(OCT, 5), ["cancelled"]),
        unhappy=case("fire_risk", east_pt, at(OCT, 6), [*TO_CLOSED, "evaluated"], satisfaction="不满意"),
        fresh=case("livelihood", east_pt, at(OCT, 28), []),
        # October, north: closed in time
        north=case("livelihood", north_pt, at(OCT, 7), TO_CLOSED),
        # September, west: closed in time, 满意
        sep=case("dispute", west_pt, at(SEP, 15), [*TO_CLOSED, "evaluated"], satisfaction="满意"),
    )
    # Visits in October: the west household (独居老人: due every 7 days → 4 in 31 days) twice,
    # the north household (低保: every 30 days → 1) three times (counts 1).
    for day in (3, 17):
        Visit.objects.create(household=w.hw, user=w.worker_w, visited_at=at(OCT, day))
    for day in (5, 6, 7):
        Visit.objects.create(household=w.hn, user=w.worker_w, visited_at=at(OCT, day))
    w.leader = User.objects.create_user("lingdao1")
    w.leader.groups.add(Group.objects.get(name=LEADER))
    return w
