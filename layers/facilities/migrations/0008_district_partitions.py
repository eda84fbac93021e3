"""Django's state after grids 0004_district_partitions partitioned the tables by district:
the district_code fields, keys within a district, and foreign keys kept by the database as
composite (x_id, district_code) keys (db_constraint=False here). Nothing runs in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0004_district_partitions'),
        ('facilities', '0007_coverage_version'),
        ('people', '0005_priority_membership'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(
                model_name='householdaccess',
                name='householdaccess_household_type',
            ),
            migrations.AddField(
                model_name='householdaccess',
                name='district_code',
                field=models.CharField(default='000000', editable=False, help_text='所在区的6位区划代码，000000 表示不在任何区内', max_length=6, verbose_name='区划代码'),
                preserve_default=False,
            ),
            migrations.AlterField(
                model_name='householdaccess',
                name='household',
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='access', to='people.household', verbose_name='户'),
            ),
            migrations.AddConstraint(
                model_name='householdaccess',
                constraint=models.UniqueConstraint(fields=('household', 'facility_type', 'district_code'), name='householdaccess_household_type'),
            ),

        ]),
    ]
