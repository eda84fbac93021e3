"""Each district stores its metric CRS: the CGCS2000 3-degree Gauss–Krüger zone of its
centroid (layers.grids.crs), one of EPSG:4534–4554 (a CHECK)."""

from django.db import migrations, models

from layers.grids.crs import ACCEPTED_SRIDS, zone_srids_for_lonlat


def fill_metric_srid(apps, schema_editor) -> None:
    """Existing districts: the zone of their centroid (one statement to read, one per zone to write)."""
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT id, ST_X(c), ST_Y(c) FROM (SELECT id, ST_Centroid(geom) AS c FROM grids_district) d")
        rows = cur.fetchall()
        if not rows:
            return
        srids = zone_srids_for_lonlat([(r[1], r[2]) for r in rows])
        for srid in sorted(set(srids.tolist())):
            ids = [r[0] for r, s in zip(rows, srids.tolist(), strict=True) if s == srid]
            cur.execute("UPDATE grids_district SET metric_srid = %s WHERE id = ANY(%s)", [srid, ids])


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0002_boundary_topology"),
    ]

    operations = [
        migrations.AddField(
            model_name="district",
            name="metric_srid",
            field=models.PositiveIntegerField(null=True, verbose_name="投影坐标系 (EPSG)"),
        ),
        migrations.RunPython(fill_metric_srid, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="district",
            name="metric_srid",
            field=models.PositiveIntegerField(
                blank=True, choices=[(s, f"EPSG:{s}") for s in ACCEPTED_SRIDS],
                help_text="CGCS2000 3度带高斯-克吕格投影, 创建时按区的中心自动选择 (layers.grids.crs)",
                verbose_name="投影坐标系 (EPSG)"),
        ),
        migrations.AddConstraint(
            model_name="district",
            constraint=models.CheckConstraint(condition=models.Q(metric_srid__in=ACCEPTED_SRIDS),
                                              name="district_metric_srid_accepted"),
        ),
    ]
