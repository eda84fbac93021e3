"""The options and output every ``import_*`` command shares; the commands stay thin.

Exit status: 0 when everything was written (or checked, with --dry-run), 1 (CommandError)
when the file is refused or rows were rejected without --skip-invalid. With --skip-invalid
the good rows are written, the rejected ones reported, and the exit status is 0.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from importers.columns import ColumnError, parse_mapping_option
from importers.loaders.base import ImportOptions, ImportResult, Loader
from importers.models import ImportRun
from importers.readers import ReadError


def run_import(loader: Loader, *, user=None) -> ImportResult:
    """Run ``loader`` (all or nothing, as its options say) and log the run when it wrote
    (ImportRun). ReadError / ColumnError: the file as a whole was refused, nothing written.
    The import commands and the web page's background job (importers/tasks.py) both use it."""
    result = loader.run()
    if not loader.options.dry_run and result.written:
        ImportRun.record_import(loader, result, user=user)
    return result


class ImportCommand(BaseCommand):
    """Base of the import commands: subclasses set ``loader_class`` and may add arguments."""

    loader_class: type[Loader]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file: .csv, .xlsx, .geojson, .gpkg, .kml, .shp, a shapefile folder or .zip")
        parser.add_argument("--crs", help="coordinate system of the file, overriding the file's own: wgs84, cgcs2000, "
                            "gcj02 (Amap/Gaode, Tencent), bd09 (Baidu), EPSG:4523 ...; required for CSV/XLSX")
        parser.add_argument("--encoding", help="text encoding of a CSV (or of a shapefile without .cpg): utf-8, gbk, "
                            "gb18030; detected when left out")
        parser.add_argument("--mapping", "--map", dest="mapping", default="",
                            help="column names the importer does not recognise: 'HEADER=field,...', e.g. '经度坐标=lon'")
        parser.add_argument("--layer", dest="gis_layer", help="layer of a GeoPackage/KML, or shapefile of a folder/zip")
        parser.add_argument("--sheet", help="sheet of an .xlsx workbook (default: the first)")
        parser.add_argument("--dry-run", action="store_true", help="run every check and write nothing")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="write the good rows and report the others (default: one bad row, nothing written)")
        parser.add_argument("--error-report", type=Path, help="write every rejected row and warning to this CSV file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def options_from(self, options: dict) -> ImportOptions:
        try:
            mapping = parse_mapping_option(options["mapping"], option="--mapping") if options["mapping"] else {}
        except ColumnError as e:
            raise CommandError(str(e)) from e
        return ImportOptions(
            crs=options["crs"], encoding=options["encoding"], mapping=mapping, gis_layer=options["gis_layer"],
            sheet=options["sheet"], dry_run=options["dry_run"], skip_invalid=options["skip_invalid"],
            allow_no_key=options.get("allow_no_key", False), accept_repairs=options.get("accept_repairs", False),
            allow_unlink=options.get("allow_unlink", False), error_report=options["error_report"],
            progress=False if options["no_progress"] else None,
        )

    def make_loader(self, path: Path, opts: ImportOptions, options: dict) -> Loader:
        return self.loader_class(path, opts)

    def handle(self, *args, **options) -> None:
        opts = self.options_from(options)
        loader = self.make_loader(Path(options["file"]), opts, options)
        try:
            result = run_import(loader)
        except (ReadError, ColumnError) as e:
            raise CommandError(str(e)) from e
        self.show(result)
        if result.refused:
            msg = (f"导入被拒绝 (import refused): {result.rejected} 行被拒绝, 未写入任何数据 (rejected rows, nothing "
                   "written); fix them or use --skip-invalid; --error-report FILE lists them all")
            raise CommandError(msg)

    def show(self, result: ImportResult) -> None:
        for note in result.notes:
            self.stdout.write(note)
        for line in result.issues:
            self.stderr.write(line)
        style = self.style.SUCCESS if result.written else self.style.WARNING
        self.stdout.write(style(result.summary()))
