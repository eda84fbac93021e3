"""The priority-group ledger's statement trigger gives each membership its household's district
code as given (sql/0009_membership_code_given.sql): no lookup per row on a large import."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0008_given_district_code"),
        ("people", "0008_household_grid_cover"),
    ]

    operations = [
        run_sql_file(__file__, "0009_membership_code_given"),
    ]
