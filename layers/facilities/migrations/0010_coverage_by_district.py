"""Coverage reads only the partitions of the district it reports (issue #15): the view
gridmap_household_coverage becomes the function gridmap_household_coverage_in(codes), see
sql/0004_coverage_by_district.sql."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):
    dependencies = [("facilities", "0009_access_index_trim")]

    operations = [run_sql_file(__file__, "0004_coverage_by_district")]
