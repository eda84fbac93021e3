import django.contrib.gis.db.models.fields
import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

from layers.facilities.catalogue import seed_facility_types
from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('people', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessQueue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=12)),
                ('key', models.BigIntegerField()),
                ('queued_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
            ],
            options={
                'verbose_name': '待重算',
                'verbose_name_plural': '待重算',
                'indexes': [models.Index(fields=['kind', 'key'], name='accessqueue_kind_key_idx')],
            },
        ),
        migrations.CreateModel(
            name='FacilityType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='代码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('level_minutes', models.PositiveSmallIntegerField(choices=[(5, '5分钟'), (10, '10分钟'), (15, '15分钟')], verbose_name='生活圈层级(分钟)')),
                ('threshold_minutes', models.PositiveSmallIntegerField(verbose_name='步行时间阈值(分钟)')),
                ('color', models.CharField(default='#3388ff', max_length=7, verbose_name='颜色')),
                ('osm_tags', models.JSONField(blank=True, default=list, help_text='[["amenity", "school"], ...]', verbose_name='OSM 标签')),
                ('sort_order', models.PositiveSmallIntegerField(default=0, verbose_name='排序')),
            ],
            options={
                'verbose_name': '设施类型',
                'verbose_name_plural': '设施类型',
                'ordering': ['sort_order', 'code'],
                'constraints': [models.CheckConstraint(condition=models.Q(('level_minutes__in', [5, 10, 15])), name='facilitytype_level'), models.CheckConstraint(condition=models.Q(('threshold_minutes__gt', 0)), name='facilitytype_threshold_positive'), models.CheckConstraint(condition=models.Q(('color__regex', '^#[0-9a-fA-F]{6}$')), name='facilitytype_color_hex')],
            },
        ),
        migrations.CreateModel(
            name='Facility',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('synthetic', models.BooleanField(db_index=True, default=False, verbose_name='合成数据')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('geom', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=4326, verbose_name='位置')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='地址')),
                ('capacity', models.PositiveIntegerField(blank=True, null=True, verbose_name='容量')),
                ('source', models.CharField(choices=[('osm', 'OpenStreetMap'), ('import', '导入'), ('manual', '手工录入'), ('synthetic', '合成(演示)')], default='manual', max_length=10, verbose_name='来源')),
                ('source_id', models.CharField(blank=True, max_length=100, verbose_name='来源编号')),
                ('type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='facilities', to='facilities.facilitytype', verbose_name='类型')),
            ],
            options={
                'verbose_name': '设施',
                'verbose_name_plural': '设施',
                'ordering': ['type', 'name'],
            },
        ),
        migrations.CreateModel(
            name='HouseholdAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('distance_m', models.FloatField(blank=True, null=True, verbose_name='步行距离(m)')),
                ('minutes', models.FloatField(blank=True, null=True, verbose_name='步行时间(分钟)')),
                ('snap_distance_m', models.FloatField(blank=True, null=True, verbose_name='到路网距离(m)')),
                ('method', models.CharField(choices=[('network', '路网步行距离'), ('buffer', '直线距离缓冲（未加载路网）'), ('offnet', '直线距离缓冲（离路网过远）')], max_length=8, verbose_name='计算方法')),
                ('computed_at', models.DateTimeField(verbose_name='计算时间')),
                ('facility', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='facilities.facility', verbose_name='最近设施')),
                ('facility_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='household_access', to='facilities.facilitytype', verbose_name='设施类型')),
                ('household', models.ForeignKey(on_delete=django.db.models.deletion.DO_NOTHING, related_name='access', to='people.household', verbose_name='户')),
            ],
            options={
                'verbose_name': '户到设施步行时间',
                'verbose_name_plural': '户到设施步行时间',
            },
        ),
        migrations.CreateModel(
            name='NetworkState',
            fields=[
                ('id', models.PositiveSmallIntegerField(db_default=1, default=1, primary_key=True, serialize=False)),
                ('version', models.PositiveIntegerField(db_default=0, default=0, verbose_name='版本')),
                ('source', models.CharField(blank=True, db_default='', default='', max_length=300, verbose_name='来源文件')),
                ('imported_at', models.DateTimeField(blank=True, null=True, verbose_name='导入时间')),
                ('nodes', models.PositiveIntegerField(db_default=0, default=0, verbose_name='节点数')),
                ('edges', models.PositiveIntegerField(db_default=0, default=0, verbose_name='路段数')),
                ('components', models.PositiveIntegerField(db_default=0, default=0, verbose_name='连通分量数')),
                ('largest_component_share', models.FloatField(db_default=0.0, default=0.0, verbose_name='最大连通分量占比')),
            ],
            options={
                'verbose_name': '路网状态',
                'verbose_name_plural': '路网状态',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='networkstate_singleton')],
            },
        ),
        migrations.CreateModel(
            name='SuggestedSite',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rank', models.PositiveSmallIntegerField(verbose_name='序号')),
                ('label', models.CharField(blank=True, max_length=200, verbose_name='候选地块')),
                ('geom', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=4326, verbose_name='位置')),
                ('node_id', models.BigIntegerField(blank=True, null=True, verbose_name='路网节点')),
                ('newly_covered_households', models.PositiveIntegerField(verbose_name='新覆盖户数')),
                ('newly_covered_residents', models.PositiveIntegerField(verbose_name='新覆盖人口')),
                ('covered_before', models.PositiveIntegerField(verbose_name='建设前覆盖户数')),
                ('covered_after', models.PositiveIntegerField(verbose_name='建设后覆盖户数')),
                ('households', models.PositiveIntegerField(verbose_name='总户数')),
                ('threshold_minutes', models.PositiveSmallIntegerField(verbose_name='步行时间阈值(分钟)')),
                ('candidates', models.CharField(max_length=300, verbose_name='候选来源')),
                ('created_at', models.DateTimeField(verbose_name='计算时间')),
                ('facility_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='suggested_sites', to='facilities.facilitytype', verbose_name='设施类型')),
            ],
            options={
                'verbose_name': '建议选址',
                'verbose_name_plural': '建议选址',
                'ordering': ['facility_type', 'rank'],
            },
        ),
        migrations.CreateModel(
            name='WalkEdge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.BigIntegerField(db_index=True)),
                ('target', models.BigIntegerField(db_index=True)),
                ('cost', models.FloatField(verbose_name='正向长度(m)')),
                ('reverse_cost', models.FloatField(verbose_name='反向长度(m)')),
                ('length_m', models.FloatField(verbose_name='长度(m)')),
                ('osm_way_id', models.BigIntegerField(blank=True, null=True)),
                ('highway', models.CharField(blank=True, max_length=40)),
                ('name', models.CharField(blank=True, max_length=200)),
                ('geom', django.contrib.gis.db.models.fields.LineStringField(spatial_index=False, srid=4326)),
            ],
            options={
                'verbose_name': '步行路网路段',
                'verbose_name_plural': '步行路网路段',
                'indexes': [django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='walkedge_geom_gist')],
                'constraints': [models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='walkedge_geom_valid'), models.CheckConstraint(condition=models.Q(('length_m__gte', 0)), name='walkedge_length_nonnegative')],
            },
        ),
        migrations.CreateModel(
            name='WalkNode',
            fields=[
                ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('geom', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=4326)),
            ],
            options={
                'verbose_name': '路网节点',
                'verbose_name_plural': '路网节点',
                'indexes': [django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='walknode_geom_gist')],
            },
        ),
        migrations.CreateModel(
            name='FacilityCircle',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('minutes', models.PositiveSmallIntegerField(verbose_name='步行时间(分钟)')),
                ('geom', django.contrib.gis.db.models.fields.MultiPolygonField(spatial_index=False, srid=4326, verbose_name='服务范围')),
                ('method', models.CharField(choices=[('network', '路网步行距离'), ('buffer', '直线距离缓冲（未加载路网）'), ('offnet', '直线距离缓冲（离路网过远）')], max_length=8, verbose_name='计算方法')),
                ('reach_m', models.FloatField(verbose_name='可达距离(m)')),
                ('walk_speed_m_per_min', models.FloatField(verbose_name='步行速度(m/min)')),
                ('buffer_m', models.FloatField(verbose_name='缓冲宽度(m)')),
                ('snap_distance_m', models.FloatField(blank=True, null=True, verbose_name='到路网距离(m)')),
                ('snapped_edge_id', models.BigIntegerField(blank=True, null=True, verbose_name='吸附路段')),
                ('area_m2', models.FloatField(verbose_name='面积(m²)')),
                ('reached_nodes', django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), blank=True, default=list, size=None)),
                ('network_version', models.PositiveIntegerField(default=0, verbose_name='路网版本')),
                ('computed_at', models.DateTimeField(verbose_name='计算时间')),
                ('facility', models.ForeignKey(on_delete=django.db.models.deletion.DO_NOTHING, related_name='circles', to='facilities.facility', verbose_name='设施')),
            ],
            options={
                'verbose_name': '设施服务圈',
                'verbose_name_plural': '设施服务圈',
                'ordering': ['facility', 'minutes'],
                'indexes': [django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='facilitycircle_geom_gist'), django.contrib.postgres.indexes.GinIndex(fields=['reached_nodes'], name='facilitycircle_nodes_gin')],
                'constraints': [models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='facilitycircle_geom_valid'), models.UniqueConstraint(fields=('facility', 'minutes'), name='facilitycircle_facility_minutes'), models.CheckConstraint(condition=models.Q(('minutes__gt', 0)), name='facilitycircle_minutes_positive')],
            },
        ),
        migrations.AddIndex(
            model_name='facility',
            index=django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='facility_geom_gist'),
        ),
        migrations.AddConstraint(
            model_name='facility',
            constraint=models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='facility_geom_valid'),
        ),
        migrations.AddConstraint(
            model_name='facility',
            constraint=models.UniqueConstraint(condition=models.Q(('source_id', ''), _negated=True), fields=('source', 'source_id'), name='facility_source_key'),
        ),
        migrations.AddIndex(
            model_name='householdaccess',
            index=models.Index(fields=['facility_type', 'minutes'], name='householdaccess_type_minutes'),
        ),
        migrations.AddIndex(
            model_name='householdaccess',
            index=models.Index(fields=['facility'], name='householdaccess_facility'),
        ),
        migrations.AddConstraint(
            model_name='householdaccess',
            constraint=models.UniqueConstraint(fields=('household', 'facility_type'), name='householdaccess_household_type'),
        ),
        migrations.AddIndex(
            model_name='suggestedsite',
            index=django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='suggestedsite_geom_gist'),
        ),
        migrations.AddConstraint(
            model_name='suggestedsite',
            constraint=models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='suggestedsite_geom_valid'),
        ),
        migrations.AddConstraint(
            model_name='suggestedsite',
            constraint=models.UniqueConstraint(fields=('facility_type', 'rank'), name='suggestedsite_type_rank'),
        ),
        run_sql_file(__file__, "0001_access"),
        migrations.RunPython(seed_facility_types, migrations.RunPython.noop),
    ]
