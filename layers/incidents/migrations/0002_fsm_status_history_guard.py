"""Incident.status becomes a protected django-fsm-2 field (no schema change), and the
database guards the history: sql/0002_incident_history_guard.sql, which looks up an
incident's last step on every new one (hence the index)."""

import django_fsm
from django.db import migrations, models

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='incident',
            name='status',
            field=django_fsm.FSMField(choices=[('reported', '信息采集'), ('accepted', '立案'), ('dispatched', '派遣'), ('handling', '处理中'), ('feedback', '处理反馈'), ('closed', '核查结案'), ('evaluated', '回访评价'), ('cancelled', '不予立案')], default='reported', max_length=12, protected=True, verbose_name='状态'),
        ),
        migrations.AddIndex(
            model_name='incidenttransition',
            index=models.Index(fields=['incident', '-id'], name='incidenttransition_last_idx'),
        ),
        run_sql_file(__file__, "0002_incident_history_guard"),
    ]
