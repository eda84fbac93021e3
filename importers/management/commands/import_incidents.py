"""python manage.py import_incidents FILE [--crs ...]: incidents from an export or a ledger.

    python manage.py import_incidents 事件导出.csv --crs gcj02 --skip-invalid --error-report bad.csv
"""

from __future__ import annotations

from django.core.management.base import CommandParser

from importers.loaders.command import ImportCommand
from importers.loaders.incidents import IncidentLoader


class Command(ImportCommand):
    help = (
        "Import incidents (事件) with 事件类型, 上报时间 (Asia/Shanghai when no zone is given), 状态 and coordinates. "
        "Rows are matched on 事件编号 and updated; a new incident starts its lifecycle history."
    )
    loader_class = IncidentLoader

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--allow-no-key", action="store_true",
                            help="accept rows without 事件编号: they are created anew on every import")
