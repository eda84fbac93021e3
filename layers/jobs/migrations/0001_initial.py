import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Job',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=60, verbose_name='任务')),
                ('key', models.CharField(blank=True, default='', max_length=200, verbose_name='对象')),
                ('label', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('state', models.CharField(choices=[('queued', '排队中'), ('running', '运行中'), ('done', '已完成'), ('failed', '失败')], default='queued', max_length=8, verbose_name='状态')),
                ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='进度(%)')),
                ('message', models.CharField(blank=True, max_length=500, verbose_name='消息')),
                ('params', models.JSONField(blank=True, default=dict, verbose_name='参数')),
                ('result', models.JSONField(blank=True, default=dict, verbose_name='结果')),
                ('result_file', models.FileField(blank=True, upload_to='jobs/', verbose_name='结果文件')),
                ('queue_task', models.CharField(blank=True, default='', max_length=40, verbose_name='队列任务')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='提交时间')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='开始时间')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='提交人')),
            ],
            options={
                'verbose_name': '后台任务',
                'verbose_name_plural': '后台任务',
                'ordering': ['-created_at'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('state', 'queued')), fields=('kind', 'key'), name='job_one_queued_per_key'), models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='job_progress_percent')],
            },
        ),
    ]
