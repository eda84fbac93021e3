"""A job's status (JSON, polled by the pages) and its result file, for the user who asked."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from layers.jobs.models import Job


def _own_job(request: HttpRequest, pk: int) -> Job:
    jobs = Job.objects.all() if request.user.is_superuser else Job.objects.filter(user=request.user)
    return get_object_or_404(jobs, pk=pk)


@login_required
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = _own_job(request, pk)
    return JsonResponse({
        "id": job.pk, "label": job.label, "state": job.state, "state_label": job.get_state_display(),
        "progress": job.progress, "message": job.message, "finished": job.finished, "result": job.result,
        "download": f"/jobs/{job.pk}/download/" if job.result_file else None,
    })


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _own_job(request, pk)
    if not job.result_file:
        raise Http404("该任务没有结果文件")
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_file.name.rsplit("/", 1)[-1])
