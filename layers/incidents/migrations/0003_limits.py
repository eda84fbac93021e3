"""Incidents: description at most 2,000 characters, reported_at not before 2000 (layers.grids.limits)."""

import django.core.validators
from django.db import migrations, models

import layers.grids.limits


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0002_fsm_status_history_guard'),
    ]

    operations = [
        migrations.AlterField(
            model_name='incident',
            name='description',
            field=models.TextField(max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='描述'),
        ),
        migrations.AlterField(
            model_name='incident',
            name='reported_at',
            field=models.DateTimeField(db_index=True, validators=[layers.grids.limits.validate_not_before_2000], verbose_name='上报时间'),
        ),
    ]
