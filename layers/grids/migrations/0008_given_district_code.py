"""A child row's district code taken as given when its writer copied it from the parent rows of
the same statement, instead of a lookup per row (sql/0008_given_district_code.sql)."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0007_update_check_per_statement"),
    ]

    operations = [
        run_sql_file(__file__, "0008_given_district_code"),
    ]
