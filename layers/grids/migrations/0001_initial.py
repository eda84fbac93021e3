import django.contrib.gis.db.models.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations, models

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        CreateExtension("postgis"),
        CreateExtension("pgrouting"),
        migrations.CreateModel(
            name='Community',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=12, unique=True, verbose_name='社区代码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('geom', django.contrib.gis.db.models.fields.MultiPolygonField(spatial_index=False, srid=4326, verbose_name='范围')),
            ],
            options={
                'verbose_name': '社区',
                'verbose_name_plural': '社区',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='District',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=6, unique=True, verbose_name='区划代码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('geom', django.contrib.gis.db.models.fields.MultiPolygonField(spatial_index=False, srid=4326, verbose_name='范围')),
                ('source', models.CharField(blank=True, max_length=200, verbose_name='来源')),
            ],
            options={
                'verbose_name': '区',
                'verbose_name_plural': '区',
                'ordering': ['code'],
                'indexes': [django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='district_geom_gist')],
                'constraints': [models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='district_geom_valid'), models.CheckConstraint(condition=models.Q(('code__regex', '^[0-9]{6}$')), name='district_code_digits')],
            },
        ),
        migrations.CreateModel(
            name='Grid',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(blank=True, max_length=15, unique=True, verbose_name='网格编码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('geom', django.contrib.gis.db.models.fields.MultiPolygonField(spatial_index=False, srid=4326, verbose_name='范围')),
                ('community', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='grids', to='grids.community', verbose_name='社区')),
            ],
            options={
                'verbose_name': '网格',
                'verbose_name_plural': '网格',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='GridAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('worker', '专职网格员'), ('deputy', '兼职网格员'), ('leader', '网格长')], default='worker', max_length=10, verbose_name='角色')),
                ('since', models.DateField(auto_now_add=True, verbose_name='起始日期')),
                ('grid', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='grids.grid', verbose_name='网格')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grid_assignments', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
            ],
            options={
                'verbose_name': '网格分配',
                'verbose_name_plural': '网格分配',
            },
        ),
        migrations.CreateModel(
            name='Street',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=9, unique=True, verbose_name='街道代码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('geom', django.contrib.gis.db.models.fields.MultiPolygonField(spatial_index=False, srid=4326, verbose_name='范围')),
                ('district', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='streets', to='grids.district', verbose_name='区')),
            ],
            options={
                'verbose_name': '街道',
                'verbose_name_plural': '街道',
                'ordering': ['code'],
            },
        ),
        migrations.AddField(
            model_name='community',
            name='street',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='communities', to='grids.street', verbose_name='街道'),
        ),
        migrations.AddIndex(
            model_name='grid',
            index=django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='grid_geom_gist'),
        ),
        migrations.AddConstraint(
            model_name='grid',
            constraint=models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='grid_geom_valid'),
        ),
        migrations.AddConstraint(
            model_name='grid',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[0-9]{15}$')), name='grid_code_digits'),
        ),
        migrations.AddConstraint(
            model_name='gridassignment',
            constraint=models.UniqueConstraint(fields=('user', 'grid'), name='gridassignment_user_grid_unique'),
        ),
        migrations.AddIndex(
            model_name='street',
            index=django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='street_geom_gist'),
        ),
        migrations.AddConstraint(
            model_name='street',
            constraint=models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='street_geom_valid'),
        ),
        migrations.AddConstraint(
            model_name='street',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[0-9]{9}$')), name='street_code_digits'),
        ),
        migrations.AddIndex(
            model_name='community',
            index=django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='community_geom_gist'),
        ),
        migrations.AddConstraint(
            model_name='community',
            constraint=models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='community_geom_valid'),
        ),
        migrations.AddConstraint(
            model_name='community',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[0-9]{12}$')), name='community_code_digits'),
        ),
        # The one "which grid holds this point" rule and the grid topology check.
        run_sql_file(__file__, "0001_grid_for_point"),
        run_sql_file(__file__, "0001_topology"),
    ]
