"""bench/province.py's generator at a tiny size builds a valid province: 2 districts × 2,000 households."""

import re

import pytest
from django.db import connection

from bench import province_gen as gen
from importers.loaders.base import ImportOptions
from importers.loaders.households import HouseholdLoader
from layers.grids import linking

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pattern():
    return gen.read_pattern()


def scalar(sql: str):
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def test_two_districts_every_household_linked_codes_and_geometry_valid(pattern, tmp_path):
    layout = gen.Layout.for_households(4000, districts=2)
    with connection.cursor() as cur:
        gen.reset(cur)
        areas = gen.load_areas(cur, pattern, layout)
        facilities = gen.load_facilities(cur, pattern, layout)
        nodes, edges = gen.load_network(cur, pattern, layout)
        incidents = gen.load_incidents(cur, pattern, layout, seed=1)
    linking.link_all(("incident",))
    path = tmp_path / "ledger.csv"
    assert gen.write_ledger(path, pattern, layout, seed=1) == 4000
    result = HouseholdLoader(path, ImportOptions(crs="wgs84", progress=False)).run()
    assert "拒绝 rejected 0" in result.summary()

    # 3 × 3 copies of the demo per district: 18 streets, 63 communities, 450 grids each.
    assert areas == {"districts": 2, "streets": 36, "communitys": 126, "grids": 900}
    assert facilities == 2 * 9 * len(pattern.facilities) and nodes > 0 and edges > 0 and incidents >= 1000
    codes = [r for r in scalar("SELECT array_agg(code ORDER BY code) FROM grids_district")]
    assert codes == [gen.district_code(0), gen.district_code(1)]
    assert all(re.fullmatch(r"51\d{4}", c) for c in codes)
    # Every level's code extends its parent's by 3 digits; grids are unique.
    assert scalar("""SELECT count(*) FROM grids_street s JOIN grids_district d ON d.id = s.district_id
                      WHERE s.code !~ ('^' || d.code || '[0-9]{3}$')""") == 0
    assert scalar("""SELECT count(*) FROM grids_community c JOIN grids_street s ON s.id = c.street_id
                      WHERE c.code !~ ('^' || s.code || '[0-9]{3}$')""") == 0
    assert scalar("""SELECT count(*) FROM grids_grid g JOIN grids_community c ON c.id = g.community_id
                      WHERE g.code !~ ('^' || c.code || '[0-9]{3}$')""") == 0
    for table in ("grids_district", "grids_street", "grids_community", "grids_grid", "facilities_walkedge"):
        assert scalar(f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom)") == 0  # noqa: S608
    # Every household and incident lies in a grid of its own district's copy; 2,000 per district.
    assert scalar("SELECT count(*) FROM people_household WHERE grid_id IS NULL") == 0
    assert scalar("SELECT count(*) FROM incidents_incident WHERE grid_id IS NULL") == 0
    per_district = scalar("""SELECT array_agg(n ORDER BY code) FROM (
        SELECT d.code, count(*) AS n FROM people_household h JOIN grids_grid g ON g.id = h.grid_id
          JOIN grids_community c ON c.id = g.community_id JOIN grids_street s ON s.id = c.street_id
          JOIN grids_district d ON d.id = s.district_id GROUP BY d.code) t""")
    assert per_district == [2000, 2000]
    # Households sit inside their district's boundary, not on a neighbour's.
    assert scalar("""SELECT count(*) FROM people_household h JOIN grids_grid g ON g.id = h.grid_id
          JOIN grids_community c ON c.id = g.community_id JOIN grids_street s ON s.id = c.street_id
          JOIN grids_district d ON d.id = s.district_id WHERE NOT ST_Covers(d.geom, h.geom)""") == 0
