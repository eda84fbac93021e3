"""Django's state after grids 0004_district_partitions partitioned the tables by district:
the district_code fields, keys within a district, and foreign keys kept by the database as
composite (x_id, district_code) keys (db_constraint=False here); and the history guard
reads partitions' names (sql/0003_history_guard_partitions.sql)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0004_district_partitions'),
        ('incidents', '0006_photos'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(
                model_name='incident',
                name='incident_external_key',
            ),
            migrations.AddField(
                model_name='incident',
                name='district_code',
                field=models.CharField(default='000000', editable=False, help_text='所在区的6位区划代码，000000 表示不在任何区内', max_length=6, verbose_name='区划代码'),
                preserve_default=False,
            ),
            migrations.AddField(
                model_name='incidenttransition',
                name='district_code',
                field=models.CharField(default='000000', editable=False, help_text='所在区的6位区划代码，000000 表示不在任何区内', max_length=6, verbose_name='区划代码'),
                preserve_default=False,
            ),
            migrations.AlterField(
                model_name='incident',
                name='client_id',
                field=models.UUIDField(blank=True, editable=False, null=True, verbose_name='客户端编号'),
            ),
            migrations.AlterField(
                model_name='incident',
                name='duplicate_of',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='merged', to='incidents.incident', verbose_name='重复于'),
            ),
            migrations.AlterField(
                model_name='incidentphoto',
                name='incident',
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='photos', to='incidents.incident', verbose_name='事件'),
            ),
            migrations.AlterField(
                model_name='incidentreport',
                name='incident',
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='reports', to='incidents.incident', verbose_name='事件'),
            ),
            migrations.AlterField(
                model_name='incidenttransition',
                name='incident',
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='transitions', to='incidents.incident', verbose_name='事件'),
            ),
            migrations.AlterField(
                model_name='incidenturge',
                name='incident',
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='urges', to='incidents.incident', verbose_name='事件'),
            ),
            migrations.AlterField(
                model_name='notification',
                name='incident',
                field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='incidents.incident', verbose_name='事件'),
            ),
            migrations.AddConstraint(
                model_name='incident',
                constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('external_id', 'district_code'), name='incident_external_key'),
            ),
            migrations.AddConstraint(
                model_name='incident',
                constraint=models.UniqueConstraint(fields=('client_id', 'district_code'), name='incidents_incident_client_id_key'),
            ),

        ]),
        run_sql_file(__file__, "0003_history_guard_partitions"),
    ]
