"""Priority-group ledgers (台账): PriorityMembership and the trigger on people_household that
keeps it (sql/0005_priority_membership.sql); existing tags are backfilled with an unknown
entry day (entered_on NULL)."""

import django.db.models.deletion
from django.db import migrations, models

from layers.sqlfiles import run_sql_file


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0004_visit_client_id'),
    ]

    operations = [
        migrations.CreateModel(
            name='PriorityMembership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('group', models.CharField(choices=[('低保', '低保户'), ('特困', '特困供养'), ('残疾', '残疾人'), ('独居老人', '独居/空巢老人'), ('高龄', '高龄(80岁以上)'), ('流动人口', '流动人口'), ('下岗失业', '下岗失业'), ('慢性病', '慢性病'), ('有幼儿', '有学龄前儿童')], max_length=10, verbose_name='类别')),
                ('entered_on', models.DateField(blank=True, help_text='空：启用台账前已在册', null=True, verbose_name='纳入日期')),
                ('left_on', models.DateField(blank=True, null=True, verbose_name='退出日期')),
                ('household', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='people.household', verbose_name='户')),
            ],
            options={
                'verbose_name': '重点人群台账记录',
                'verbose_name_plural': '重点人群台账记录',
                'ordering': ['household', 'group', 'entered_on'],
                'indexes': [models.Index(fields=['group', 'entered_on'], name='membership_group_entered'), models.Index(fields=['group', 'left_on'], name='membership_group_left')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('left_on__isnull', True)), fields=('household', 'group'), name='membership_one_open_per_group'), models.CheckConstraint(condition=models.Q(('left_on__isnull', True), ('entered_on__isnull', True), ('left_on__gte', models.F('entered_on')), _connector='OR'), name='membership_left_after_entered')],
            },
        ),
        run_sql_file(__file__, "0005_priority_membership"),
    ]
