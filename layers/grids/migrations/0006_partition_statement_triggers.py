"""Every partition carries its parent's statement-level triggers, so that a statement naming a
partition directly is held to the same set-based rules (sql/0006_partition_statement_triggers.sql)."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0005_statement_checks"),
        ("people", "0007_membership_statement"),
        ("facilities", "0008_district_partitions"),
        ("patrols", "0002_layout_version"),
    ]

    operations = [
        run_sql_file(__file__, "0006_partition_statement_triggers"),
    ]
