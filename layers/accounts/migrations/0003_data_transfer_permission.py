from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_page_permissions'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='scope',
            options={'default_permissions': (), 'managed': False, 'permissions': [('view_all_grids', '可查看全部网格'), ('view_all_households', '可查看全部户'), ('view_all_incidents', '可查看全部事件'), ('use_planner', '可使用设施覆盖（规划人员页面与覆盖率接口）'), ('use_patrol', '可使用巡防热点（巡防页面与热点接口）'), ('use_data_transfer', '可使用数据导入导出（网页上传导入与导出下载）')], 'verbose_name': '数据范围', 'verbose_name_plural': '数据范围'},
        ),
    ]
