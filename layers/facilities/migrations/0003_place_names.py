"""The SQL function behind layers/facilities/places.py (sql/0002_places.sql)."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    dependencies = [
        ("facilities", "0002_network_fragments"),
        ("people", "0001_initial"),
    ]

    operations = [run_sql_file(__file__, "0002_places")]
