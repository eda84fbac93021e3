"""python manage.py import_households FILE [--crs ...] [--allow-no-key] ...: households from a ledger.

    python manage.py import_households 台账.xlsx --crs gcj02 --error-report errors.csv
"""

from __future__ import annotations

from django.core.management.base import CommandParser

from importers.loaders.command import ImportCommand
from importers.loaders.households import HouseholdLoader


class Command(ImportCommand):
    help = (
        "Import households (户) from a CSV/XLSX ledger with 经度/纬度 (or a WKT 几何 column) or a GIS point file. "
        "Rows are matched on 编号 and updated, not duplicated; all-or-nothing unless --skip-invalid."
    )
    loader_class = HouseholdLoader

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--allow-no-key", action="store_true",
                            help="accept rows without 编号: they are created anew on every import")
