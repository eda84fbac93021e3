"""Stage time limits (立案, 派遣) per category; 督办/催办 records; linked duplicate reports and merges."""

from decimal import Decimal

import django.contrib.gis.db.models.fields
import django.contrib.postgres.indexes
import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layers.incidents.catalogue import seed_stage_limits


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0004_departments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='incident',
            name='duplicate_of',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='merged', to='incidents.incident', verbose_name='重复于'),
        ),
        migrations.AddField(
            model_name='incidentcategory',
            name='accept_limit_hours',
            field=models.DecimalField(decimal_places=2, default=Decimal('0.25'), help_text='自上报起至立案（或不予立案）', max_digits=6, validators=[django.core.validators.MinValueValidator(0.01)], verbose_name='立案时限(小时)'),
        ),
        migrations.AddField(
            model_name='incidentcategory',
            name='dispatch_limit_hours',
            field=models.DecimalField(decimal_places=2, default=Decimal('0.25'), help_text='自立案起至派遣', max_digits=6, validators=[django.core.validators.MinValueValidator(0.01)], verbose_name='派遣时限(小时)'),
        ),
        migrations.AlterField(
            model_name='incidentcategory',
            name='time_limit_hours',
            field=models.PositiveIntegerField(help_text='自派遣起至核查结案', verbose_name='处置时限(小时)'),
        ),
        migrations.CreateModel(
            name='IncidentReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('description', models.TextField(max_length=2000, validators=[django.core.validators.MaxLengthValidator(2000)], verbose_name='描述')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='地址')),
                ('geom', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='位置')),
                ('reported_at', models.DateTimeField(verbose_name='上报时间')),
                ('reporter_name', models.CharField(blank=True, max_length=50, verbose_name='上报人姓名')),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='incidents.incidentcategory', verbose_name='上报类别')),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reports', to='incidents.incident', verbose_name='事件')),
                ('reporter', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='上报人')),
            ],
            options={
                'verbose_name': '重复上报记录',
                'verbose_name_plural': '重复上报记录',
                'ordering': ['incident', 'reported_at', 'id'],
                'permissions': [('merge_incident', '可合并重复事件')],
                'indexes': [django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='incidentreport_geom_gist')],
                'constraints': [models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='incidentreport_geom_valid')],
            },
        ),
        migrations.CreateModel(
            name='IncidentUrge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('督办', '督办'), ('催办', '催办')], max_length=2, verbose_name='类型')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='说明')),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='urges', to='incidents.incident', verbose_name='事件')),
            ],
            options={
                'verbose_name': '督办催办记录',
                'verbose_name_plural': '督办催办记录',
                'ordering': ['incident', 'at', 'id'],
                'permissions': [('supervise_incident', '可督办事件'), ('urge_incident', '可催办事件')],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['督办', '催办'])), name='incidenturge_kind')],
            },
        ),
        migrations.RunPython(seed_stage_limits, migrations.RunPython.noop),
    ]
