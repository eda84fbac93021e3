"""Upgrading an installation that holds data: `manage.py migrate` from the first release's
schema (households with priority tags, incidents with their history) to today's, in a
database of its own. Every migration that moves or backfills rows runs on real rows here."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

from django.conf import settings

from tests.ops.conftest import connect as _connect

# The schema of the first release that district offices installed (what `migrate` had applied).
FIRST_RELEASE = [("grids", "0003"), ("people", "0004"), ("incidents", "0003"), ("facilities", "0002")]

SQUARE = "MULTIPOLYGON(((104.00 30.60, 104.10 30.60, 104.10 30.70, 104.00 30.70, 104.00 30.60)))"
OLD_ROWS = f"""
INSERT INTO grids_district (code, name, geom, source, metric_srid)
     VALUES ('510104', '锦江区', ST_GeomFromText('{SQUARE}', 4326), '测试', 4545);
INSERT INTO grids_street (code, name, geom, district_id)
     SELECT '510104001', '测试街道', geom, id FROM grids_district;
INSERT INTO grids_community (code, name, geom, street_id)
     SELECT '510104001001', '测试社区', geom, id FROM grids_street;
INSERT INTO grids_grid (code, name, geom, community_id)
     SELECT '510104001001001', '第一网格', geom, id FROM grids_community;
INSERT INTO people_household (synthetic, geom, external_id, address, residents, head_name,
                              id_number, phone, tags)
     SELECT true, ST_SetSRID(ST_MakePoint(104.0 + i * 0.0001, 30.65), 4326), 'H' || i, '测试路' || i || '号',
            2, '户主' || i, '', '', CASE WHEN i % 2 = 0 THEN ARRAY['低保', '高龄'] ELSE '{{}}' END
       FROM generate_series(1, 40) i;
INSERT INTO incidents_incident (synthetic, geom, external_id, description, address, reported_at,
                                reporter_name, status, satisfaction, category_id)
     SELECT true, ST_SetSRID(ST_MakePoint(104.05, 30.6 + i * 0.001), 4326), 'E' || i, '井盖破损', '测试路',
            now() - interval '3 days', '网格员', 'reported', '', (SELECT min(id) FROM incidents_incidentcategory)
       FROM generate_series(1, 10) i;
INSERT INTO incidents_incidenttransition (from_status, to_status, at, note, incident_id)
     SELECT '', 'reported', reported_at, '', id FROM incidents_incident;
"""


def _url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db.get("PASSWORD") else "")
    return f"postgis://{auth}@{quote(db['HOST'] or '', safe='')}:{db['PORT'] or 5432}/{dbname}"


def _migrate(dbname: str, *target: str) -> None:
    env = {**os.environ, "DATABASE_URL": _url(dbname)}
    done = subprocess.run([sys.executable, "manage.py", "migrate", *target, "--verbosity", "0"],
                          cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def test_an_installation_with_data_upgrades_to_todays_schema(empty_database):
    old_database = empty_database
    for app, migration in FIRST_RELEASE:
        _migrate(old_database, app, migration)
    conn = _connect(old_database)
    try:
        with conn.cursor() as cur:
            cur.execute(OLD_ROWS)
        _migrate(old_database)  # failed with "pending trigger events" before people 0005 checked its rows
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), count(*) FILTER (WHERE district_code = '510104') FROM people_household")
            assert cur.fetchone() == (40, 40)
            cur.execute("SELECT count(*) FROM people_household_p510104")
            assert cur.fetchone() == (40,)
            # the ledger was backfilled: two open memberships (day unknown) per tagged household
            cur.execute("SELECT count(*), count(*) FILTER (WHERE entered_on IS NULL AND left_on IS NULL)"
                        " FROM people_prioritymembership")
            assert cur.fetchone() == (40, 40)
            cur.execute("SELECT count(*) FROM incidents_incident_p510104 i"
                        " JOIN incidents_incidenttransition_p510104 t ON t.incident_id = i.id")
            assert cur.fetchone() == (10,)
    finally:
        conn.close()
