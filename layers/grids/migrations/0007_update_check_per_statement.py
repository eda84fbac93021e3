"""The district check on UPDATE of households once per statement, as on INSERT; the rule and
its message in one function each (sql/0007_update_check_per_statement.sql)."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0006_partition_statement_triggers"),
    ]

    operations = [
        run_sql_file(__file__, "0007_update_check_per_statement"),
    ]
