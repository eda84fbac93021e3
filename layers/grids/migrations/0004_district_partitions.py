"""Partitioned storage (issue #15): households, visits, incidents, their histories and walking
times LIST-partitioned by district_code, one partition per district (layers.grids.partitions).

The functions (0003_district_partitions.sql) come first, then the tables are rebuilt
(0004_partition_tables.sql); the apps' own migrations that follow tell Django's state.
"""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0003_district_metric_srid"),
        ("people", "0005_priority_membership"),
        ("incidents", "0006_photos"),
        ("facilities", "0007_coverage_version"),
    ]

    operations = [
        run_sql_file(__file__, "0003_district_partitions"),
        run_sql_file(__file__, "0004_partition_tables"),
    ]
