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
        "location; grid overlaps, gaps and grids leaving their community are reported with areas in m²."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--level", required=True, choices=list(LEVELS), help="which level the file holds")

    def make_loader(self, path: Path, opts: ImportOptions, options: dict) -> Loader:
        return BoundaryLoader(path, opts, level=options["level"])
