"""Incidents and their histories drop the plain indexes Django gives three foreign keys, which
other indexes already lead with (issue #15, every report writes one index fewer each): the
grid's (incident_grid_status_idx), the category's (incident_category_time_idx) and a history
step's incident (incidenttransition_last_idx). The foreign keys themselves are untouched
(Django's AlterField would drop and re-validate them, a full scan of the table)."""

import django.db.models.deletion
from django.db import migrations, models

from layers.sqlfiles import drop_indexes

# (table, the foreign key's own index, its column)
TRIMMED = (("incidents_incident", "incidents_incident_grid_id_28cf4a8d", "grid_id"),
           ("incidents_incident", "incidents_incident_category_id_adb8aa70", "category_id"),
           ("incidents_incidenttransition", "incidents_incidenttransition_incident_id_387d12fd", "incident_id"))


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0007_update_check_per_statement'),
        ('incidents', '0007_district_partitions'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='incident',
                    name='category',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='incidents', to='incidents.incidentcategory',
                                            verbose_name='类别'),
                ),
                migrations.AlterField(
                    model_name='incident',
                    name='grid',
                    field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True,
                                            on_delete=django.db.models.deletion.DO_NOTHING, related_name='%(class)ss',
                                            to='grids.grid', verbose_name='网格'),
                ),
                migrations.AlterField(
                    model_name='incidenttransition',
                    name='incident',
                    field=models.ForeignKey(db_constraint=False, db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE, related_name='transitions',
                                            to='incidents.incident', verbose_name='事件'),
                ),
            ],
            database_operations=drop_indexes(TRIMMED),
        ),
    ]
