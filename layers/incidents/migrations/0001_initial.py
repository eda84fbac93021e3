import django.contrib.gis.db.models.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layers.incidents.catalogue import seed_incident_categories
from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('grids', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='IncidentCategory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='代码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('color', models.CharField(default='#e41a1c', max_length=7, verbose_name='颜色')),
                ('time_limit_hours', models.PositiveIntegerField(verbose_name='处置时限(小时)')),
                ('group', models.CharField(default='社会治理', help_text='数字城管 或 社会治理', max_length=20, verbose_name='体系')),
            ],
            options={
                'verbose_name': '事件类别',
                'verbose_name_plural': '事件类别',
                'ordering': ['group', 'code'],
                'constraints': [models.CheckConstraint(condition=models.Q(('color__regex', '^#[0-9a-fA-F]{6}$')), name='incidentcategory_color_hex')],
            },
        ),
        migrations.CreateModel(
            name='Incident',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('synthetic', models.BooleanField(db_index=True, default=False, verbose_name='合成数据')),
                ('geom', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=4326, verbose_name='位置')),
                ('external_id', models.CharField(blank=True, max_length=64, verbose_name='编号')),
                ('description', models.TextField(verbose_name='描述')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='地址')),
                ('reported_at', models.DateTimeField(db_index=True, verbose_name='上报时间')),
                ('reporter_name', models.CharField(blank=True, max_length=50, verbose_name='上报人姓名')),
                ('status', models.CharField(choices=[('reported', '信息采集'), ('accepted', '立案'), ('dispatched', '派遣'), ('handling', '处理中'), ('feedback', '处理反馈'), ('closed', '核查结案'), ('evaluated', '回访评价'), ('cancelled', '不予立案')], default='reported', max_length=12, verbose_name='状态')),
                ('dispatched_at', models.DateTimeField(blank=True, null=True, verbose_name='派遣时间')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='结案时间')),
                ('satisfaction', models.CharField(blank=True, choices=[('满意', '满意'), ('不满意', '不满意')], max_length=4, verbose_name='回访结果')),
                ('grid', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='%(class)ss', to='grids.grid', verbose_name='网格')),
                ('reporter', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='上报人')),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='incidents', to='incidents.incidentcategory', verbose_name='类别')),
            ],
            options={
                'verbose_name': '事件',
                'verbose_name_plural': '事件',
                'ordering': ['-reported_at'],
            },
        ),
        migrations.CreateModel(
            name='IncidentTransition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(blank=True, choices=[('reported', '信息采集'), ('accepted', '立案'), ('dispatched', '派遣'), ('handling', '处理中'), ('feedback', '处理反馈'), ('closed', '核查结案'), ('evaluated', '回访评价'), ('cancelled', '不予立案')], max_length=12, verbose_name='原状态')),
                ('to_status', models.CharField(choices=[('reported', '信息采集'), ('accepted', '立案'), ('dispatched', '派遣'), ('handling', '处理中'), ('feedback', '处理反馈'), ('closed', '核查结案'), ('evaluated', '回访评价'), ('cancelled', '不予立案')], max_length=12, verbose_name='新状态')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='说明')),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='transitions', to='incidents.incident', verbose_name='事件')),
            ],
            options={
                'verbose_name': '事件流转记录',
                'verbose_name_plural': '事件流转记录',
                'ordering': ['incident', 'at', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='incident',
            index=django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='incident_geom_gist'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['grid', 'status'], name='incident_grid_status_idx'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['category', 'reported_at'], name='incident_category_time_idx'),
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='incident_geom_valid'),
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('external_id',), name='incident_external_key'),
        ),
        run_sql_file(__file__, "0001_incident_linking"),
        migrations.RunPython(seed_incident_categories, migrations.RunPython.noop),
    ]
