from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_limits"),
        ("grids", "0002_boundary_topology"),
        ("facilities", "0002_network_fragments"),
    ]

    operations = [run_sql_file(__file__, "0001_data_version")]
