"""Django's state after grids 0004_district_partitions partitioned the tables by district:
the district_code fields, keys within a district, and foreign keys kept by the database as
composite (x_id, district_code) keys (db_constraint=False here). Nothing runs in the database."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0004_district_partitions'),
        ('people', '0005_priority_membership'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(
                model_name='household',
                name='household_external_key',
            ),
            migrations.AddField(
                model_name='household',
                name='district_code',
                field=models.CharField(default='000000', editable=False, help_text='所在区的6位区划代码，000000 表示不在任何区内', max_length=6, verbose_name='区划代码'),
                preserve_default=False,
            ),
            migrations.AddField(
                model_name='visit',
                name='district_code',
                field=models.CharField(default='000000', editable=False, help_text='所在区的6位区划代码，000000 表示不在任何区内', max_length=6, verbose_name='区划代码'),
                preserve_default=False,
            ),
            migrations.AlterField(
                model_name='piiaccesslog',
                name='household',
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, to='people.household', verbose_name='户'),
            ),
            migrations.AlterField(
                model_name='visit',
                name='client_id',
                field=models.UUIDField(blank=True, editable=False, null=True, verbose_name='客户端编号'),
            ),
            migrations.AlterField(
                model_name='visit',
                name='household',
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='people.household', verbose_name='户'),
            ),
            migrations.AddConstraint(
                model_name='household',
                constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('external_id', 'district_code'), name='household_external_key'),
            ),
            migrations.AddConstraint(
                model_name='visit',
                constraint=models.UniqueConstraint(fields=('client_id', 'district_code'), name='people_visit_client_id_key'),
            ),

        ]),
    ]
