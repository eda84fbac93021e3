from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0006_scenarios"),
        ("people", "0002_visit_date_rules"),
        ("grids", "0003_district_metric_srid"),
    ]

    operations = [run_sql_file(__file__, "0003_coverage_version")]
