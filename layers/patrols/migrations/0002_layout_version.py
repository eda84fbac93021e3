from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_data_version")]

    operations = [run_sql_file(__file__, "0002_layout_version")]
