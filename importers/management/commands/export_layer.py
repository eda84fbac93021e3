"""python manage.py export_layer LAYER FILE: a layer as GeoJSON, GeoPackage, CSV or XLSX.

    python manage.py export_layer households 台账.xlsx                      # masked ledger, all rows
    python manage.py export_layer households 台账.xlsx --user wang          # only wang's grids
    python manage.py export_layer households full.xlsx --user admin --unmasked
    python manage.py export_layer grids grids.gpkg
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from importers.export import ExportError, export_layer
from importers.export_layers import LAYERS
from importers.export_writers import ExportWriteError
from importers.models import ImportRun


class Command(BaseCommand):
    help = (
        "Export a layer (districts, streets, communities, grids, facilities, households, incidents) to .geojson, "
        ".gpkg, .csv or .xlsx with the Chinese headers the importers read back. Personal data is masked unless "
        "--unmasked by a --user allowed to see it; --user also limits households/incidents to that user's grids."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("layer", help=", ".join(LAYERS))
        parser.add_argument("file", help="output file: .geojson, .gpkg, .csv or .xlsx")
        parser.add_argument("--format", choices=["geojson", "gpkg", "csv", "xlsx"], help="when the name does not tell")
        parser.add_argument("--user", help="export as this user: only the rows they may see")
        parser.add_argument("--unmasked", action="store_true",
                            help="full ID numbers, phones and names (needs --user with people.view_household_pii)")

    def handle(self, *args, layer: str, file: str, format: str | None, user: str | None, unmasked: bool,
               **options) -> None:
        account = None
        if user:
            account = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: user}, is_active=True).first()
            if account is None:
                raise CommandError(f"--user: no active user {user!r}")
        try:
            result = export_layer(layer, file, fmt=format, user=account, unmasked=unmasked)
        except (ExportError, ExportWriteError) as e:
            raise CommandError(str(e)) from e
        ImportRun.record_export(result, user=account)
        masked = " (个人信息已脱敏 personal data masked)" if result.masked else ""
        self.stdout.write(self.style.SUCCESS(f"{result.layer}: {result.rows} 行已导出到 exported to {result.path}{masked}"))
