"""Load the demo fixture into the database (``python manage.py load_demo``).

Areas and facilities go through the ORM (grid codes through layers.grids.codes.assign_codes,
checked against the fixture's); households, incidents and transitions are streamed with
COPY into temporary tables and inserted with one INSERT … SELECT each, so that the row
triggers of layers/grids/sql/0001_grid_for_point.sql link every household and incident to its
grid (the loader never sets ``grid``).

Timestamps: the fixture's world stops at a fixed moment (manifest ``anchor``; nothing
happens after it). All incident and transition timestamps and households' last visits move
forward by the same whole number of days, so that the anchor lies on the day of loading
(one day less if that would put it in the future, i.e. when loading before the anchor's hour).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import connection, models, transaction
from django.utils import timezone

from layers.demo import DISTRICT_CODE, departments, fixture
from layers.demo.accounts import LEADER_USER
from layers.facilities.models import Facility, FacilityType
from layers.grids.codes import assign_codes
from layers.grids.models import Community, District, Grid, Street
from layers.incidents.models import Department, Incident
from layers.people.models import Household

HOUSEHOLD_PREFIX = "DEMO-H-"
INCIDENT_PREFIX = "DEMO-E-"
SYNTHETIC_SOURCE_PREFIX = "demo/"


class DemoLoadError(RuntimeError):
    """The fixture cannot be loaded into this database."""


@dataclass
class LoadReport:
    """What was loaded, in how long (seconds), and the day shift applied."""

    counts: dict[str, int] = field(default_factory=dict)
    shift_days: int = 0
    unassigned: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    skipped_facilities: int = 0


def demo_exists() -> bool:
    return District.objects.filter(code=DISTRICT_CODE).exists()


def shift_days_for(newest: dt.datetime, now: dt.datetime) -> int:
    """Whole days that move ``newest`` onto ``now``'s local day without passing ``now``."""
    local_now = timezone.localtime(now)
    days = (local_now.date() - timezone.localtime(newest).date()).days
    if newest + dt.timedelta(days=days) > now:
        days -= 1
    return days


def _purge(queryset: models.QuerySet) -> int:
    """Delete the rows of ``queryset`` with set-based SQL, following each reverse relation's
    on_delete (CASCADE recursively, SET_NULL, PROTECT/RESTRICT refuse) without loading the
    rows into Python: the ORM's collector would fetch 20,000 households and send a signal
    for each. The access queue triggers (layers/facilities/sql/0001_access.sql) still see the deletes."""
    model = queryset.model
    keys = queryset.values("pk")
    for rel in model._meta.related_objects:
        if rel.many_to_many or rel.on_delete is models.DO_NOTHING:
            continue
        related = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": keys})
        if rel.on_delete in (models.PROTECT, models.RESTRICT):
            if related.exists():
                msg = (f"{related.count()} {rel.related_model._meta.verbose_name} rows refer to demo "
                       f"{model._meta.verbose_name} rows and protect them; the demo cannot be deleted")
                raise DemoLoadError(msg)
        elif rel.on_delete is models.SET_NULL:
            related.update(**{rel.field.name: None})
        elif rel.on_delete is models.CASCADE:
            _purge(related)
        else:
            related.delete()  # SET_DEFAULT, SET(...): rare, let the ORM apply them
    # The same raw DELETE the ORM's collector issues when it can delete fast.
    return queryset._raw_delete(queryset.db)


def delete_demo(fixture_dir: Path) -> dict[str, int]:
    """Delete the demo rows: its incidents, households, facilities and the district's areas."""
    osm_ids = list(fixture.read_csv(fixture_dir, "facilities.csv.xz").query("source == 'osm'")["source_id"])
    deleted = {}
    with transaction.atomic():
        deleted["incidents"] = _purge(Incident.objects.filter(synthetic=True, external_id__startswith=INCIDENT_PREFIX))
        deleted["households"] = _purge(Household.objects.filter(synthetic=True,
                                                               external_id__startswith=HOUSEHOLD_PREFIX))
        deleted["facilities"] = _purge(Facility.objects.filter(
            models.Q(source=Facility.Source.SYNTHETIC, source_id__startswith=SYNTHETIC_SOURCE_PREFIX)
            | models.Q(source=Facility.Source.OSM, source_id__in=osm_ids)))
        # Departments: cases reported during the demo keep their history but lose the department.
        demo_departments = Department.objects.filter(district__code=DISTRICT_CODE)
        Incident.objects.filter(department__in=demo_departments).update(department=None)
        Department.users.through.objects.filter(department__in=demo_departments).delete()
        deleted["departments"] = _purge(demo_departments)
        deleted["grids"] = _purge(Grid.objects.filter(community__street__district__code=DISTRICT_CODE))
        deleted["communities"] = _purge(Community.objects.filter(street__district__code=DISTRICT_CODE))
        deleted["streets"] = _purge(Street.objects.filter(district__code=DISTRICT_CODE))
        deleted["districts"] = _purge(District.objects.filter(code=DISTRICT_CODE))
    return deleted


def _geom(feature: dict) -> MultiPolygon:
    geom = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon(geom, srid=4326)


def load_areas(fixture_dir: Path, manifest: dict) -> dict[str, int]:
    """District, streets, communities and grids; returns counts per level."""
    features = fixture.read_areas(fixture_dir)
    by_level: dict[str, list[dict]] = {}
    for feature in features:
        by_level.setdefault(feature["properties"]["level"], []).append(feature["properties"] | {"_f": feature})
    district_row = by_level["district"][0]
    district = District.objects.create(code=district_row["code"], name=district_row["name"], geom=_geom(district_row["_f"]),
                                       source=f"演示范围，非官方边界 (demo extent); {manifest['osm']['attribution']}")
    streets = {s["code"]: Street.objects.create(district=district, code=s["code"], name=s["name"], geom=_geom(s["_f"]))
               for s in by_level["street"]}
    communities = {c["code"]: Community.objects.create(street=streets[c["parent"]], code=c["code"], name=c["name"],
                                                       geom=_geom(c["_f"])) for c in by_level["community"]}
    for code, community in communities.items():
        rows = [g for g in by_level["grid"] if g["parent"] == code]
        grids = [Grid(community=community, code="", name=g["name"], geom=_geom(g["_f"])) for g in rows]
        assign_codes(community, grids)
        for grid, row in zip(grids, rows, strict=True):
            if grid.code != row["code"]:
                msg = f"grid {row['name']}: assign_codes gives {grid.code}, the fixture {row['code']}; rebuild it"
                raise DemoLoadError(msg)
        Grid.objects.bulk_create(grids)
    return {level: len(rows) for level, rows in by_level.items()}


def load_facilities(fixture_dir: Path) -> tuple[int, int]:
    """Facilities; an OSM element already in the database is kept and skipped here."""
    frame = fixture.read_csv(fixture_dir, "facilities.csv.xz")
    types = {t.code: t for t in FacilityType.objects.all()}
    missing = sorted(set(frame["type"]) - set(types))
    if missing:
        msg = f"facility types {missing} are not in the catalogue (the facilities migration seeds them)"
        raise DemoLoadError(msg)
    existing = set(Facility.objects.filter(source=Facility.Source.OSM).values_list("source_id", flat=True))
    rows = [Facility(type=types[r.type], name=r.name, geom=Point(float(r.lon), float(r.lat), srid=4326),
                     address=r.address, capacity=int(r.capacity) if r.capacity else None, source=r.source,
                     source_id=r.source_id, synthetic=r.synthetic == "t")
            for r in frame.itertuples() if not (r.source == "osm" and r.source_id in existing)]
    Facility.objects.bulk_create(rows)
    return len(rows), len(frame) - len(rows)


def _copy(cursor, sql: str, stream) -> None:
    """COPY … FROM STDIN with psycopg2 (copy_expert) or psycopg 3 (copy)."""
    raw = getattr(cursor, "cursor", cursor)
    if hasattr(raw, "copy_expert"):
        raw.copy_expert(sql, stream)
        return
    with raw.copy(sql) as copy:
        while chunk := stream.read(1 << 16):
            copy.write(chunk)


_STAGING = {
    "households.csv.xz": ("demo_household", """external_id text, lon float8, lat float8, address text,
        residents int, head_name text, id_number text, phone text, tags text, last_visit date"""),
    "incidents.csv.xz": ("demo_incident", """external_id text, category text, lon float8, lat float8,
        description text, address text, reported_at timestamptz, channel text, reporter_name text, status text,
        dispatched_at timestamptz, closed_at timestamptz, satisfaction text, source text"""),
    "transitions.csv.xz": ("demo_transition", """incident text, seq int, from_status text, to_status text,
        at timestamptz, note text"""),
}


def _stage(cursor, fixture_dir: Path, name: str) -> str:
    table, columns = _STAGING[name]
    cursor.execute(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP")
    with fixture.open_csv(fixture_dir, name) as stream:
        _copy(cursor, f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)", stream)
    return table


def _ledger_history(cur) -> None:
    """A plausible priority-group history (layers.people.PriorityMembership) for the demo's
    households, which the trigger has just entered all on today: entry days spread over the three
    years before today, and a past 低保 membership ended in the last year for one household in
    29 (deterministic: from the household id)."""
    cur.execute("""
        UPDATE people_prioritymembership m SET entered_on = gridmap_ledger_date() - ((h.id * 7919) % 1100)::int
          FROM people_household h
         WHERE h.id = m.household_id AND h.synthetic AND m.left_on IS NULL AND m.entered_on = gridmap_ledger_date()""")
    cur.execute("""
        INSERT INTO people_prioritymembership (household_id, "group", entered_on, left_on)
        SELECT h.id, '低保', gridmap_ledger_date() - 400 - (h.id % 300)::int, gridmap_ledger_date() - (h.id % 360)::int
          FROM people_household h
         WHERE h.synthetic AND h.id % 29 = 0 AND NOT ('低保' = ANY (h.tags))
           AND NOT EXISTS (SELECT 1 FROM people_prioritymembership m WHERE m.household_id = h.id AND m."group" = '低保')""")


def load_points(fixture_dir: Path, shift_days: int) -> dict[str, int]:
    """Households, incidents and transitions, timestamps moved by ``shift_days``."""
    counts = {}
    with connection.cursor() as cur:
        _stage(cur, fixture_dir, "households.csv.xz")
        cur.execute("""
            INSERT INTO people_household (external_id, geom, address, residents, head_name, id_number, phone,
                                          tags, last_visit, synthetic, district_code)
            SELECT external_id, p, address, residents, head_name,
                   coalesce(id_number, ''), coalesce(phone, ''), tags::varchar(10)[], last_visit + %s, true,
                   gridmap_district_code_for_point(p, gridmap_grid_for_point(p))
              FROM demo_household, ST_SetSRID(ST_MakePoint(lon, lat), 4326) p ORDER BY external_id""", [shift_days])
        counts["households"] = cur.rowcount
        _ledger_history(cur)
        _stage(cur, fixture_dir, "incidents.csv.xz")
        cur.execute("SELECT count(*) FROM demo_incident")
        staged = cur.fetchone()[0]
        cur.execute("""
            INSERT INTO incidents_incident (external_id, geom, category_id, description, address, reported_at,
                                         reporter_name, status, dispatched_at, closed_at, satisfaction, synthetic,
                                         district_code)
            SELECT s.external_id, p, c.id, s.description,
                   coalesce(s.address, ''), s.reported_at + make_interval(days => %s), coalesce(s.reporter_name, ''),
                   s.status, s.dispatched_at + make_interval(days => %s), s.closed_at + make_interval(days => %s),
                   coalesce(s.satisfaction, ''), true, gridmap_district_code_for_point(p, gridmap_grid_for_point(p))
              FROM demo_incident s JOIN incidents_incidentcategory c ON c.code = s.category,
                   ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) p
             ORDER BY s.external_id""", [shift_days] * 3)
        counts["incidents"] = cur.rowcount
        if cur.rowcount != staged:
            msg = f"{staged - cur.rowcount} incidents have a category that is not in the catalogue"
            raise DemoLoadError(msg)
        _stage(cur, fixture_dir, "transitions.csv.xz")
        cur.execute("""
            INSERT INTO incidents_incidenttransition (incident_id, from_status, to_status, at, note, district_code)
            SELECT i.id, coalesce(t.from_status, ''), t.to_status, t.at + make_interval(days => %s),
                   coalesce(t.note, ''), i.district_code
              FROM demo_transition t JOIN incidents_incident i ON i.external_id = t.incident
             ORDER BY t.incident, t.seq""", [shift_days])
        counts["transitions"] = cur.rowcount
    return counts


def set_reporters(patrol_user_id: int | None) -> int:
    """Incidents reported by a grid worker get the worker of their grid as reporter; those
    reported by the patrol get the patrol user; the 'reported' step gets the same user.
    Reads the channel from the staging table of load_points (same transaction)."""
    with connection.cursor() as cur:
        cur.execute("""
            WITH worker AS (
                SELECT DISTINCT ON (a.grid_id) a.grid_id, u.id AS user_id, u.last_name || u.first_name AS name
                  FROM grids_gridassignment a JOIN auth_user u ON u.id = a.user_id
                 WHERE a.role = 'worker' ORDER BY a.grid_id, u.username
            )
            UPDATE incidents_incident i SET reporter_id = w.user_id, reporter_name = w.name
              FROM demo_incident c, worker w
             WHERE c.external_id = i.external_id AND c.channel = 'worker' AND w.grid_id = i.grid_id""")
        changed = cur.rowcount
        if patrol_user_id is not None:
            cur.execute("""
                UPDATE incidents_incident i SET reporter_id = u.id, reporter_name = u.last_name || u.first_name
                  FROM demo_incident c, auth_user u
                 WHERE c.external_id = i.external_id AND c.channel = 'patrol' AND u.id = %s""", [patrol_user_id])
            changed += cur.rowcount
        cur.execute("""
            UPDATE incidents_incidenttransition t SET by_id = i.reporter_id
              FROM incidents_incident i
             WHERE t.incident_id = i.id AND t.to_status = 'reported' AND i.reporter_id IS NOT NULL
               AND i.external_id LIKE %s""", [INCIDENT_PREFIX + "%"])
    return changed


def load(fixture_dir: Path, *, setup_users: Callable[[list[dict]], int | None],
         now: dt.datetime | None = None) -> LoadReport:
    """Load the whole fixture in one transaction. ``setup_users(users)`` creates the demo
    users and grid assignments and returns the patrol user's id (layers.demo.accounts)."""
    started = time.perf_counter()
    manifest = fixture.read_manifest(fixture_dir)
    # The fixture's world stops at its anchor: transitions of the last reports (closing,
    # 回访) come after the newest report but never after the anchor, so shifting the anchor
    # (not the newest report) keeps every event in the past whatever the hour of loading.
    newest = dt.datetime.fromisoformat(manifest.get("anchor") or manifest["newest_reported_at"])
    report = LoadReport(shift_days=shift_days_for(newest, now or timezone.now()))
    with transaction.atomic():
        report.counts.update(load_areas(fixture_dir, manifest))
        loaded, report.skipped_facilities = load_facilities(fixture_dir)
        report.counts["facilities"] = loaded
        report.counts.update(load_points(fixture_dir, report.shift_days))
        patrol_id = setup_users(fixture.read_users(fixture_dir) + departments.demo_users() + [LEADER_USER])
        report.counts["reporters"] = set_reporters(patrol_id)
        report.counts.update(departments.load_departments(INCIDENT_PREFIX))
        report.unassigned = {
            "households": Household.objects.filter(external_id__startswith=HOUSEHOLD_PREFIX, grid__isnull=True).count(),
            "incidents": Incident.objects.filter(external_id__startswith=INCIDENT_PREFIX, grid__isnull=True).count(),
        }
    report.seconds = time.perf_counter() - started
    return report

