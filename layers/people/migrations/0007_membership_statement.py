"""The priority-group ledger on INSERT kept by a statement trigger with a transition table
(sql/0007_membership_statement.sql): the same entries, one set-based pass per statement."""

from django.db import migrations

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0006_district_partitions'),
    ]

    operations = [
        run_sql_file(__file__, "0007_membership_statement"),
    ]
