"""最近走访 kept by the database: a visit raises its household's last_visit (never lowers it)."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_visit_date_rules"),
    ]

    operations = [
        run_sql_file(__file__, "0003_last_visit"),
    ]
