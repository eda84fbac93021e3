"""Visit dates: between 2000-01-01 and now (validator), the lower bound also a CHECK.

The CHECK is added NOT VALID: new and updated rows are checked, while rows already stored
with an impossible date (e.g. 0001-01-01, stored as a BC timestamp) do not stop the
migration; ReadableDateTimeField reads them as NULL so that pages show them instead of
answering 500, and an administrator corrects them in the admin.
"""

import datetime

import django.core.validators
from django.conf import settings
from django.db import migrations, models

import layers.grids.limits
import layers.people.models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='visit',
            name='note',
            field=models.TextField(blank=True, max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='记录'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='visited_at',
            field=layers.people.models.ReadableDateTimeField(validators=[layers.grids.limits.validate_event_time], verbose_name='走访时间'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name='visit',
                    constraint=models.CheckConstraint(condition=models.Q(('visited_at__gte', datetime.datetime(1999, 12, 31, 16, 0, tzinfo=datetime.UTC))), name='visit_not_before_2000'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE people_visit ADD CONSTRAINT visit_not_before_2000 "
                    "CHECK (visited_at >= '1999-12-31 16:00:00+00'::timestamptz) NOT VALID",
                    "ALTER TABLE people_visit DROP CONSTRAINT visit_not_before_2000",
                ),
            ],
        ),
    ]
