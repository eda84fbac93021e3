"""数据导入导出 (/data/), the administrator's page: imports and exports go to the background
worker (importers/tasks.py); the page shows their progress, their summary and the file to
download. Only a POST queues work: a GET shows the forms and the jobs, never runs anything."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST

from importers.tasks import EXPORT_FORMATS, EXPORT_LAYERS, IMPORT_LAYERS
from layers.accounts.roles import DATA_PAGES
from layers.accounts.visibility import can_see_pii
from layers.jobs.models import Job
from layers.jobs.services import submit
from layers.pages.forms_data import ExportForm, ImportForm

data_required = permission_required(DATA_PAGES, raise_exception=True)
KINDS = ("importers.import_file", "importers.export_layer")
RECENT = 10


def _page(request: HttpRequest, *, import_form: ImportForm | None = None, export_form: ExportForm | None = None,
          status: int = 200) -> HttpResponse:
    jobs = Job.objects.filter(user=request.user, kind__in=KINDS).order_by("-created_at", "-pk")
    job = None
    if (job_id := request.GET.get("job", "")).isdigit() and len(job_id) < 12:
        mine = Job.objects.all() if request.user.is_superuser else Job.objects.filter(user=request.user)
        job = mine.filter(pk=int(job_id), kind__in=KINDS).first()
    return render(request, "pages/data.html", {
        "import_form": import_form or ImportForm(), "export_form": export_form or ExportForm(),
        "job": job, "jobs": jobs[:RECENT], "may_unmask": can_see_pii(request.user),
    }, status=status)


@login_required
@data_required
def data_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _store_upload(upload) -> str:
    """Save the upload as uploads/<uuid>/<its own name>; return the storage name."""
    name = Path(upload.name.replace("\\", "/")).name
    try:
        name = get_valid_filename(name)
    except SuspiciousFileOperation:  # a name of dots only: keep the extension the form checked
        name = "upload" + Path(name).suffix.lower()
    return default_storage.save(f"uploads/{uuid.uuid4().hex}/{name[-150:]}", upload)


@login_required
@data_required
@require_POST
def data_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, import_form=form, status=400)
    d = form.cleaned_data
    stored = _store_upload(d["file"])
    label = IMPORT_LAYERS[d["layer"]].label
    what = "检查" if d["dry_run"] else "导入"
    job = submit("importers.import_file", key=stored.split("/")[1], user=request.user,
                 label=f"{what}{label}：{Path(stored).name}"[:200],
                 params={"layer": d["layer"], "upload": stored, "crs": d["crs"], "dry_run": d["dry_run"],
                         "allow_no_key": d["allow_no_key"] and d["layer"] == "households"})
    messages.info(request, "文件已上传，已提交后台处理；完成后本页显示结果。")
    return redirect(f"/data/?job={job.pk}")


@login_required
@data_required
@require_POST
def data_export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _page(request, export_form=form, status=400)
    d = form.cleaned_data
    unmasked = d["unmasked"] and can_see_pii(request.user)
    if d["unmasked"] and not unmasked:
        messages.warning(request, "您无权导出完整个人信息，导出文件中的个人信息将脱敏。")
    label = f"导出{EXPORT_LAYERS[d['layer']]}（{EXPORT_FORMATS[d['fmt']].split('（')[0]}）"
    job = submit("importers.export_layer", key=f"{request.user.pk}:{d['layer']}:{d['fmt']}:{int(unmasked)}",
                 user=request.user, label=label, params={"layer": d["layer"], "fmt": d["fmt"], "unmasked": unmasked})
    messages.info(request, "已提交后台导出；完成后本页给出下载链接。")
    return redirect(f"/data/?job={job.pk}")
