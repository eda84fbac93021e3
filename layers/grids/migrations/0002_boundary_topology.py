from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    """Every level of the hierarchy checked like grids: inside its parent, no overlap with a
    sibling, nothing wholly outside or below the sliver tolerance (layers/grids/sql/0002_*.sql)."""

    dependencies = [
        ("grids", "0001_initial"),
    ]

    operations = [
        run_sql_file(__file__, "0002_boundary_topology"),
    ]
