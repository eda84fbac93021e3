"""The import run every loader shares: open the file, check every chunk, check the file as a
whole, then write everything in one transaction — or nothing.

- All-or-nothing by default: one rejected row and nothing is written.
- ``skip_invalid``: the good rows are written, the others reported.
- ``dry_run``: every check and every write runs, then the transaction is rolled back (so
  the counts are what a real run would give, database triggers included).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, transaction
from tqdm import tqdm

from importers.readers import CHUNK_ROWS, Chunk, ReadError, Source, open_source
from importers.report import Report


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for on the command line (see the import_* commands)."""

    crs: str | None = None
    encoding: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    gis_layer: str | None = None
    sheet: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    allow_no_key: bool = False
    accept_repairs: bool = False  # boundaries: keep make_valid repairs that change the area or strand children
    allow_unlink: bool = False  # grids: write even if households/incidents end up in no grid
    error_report: Path | None = None
    progress: bool | None = None  # None: only on a terminal
    trigger_linking: bool = False  # link points to grids row by row in the trigger (slower; for comparison)
    chunk_rows: int = CHUNK_ROWS
    mapping_option: str = "--mapping"
    # Told how far the run is: ("read", rows read, total rows or None) after each chunk, then
    # ("check", rows, total) and ("write", rows, total); the web import's job shows it.
    on_progress: Callable[[str, int, int | None], None] | None = None


@dataclass
class ImportResult:
    """Counts and messages of one import; ``summary()`` is the line printed at the end."""

    file_name: str
    what: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    written: bool = False
    dry_run: bool = False
    skip_invalid: bool = False
    notes: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = (f"{self.what} {self.file_name}: 新增 created {self.created}, 更新 updated {self.updated}, "
                  f"未变 unchanged {self.unchanged}, 拒绝 rejected {self.rejected}")
        if self.warnings:
            counts += f", 警告 warnings {self.warnings}"
        if self.written:
            return counts + " — 已写入 written"
        if self.refused:
            return counts + (" — 未写入任何数据 (nothing written: fix the rejected rows, or use --skip-invalid "
                             "to write the others)")
        return counts + " — 试运行, 未写入 (dry run: nothing written)"

    @property
    def refused(self) -> bool:
        """True when rejected rows stopped the whole import (all-or-nothing, no --skip-invalid)."""
        return self.rejected > 0 and not self.skip_invalid


class Loader:
    """Base of the layer loaders. Subclasses set ``layer`` and ``what`` and implement
    :meth:`prepare`, :meth:`take`, :meth:`check` and :meth:`apply`."""

    layer: str = ""
    what: str = ""

    def __init__(self, path: str | Path, options: ImportOptions | None = None) -> None:
        self.path = Path(path)
        self.options = options or ImportOptions()
        self.rows_read = 0

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> ImportResult:
        """Import the file; ReadError when the file as a whole is refused."""
        opts = self.options
        result = ImportResult(self.path.name, self.what, dry_run=opts.dry_run, skip_invalid=opts.skip_invalid)
        with Report(self.path.name, "row", opts.error_report) as report:
            try:
                with self.open() as source:
                    report.label = source.label
                    result.notes = list(source.notes)
                    with transaction.atomic():
                        self._run(source, report, result)
            except ReadError as e:
                report.file_error(str(e))
                raise
            except DatabaseError as e:
                # The last line of defence: a value no check caught reached the database and was
                # refused (the transaction is rolled back: nothing written). The user gets the
                # database's reason, not a traceback.
                reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                msg = (f"{self.path.name}: 数据库拒绝了该文件, 未写入任何数据 (the database refused the file, nothing "
                       f"written: {reason[:300]})")
                report.file_error(msg)
                raise ReadError(msg) from e
            result.rejected, result.warnings = report.rejected, report.warnings
            result.issues = report.screen_lines()
        return result

    def open(self) -> Source:
        opts = self.options
        return open_source(self.path, layer=self.layer, crs=opts.crs, encoding=opts.encoding, mapping=opts.mapping,
                           gis_layer=opts.gis_layer, sheet=opts.sheet, option=opts.mapping_option)

    def _run(self, source: Source, report: Report, result: ImportResult) -> None:
        self.prepare(source, report)
        for chunk in self._progress(source):
            self.rows_read += len(chunk) + len(chunk.issues)
            self.take(chunk, report)
            self._tell("read", source)
        if self.rows_read == 0:
            raise ReadError(f"{self.path.name}: 文件没有数据行 (no data rows below the header)")
        self._tell("check", source)
        self.check(report)
        refused = report.rejected > 0 and not self.options.skip_invalid
        if not refused:
            self._tell("write", source)
            self.apply(result)
            result.notes += self.after_apply()
            # The database may still refuse rows (triggers): all-or-nothing holds for those too.
            refused = report.rejected > 0 and not self.options.skip_invalid
        self.cleanup()
        if refused or self.options.dry_run:
            transaction.set_rollback(True)
        else:
            result.written = True

    def _tell(self, stage: str, source: Source) -> None:
        if self.options.on_progress is not None:
            self.options.on_progress(stage, self.rows_read, source.total)

    def _progress(self, source: Source) -> Iterator[Chunk]:
        bar = tqdm(total=source.total, unit=source.label, desc=self.path.name, file=sys.stderr,
                   disable=None if self.options.progress is None else not self.options.progress, leave=False)
        with bar:
            for chunk in source.chunks(self.options.chunk_rows):
                bar.update(len(chunk) + len(chunk.issues))
                yield chunk

    # --- what each layer does -----------------------------------------------------------------

    def prepare(self, source: Source, report: Report) -> None:
        """Before the first chunk: file-level checks, lookups, staging tables."""

    def take(self, chunk: Chunk, report: Report) -> None:
        """Check one chunk, report its bad rows, stage the good ones."""
        raise NotImplementedError

    def check(self, report: Report) -> None:
        """After the last chunk: checks across rows (duplicate keys, extent, topology)."""

    def apply(self, result: ImportResult) -> None:
        """Write the staged rows; fill created / updated / unchanged."""
        raise NotImplementedError

    def after_apply(self) -> list[str]:
        """Notes about the written rows (e.g. how many fell outside every grid)."""
        return []

    def cleanup(self) -> None:
        """Drop staging tables (a dry run or a test may run several imports in one transaction)."""
