"""The schema read from pg_catalog is what Citus needs (layers.ops.shards.citus_problems):
households, visits, incidents, their histories and walking times distributable on district_code
(co-located), their foreign keys among themselves through district_code, to catalogues and
boundaries only as reference tables; and no other table pointing into them but those the
README's Citus steps distribute as well."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from layers.ops import shards

pytestmark = pytest.mark.django_db


def test_the_check_names_what_citus_would_refuse():
    with connection.cursor() as cur:
        cur.execute("""
            CREATE TABLE zz_catalogue (id int PRIMARY KEY);
            CREATE TABLE zz_local (id int PRIMARY KEY);
            CREATE TABLE zz_parent (id bigint, district_code varchar(6) NOT NULL, PRIMARY KEY (id, district_code));
            CREATE TABLE zz_good (id bigint, district_code varchar(6) NOT NULL, parent_id bigint,
                                  cat_id int REFERENCES zz_catalogue (id), PRIMARY KEY (id, district_code),
                                  CONSTRAINT zz_good_parent FOREIGN KEY (parent_id, district_code)
                                      REFERENCES zz_parent (id, district_code));
            CREATE TABLE zz_bad (id bigint PRIMARY KEY, district_code varchar(6), parent_id bigint,
                                 other_code varchar(6), local_id int,
                                 CONSTRAINT zz_bad_parent FOREIGN KEY (parent_id, other_code)
                                     REFERENCES zz_parent (id, district_code),
                                 CONSTRAINT zz_bad_local FOREIGN KEY (local_id) REFERENCES zz_local (id));
            CREATE UNIQUE INDEX zz_bad_other ON zz_bad (other_code);
            CREATE TABLE zz_nocode (id bigint PRIMARY KEY);
            CREATE TABLE zz_child (id int PRIMARY KEY, parent_id bigint, code varchar(6),
                                   CONSTRAINT zz_child_parent FOREIGN KEY (parent_id, code)
                                       REFERENCES zz_parent (id, district_code));
        """)
        problems = shards.citus_problems(cur, ("zz_parent", "zz_good", "zz_bad", "zz_nocode", "zz_gone"),
                                         reference=("zz_catalogue",))
    assert sorted(problems) == sorted([
        ("zz_gone", "表不存在"),
        ("zz_nocode", "没有分布列 district_code"),
        ("zz_nocode", "唯一约束/索引 zz_nocode_pkey 不含 district_code"),
        ("zz_bad", "唯一约束/索引 zz_bad_pkey 不含 district_code"),
        ("zz_bad", "唯一约束/索引 zz_bad_other 不含 district_code"),
        ("zz_bad", "外键 zz_bad_parent → zz_parent 未以 district_code 对应 district_code"),
        ("zz_bad", "外键 zz_bad_local 指向既非分布表也非参考表的 zz_local"),
        ("zz_child", "外键 zz_child_parent 指向分布表 zz_parent：须按 district_code 分布，或去掉该外键"),
    ])


def test_schema_is_ready_for_citus():
    """Needs the partition schema of issue #15 (district_code, primary keys (id, district_code),
    composite foreign keys)."""
    with connection.cursor() as cur:
        problems = shards.citus_problems(cur)
    assert [(t, what) for t, what in problems if t in shards.distributed_tables()] == []
    # Any other table pointing into them is one the README's Citus steps distribute too.
    assert {t for t, _what in problems} <= set(shards.CITUS_CHILD_TABLES)


def test_triggers_that_do_not_fit_citus_are_the_ones_the_readme_handles():
    with connection.cursor() as cur:
        notes = shards.trigger_notes(cur)
    named = {(table, trigger) for table, trigger, _why in notes}
    assert ("people_household", "household_access_inserted") in named  # transition tables
    assert ("incidents_incidenttransition", "incident_history_status_of_step") in named  # constraint trigger
    assert ("people_visit", "visit_last_visit") in named  # writes people_household
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert [t for t in sorted(named) if f"`{t[1]}`" not in readme] == []
