"""A small town for the patrol page, card and browser tests: the 8 × 8 lattice of
_hotspot_data with named streets, a hot cluster of recent incidents, a busy lone cell, and
a police room (派出所/警务室) at a street corner."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.db import connection
from django.utils import timezone

from layers.facilities.models import Facility, FacilityType
from tests.factories import point
from tests.patrols._hotspot_data import LAT0, LON0, STEP, Lattice, add_incidents, lattice, street_lattice

NUMERALS = "零一二三四五六七八九"
CLUSTER = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3), (2, 3)]
POLICE_LON_LAT = (LON0 + 4 * STEP, LAT0)  # the corner of 纵四街 and 横零路


def name_streets() -> None:
    """East–west edges are 横N路 (N = lattice row), north–south edges 纵N街 (N = column)."""
    with connection.cursor() as cur:
        cur.execute(
            """UPDATE facilities_walkedge SET name = CASE
                 WHEN abs(ST_Y(ST_StartPoint(geom)) - ST_Y(ST_EndPoint(geom))) < 1e-9
                 THEN '横' || (ARRAY['零','一','二','三','四','五','六','七','八'])[
                        round((ST_Y(ST_StartPoint(geom)) - %s) / %s)::int + 1] || '路'
                 ELSE '纵' || (ARRAY['零','一','二','三','四','五','六','七','八'])[
                        round((ST_X(ST_StartPoint(geom)) - %s) / %s)::int + 1] || '街' END""",
            [LAT0, STEP, LON0, STEP],
        )


def town(code: str = "510104001009") -> SimpleNamespace:
    """The town, its incidents reported in the last few days, and its police room."""
    lat: Lattice = lattice(side=8, code=code)
    recent = timezone.now() - dt.timedelta(days=2)
    add_incidents([(c, r) for c in range(8) for r in range(8)], recent, n=1)
    add_incidents(CLUSTER, recent, n=8)
    add_incidents((6, 6), recent, n=5, code="dispute")
    street_lattice(side=8)
    name_streets()
    police = Facility.objects.create(type=FacilityType.objects.get(code="police"), name="横零路警务室",
                                     geom=point(*POLICE_LON_LAT))
    return SimpleNamespace(lattice=lat, police=police)
