import django.contrib.gis.db.models.fields
import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('grids', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Household',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('synthetic', models.BooleanField(db_index=True, default=False, verbose_name='合成数据')),
                ('geom', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=4326, verbose_name='位置')),
                ('external_id', models.CharField(blank=True, max_length=64, verbose_name='编号')),
                ('address', models.CharField(max_length=300, verbose_name='地址')),
                ('residents', models.PositiveSmallIntegerField(default=1, verbose_name='人口数')),
                ('head_name', models.CharField(max_length=50, verbose_name='户主姓名')),
                ('id_number', models.CharField(blank=True, max_length=18, verbose_name='身份证号')),
                ('phone', models.CharField(blank=True, max_length=20, verbose_name='联系电话')),
                ('tags', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('低保', '低保户'), ('特困', '特困供养'), ('残疾', '残疾人'), ('独居老人', '独居/空巢老人'), ('高龄', '高龄(80岁以上)'), ('流动人口', '流动人口'), ('下岗失业', '下岗失业'), ('慢性病', '慢性病'), ('有幼儿', '有学龄前儿童')], max_length=10), blank=True, default=list, size=None, verbose_name='标签')),
                ('last_visit', models.DateField(blank=True, null=True, verbose_name='最近走访')),
                ('grid', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='%(class)ss', to='grids.grid', verbose_name='网格')),
            ],
            options={
                'verbose_name': '户',
                'verbose_name_plural': '户',
                'ordering': ['id'],
                'permissions': [('view_household_pii', '可查看户的完整身份证号和电话')],
            },
        ),
        migrations.CreateModel(
            name='PiiAccessLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                ('via', models.CharField(help_text='页面、接口或导出', max_length=100, verbose_name='途径')),
                ('household', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='people.household', verbose_name='户')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL, verbose_name='查看人')),
            ],
            options={
                'verbose_name': '个人信息查看记录',
                'verbose_name_plural': '个人信息查看记录',
                'ordering': ['-at'],
                'default_permissions': ('view',),
            },
        ),
        migrations.CreateModel(
            name='Visit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('visited_at', models.DateTimeField(verbose_name='走访时间')),
                ('kind', models.CharField(choices=[('routine', '日常走访'), ('care', '帮扶慰问'), ('check', '信息核查'), ('followup', '事件回访')], default='routine', max_length=10, verbose_name='类型')),
                ('note', models.TextField(blank=True, verbose_name='记录')),
                ('household', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='people.household', verbose_name='户')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL, verbose_name='网格员')),
            ],
            options={
                'verbose_name': '走访记录',
                'verbose_name_plural': '走访记录',
                'ordering': ['-visited_at'],
            },
        ),
        migrations.AddIndex(
            model_name='household',
            index=django.contrib.postgres.indexes.GistIndex(fields=['geom'], name='household_geom_gist'),
        ),
        migrations.AddConstraint(
            model_name='household',
            constraint=models.CheckConstraint(condition=models.Q(('geom__isvalid', True)), name='household_geom_valid'),
        ),
        migrations.AddConstraint(
            model_name='household',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('external_id',), name='household_external_key'),
        ),
        migrations.AddConstraint(
            model_name='household',
            constraint=models.CheckConstraint(condition=models.Q(('residents__gte', 1)), name='household_residents_positive'),
        ),
        run_sql_file(__file__, "0001_household_linking"),
    ]
