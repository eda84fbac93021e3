"""Recording a visit no longer throws away the cached coverage figures: an UPDATE of households
draws a new coverage data version only when it writes a column coverage reads (see
sql/0005_coverage_version_columns.sql)."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("facilities", "0010_coverage_by_district"), ("grids", "0007_update_check_per_statement")]

    operations = [run_sql_file(__file__, "0005_coverage_version_columns")]
