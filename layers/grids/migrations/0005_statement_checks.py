"""Bulk writes without per-row lookups (issue #15): the district check on INSERT once per
statement, the child rows' district code by a cached query (sql/0005_statement_checks.sql)."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0004_district_partitions"),
    ]

    operations = [
        run_sql_file(__file__, "0005_statement_checks"),
    ]
