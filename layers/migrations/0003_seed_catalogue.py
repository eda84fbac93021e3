from django.db import migrations

from layers import catalogue


class Migration(migrations.Migration):
    dependencies = [("layers", "0002_grid_linking")]
    operations = [migrations.RunPython(catalogue.seed, migrations.RunPython.noop)]
