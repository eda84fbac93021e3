from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]
    operations = [run_sql_file("0002_grid_linking"), run_sql_file("0003_grid_topology")]
