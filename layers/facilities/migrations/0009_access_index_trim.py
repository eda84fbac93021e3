"""Walking-time rows keep four indexes instead of seven (issue #15): the plain indexes Django
gives each foreign key repeated others. The household's is the leading column of the unique
(household, type, district), the type's of householdaccess_type_minutes, and the facility's was
householdaccess_facility twice over. Every walking-time row (one per household and type: 150
million at a 10-million-household province) wrote all seven. The foreign keys themselves are
untouched (Django's AlterField would drop and re-validate them, a full scan of the table)."""

import django.db.models.deletion
from django.db import migrations, models

from layers.sqlfiles import drop_indexes

# (table, the foreign key's own index, its column)
TRIMMED = (("facilities_householdaccess", "facilities_householdaccess_household_id_4c8c7065", "household_id"),
           ("facilities_householdaccess", "facilities_householdaccess_facility_type_id_f780800c", "facility_type_id"),
           ("facilities_householdaccess", "facilities_householdaccess_facility_id_e7507bce", "facility_id"))


class Migration(migrations.Migration):

    dependencies = [
        ('facilities', '0008_district_partitions'),
        ('people', '0008_household_grid_cover'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='householdaccess',
                    name='facility',
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.DO_NOTHING, related_name='+',
                                            to='facilities.facility', verbose_name='最近设施'),
                ),
                migrations.AlterField(
                    model_name='householdaccess',
                    name='facility_type',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name='household_access', to='facilities.facilitytype',
                                            verbose_name='设施类型'),
                ),
                migrations.AlterField(
                    model_name='householdaccess',
                    name='household',
                    field=models.ForeignKey(db_constraint=False, db_index=False,
                                            on_delete=django.db.models.deletion.DO_NOTHING, related_name='access',
                                            to='people.household', verbose_name='户'),
                ),
            ],
            database_operations=drop_indexes(TRIMMED),
        ),
    ]
