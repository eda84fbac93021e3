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
    """Needs the partition schema of issue #15: district_code on every table, primary keys and
    unique indexes (id, district_code), foreign keys among them through district_code."""
    with connection.cursor() as cur:
        problems = shards.citus_problems(cur)
        assert [p for p in problems if "不含" in p[1] or "没有" in p[1] or "未以" in p[1] or "不存在" in p[1]] == []
        children = shards.citus_problems(cur, shards.distributed_tables() + shards.CITUS_CHILD_TABLES)
        assert not [p for p in children if "没有分布列" in p[1] or "未以" in p[1] or "既非" in p[1]]


def test_the_citus_script_leaves_nothing_citus_would_refuse():
    """Steps 1–3 of `shard_district --citus-sql` (keys, foreign keys, triggers) run on this
    database; then the catalogue holds nothing create_distributed_table / create_reference_table
    would refuse (steps 4–5 need Citus itself)."""
    with connection.cursor() as cur:
        script = shards.citus_script(cur)
        assert any(s.startswith("ALTER TABLE people_visit DROP CONSTRAINT") for s in script)
        before = script.index("-- 4. 目录与边界：参考表（每个节点一份）")
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in script[:before]:
            if not statement.startswith("--"):
                cur.execute(statement.split("  -- ")[0])
        everything = shards.distributed_tables() + shards.CITUS_CHILD_TABLES
        assert shards.citus_problems(cur, everything) == []
        left = shards.trigger_notes(cur, everything)
        assert [n for n in left if any(k in n[2] for k in ("过渡表", "序列", "参考表上的触发器"))] == []
        assert "create_distributed_table('people_visit', 'district_code', colocate_with => 'people_household')" \
            in "\n".join(script[before:])


def test_triggers_that_do_not_fit_citus_are_the_ones_the_readme_handles():
    with connection.cursor() as cur:
        notes = shards.trigger_notes(cur)
    named = {(table, trigger) for table, trigger, _why in notes}
    assert ("people_household", "household_access_inserted") in named  # transition tables
    assert ("incidents_incidenttransition", "incident_history_status_of_step") in named  # constraint trigger
    assert ("people_visit", "visit_last_visit") in named  # writes people_household
    assert ("grids_grid", "grid_relink_households") in named  # a reference table's trigger writing households
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert [t for t in sorted(named) if f"`{t[1]}`" not in readme] == []
