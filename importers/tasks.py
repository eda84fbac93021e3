"""Imports and exports started from the 数据导入导出 page (/data/), run by the background worker.

``importers.import_file`` runs the same loader as the ``import_*`` commands (all or nothing,
``--dry-run`` as 仅检查): the counts and the first errors (file, row, field, reason) go to the
job's result, every error to a CSV report that becomes the job's file. A refused file fails
the job with the reason; nothing is written. The uploaded file is deleted afterwards: a
ledger of ID numbers and phones is not kept on disk longer than the import needs it.

``importers.export_layer`` writes a layer as the user who asked (their rows, personal data
masked unless they may see it and asked for it), logged like ``export_layer`` (ImportRun).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from importers.export_layers import LAYERS
from importers.loaders.base import ImportOptions, Loader
from importers.loaders.boundaries import BoundaryLoader
from importers.loaders.facilities import FacilityLoader
from importers.loaders.households import HouseholdLoader
from importers.loaders.incidents import IncidentLoader
from layers.jobs.models import Job
from layers.jobs.tasks import JobFailed, job_task

FIRST_ERRORS = 20
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".kml", ".zip")


@dataclass(frozen=True)
class ImportLayer:
    label: str
    loader: type[Loader]
    level: str = ""

    def make(self, path: Path, options: ImportOptions) -> Loader:
        if self.level:
            return BoundaryLoader(path, options, level=self.level)
        return self.loader(path, options)


IMPORT_LAYERS = {
    "street": ImportLayer("街道边界", BoundaryLoader, "street"),
    "community": ImportLayer("社区边界", BoundaryLoader, "community"),
    "grid": ImportLayer("网格边界", BoundaryLoader, "grid"),
    "facilities": ImportLayer("设施", FacilityLoader),
    "households": ImportLayer("户", HouseholdLoader),
    "incidents": ImportLayer("事件", IncidentLoader),
}
EXPORT_LAYERS = {name: layer.chinese for name, layer in LAYERS.items()}
EXPORT_FORMATS = {"xlsx": "Excel 表格（.xlsx）", "csv": "CSV 表格（.csv）", "geojson": "GeoJSON（.geojson）",
                  "gpkg": "GeoPackage（.gpkg）"}
WHERE = {"row": "行", "feature": "要素", "file": "文件"}


def _attach(job: Job, path: Path, name: str) -> str:
    """Store ``path`` as the job's result file (jobs/<id>/<name>); return its storage name."""
    with path.open("rb") as f:
        job.result_file.save(f"{job.pk}/{name}", File(f), save=False)
    # Only this column: the job's state belongs to run_job.
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)
    return job.result_file.name


def _read_errors(report: Path) -> tuple[list[dict], int]:
    """The first errors of the report CSV (file, where, number, field, reason) and how many in all."""
    if not report.exists():
        return [], 0
    with report.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    first = [{"file": r[0].lstrip("'"), "where": WHERE.get(r[1], r[1]), "row": r[2], "field": r[3].lstrip("'"),
              "severity": "错误" if r[5] == "error" else "警告", "reason": r[6].lstrip("'")}
             for r in rows[:FIRST_ERRORS]]
    return first, len(rows)


def _first_error_text(errors: list[dict]) -> str:
    if not errors:
        return ""
    e = errors[0]
    where = f"第 {e['row']} {e['where']}" if e["row"] else "文件"
    field = f" {e['field']}" if e["field"] else ""
    return f"（{where}{field}：{e['reason'][:200]}）"


@job_task("importers.import_file")
def import_file(job, progress, *, layer: str, upload: str, crs: str = "", dry_run: bool = False,
                allow_no_key: bool = False) -> dict:
    """Import the uploaded file ``upload`` (a storage name under uploads/) into ``layer``."""
    kind = IMPORT_LAYERS[layer]
    path = Path(default_storage.path(upload)).resolve()
    if path.parent.parent != Path(default_storage.path("uploads")).resolve():
        raise JobFailed("上传文件不在上传目录中，未导入")  # only uploads/<key>/<name> is removed afterwards

    def tell(stage: str, rows: int, total: int | None) -> None:
        if stage == "read":
            share = rows / total if total else 0.5
            progress(5 + 60 * min(share, 1.0), f"已读取 {rows} 行" + (f"（共 {total} 行）" if total else ""))
        elif stage == "check":
            progress(70, f"已读取 {rows} 行，正在检查")
        else:
            progress(85, f"{rows} 行检查通过，正在写入" if not dry_run else f"{rows} 行检查通过，试写入后撤销")

    progress(2, "正在打开文件")
    failure = ""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "errors.csv"
        options = ImportOptions(crs=crs or None, dry_run=dry_run, allow_no_key=allow_no_key, error_report=report,
                                progress=False, on_progress=tell)
        loader = kind.make(path, options)
        summary: dict = {"layer": layer, "file": path.name, "dry_run": dry_run}
        try:
            from importers.loaders.command import run_import

            result = run_import(loader, user=job.user)
        except ValueError as e:  # ReadError, ColumnError, a bad coordinate system: the file is refused
            result = None
            failure = f"文件被拒绝，未写入任何数据：{e}"
            summary.update(written=False, summary=failure)
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
        if result is not None:
            counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                      "rejected": result.rejected, "warnings": result.warnings}
            summary.update(counts, written=result.written, rows_read=loader.rows_read)
            text = (f"{kind.label} {path.name}：新增 {result.created}，更新 {result.updated}，"
                    f"未变 {result.unchanged}，拒绝 {result.rejected}")
            if result.warnings:
                text += f"，警告 {result.warnings}"
            if result.written:
                text += " — 已写入"
            elif result.refused:
                failure = f"导入被拒绝：{result.rejected} 行有错误，未写入任何数据"
                text += " — 有错误，未写入任何数据（全部或全不）"
            else:
                text += " — 仅检查（试运行），未写入"
            summary["summary"] = text
        errors, total = _read_errors(report)
        summary.update(errors=errors, errors_total=total)
        if total:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            summary["error_report"] = _attach(job, report, f"错误报告_{Path(path.name).stem}_{stamp}.csv")
    Job.objects.filter(pk=job.pk).update(result=summary)
    if failure:
        raise JobFailed(failure + _first_error_text(errors))
    return summary


@job_task("importers.export_layer")
def export_file(job, progress, *, layer: str, fmt: str, unmasked: bool = False) -> dict:
    """Write ``layer`` as ``fmt`` for the job's user: their rows, masked unless ``unmasked``
    and they may see personal data; logged (ImportRun, and PiiAccessLog when unmasked)."""
    from importers.export import ExportError, export_layer
    from importers.export_writers import ExportWriteError
    from importers.models import ImportRun

    user = job.user
    if user is None or not user.is_active:
        raise JobFailed("提交导出的用户已不存在或已停用，未导出")
    progress(5, "正在导出")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{EXPORT_LAYERS[layer]}_{stamp}.{fmt}"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = export_layer(layer, Path(tmp) / name, fmt=fmt, user=user, unmasked=unmasked)
        except (ExportError, ExportWriteError) as e:
            raise JobFailed(f"未导出：{e}") from e
        progress(90, f"已导出 {result.rows} 行，正在保存文件")
        stored = _attach(job, result.path, name)
    ImportRun.record_export(result, user=user, file_name=stored)
    masked = "（个人信息已脱敏）" if result.masked else ("（含完整个人信息，已记录）" if LAYERS[layer].personal else "")
    return {"layer": layer, "format": fmt, "rows": result.rows, "masked": result.masked,
            "summary": f"已导出{EXPORT_LAYERS[layer]} {result.rows} 行{masked}"}
