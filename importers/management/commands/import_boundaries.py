"""python manage.py import_boundaries FILE --level {district,street,community,grid}: polygons.

    python manage.py import_boundaries 网格.zip --level grid --error-report grid_errors.csv
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandParser

from importers.loaders.base import ImportOptions, Loader
from importers.loaders.boundaries import BoundaryLoader
from importers.loaders.boundary_levels import LEVELS
from importers.loaders.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import boundaries (区, 街道, 社区 or 网格 polygons) with their codes and names. Rows are matched on the "
        "code and updated, not duplicated; a grid's community comes from its code, a 社区编码 column or its "
        "location; at every level overlaps with siblings and parts leaving the parent are reported with areas in m², "
        "grid gaps too. A file whose features land outside the district is refused with the --crs to use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--level", required=True, choices=list(LEVELS), help="which level the file holds")
        parser.add_argument("--accept-repairs", action="store_true",
                            help="keep make_valid repairs that change a polygon's area by more than "
                            "GRIDMAP_REPAIR_TOLERANCE (1 %%) or leave its stored children outside it")
        parser.add_argument("--allow-unlink", action="store_true",
                            help="grids: write even when households or incidents would then lie outside every grid")

    def make_loader(self, path: Path, opts: ImportOptions, options: dict) -> Loader:
        return BoundaryLoader(path, opts, level=options["level"])
