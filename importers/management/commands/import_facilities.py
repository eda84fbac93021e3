"""python manage.py import_facilities FILE [--crs ...]: service facilities with their type.

    python manage.py import_facilities 设施.xlsx --crs wgs84
    python manage.py import_facilities osm_pois.geojson --mapping 'amenity=type'
"""

from __future__ import annotations

from importers.loaders.command import ImportCommand
from importers.loaders.facilities import FacilityLoader


class Command(ImportCommand):
    help = (
        "Import service facilities (设施): name, type (a FacilityType code or name, a common Chinese name such as "
        "社区医院 or 党群服务中心, or an OSM tag such as amenity=school) and position. Rows are matched on "
        "(来源, 编号) and updated."
    )
    loader_class = FacilityLoader
