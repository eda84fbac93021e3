"""数据导入导出 (/data/): imports and exports from the web run in the real background worker,
with progress, a summary and a file to download; a GET never runs them."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from importers.models import ImportRun
from layers.accounts.roles import ADMIN, PLANNER, WORKER, ensure_roles
from layers.jobs.models import Job
from layers.people.models import Household
from tests.importers.conftest import DATA, run
from tests.jobs.worker import qcluster_worker, wait_for_jobs  # noqa: F401 — the fixture `worker`

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(chengdu):
    ensure_roles()  # a transactional test starts from a flushed database
    admin = User.objects.create_user("guanli_web")
    admin.groups.add(Group.objects.get(name=ADMIN))  # 管理员: no full personal data
    other = User.objects.create_user("guanli_other")
    other.groups.add(Group.objects.get(name=ADMIN))
    boss = User.objects.create_superuser("boss_web")
    yield {"admin": admin, "other": other, "boss": boss}
    for job in Job.objects.exclude(result_file=""):  # the files the jobs wrote under MEDIA_ROOT
        folder = Path(job.result_file.path).parent
        job.result_file.delete(save=False)
        with contextlib.suppress(OSError):
            folder.rmdir()  # jobs/<id>/, when empty


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def upload(client: Client, name: str, content: bytes | None = None, **fields):
    data = (DATA / name).read_bytes() if content is None else content
    form = {"layer": "households", "crs": "wgs84", "file": SimpleUploadedFile(name, data), **fields}
    return client.post("/data/import/", form)


def job_of(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:2000]
    job_id = int(response["Location"].rsplit("job=", 1)[1])
    assert response["Location"] == f"/data/?job={job_id}"
    return Job.objects.get(pk=job_id)


def test_a_households_csv_is_imported_by_the_worker_and_summarised_on_the_page(people, worker):
    c = client_for(people["admin"])
    job = job_of(upload(c, "households_wkt.csv"))
    assert job.kind == "importers.import_file" and job.user == people["admin"]
    stored = Path(settings.MEDIA_ROOT) / job.params["upload"]
    assert job.params["upload"].startswith("uploads/") and stored.name == "households_wkt.csv"
    wait_for_jobs(worker)
    job.refresh_from_db()
    assert job.state == "done" and job.progress == 100, job.message
    assert job.result["created"] == 3 and job.result["rejected"] == 0 and job.result["written"]
    assert job.result["rows_read"] == 3
    assert set(Household.objects.values_list("external_id", flat=True)) == {"JJ-CX-00001", "JJ-CX-00002",
                                                                            "JJ-CX-00003"}
    assert not stored.parent.exists()  # the uploaded ledger is not kept once imported
    logged = ImportRun.objects.get(kind="import", layer="households")
    assert logged.user == people["admin"] and logged.created == 3
    page = c.get(f"/data/?job={job.pk}").content.decode()
    assert "户 households_wkt.csv：新增 3，更新 0，未变 0，拒绝 0 — 已写入" in page
    assert 'id="job-progress"' in page and "gridmap/jobprogress" in page
    assert "最近的导入导出任务" in page and f"?job={job.pk}" in page
    status = c.get(f"/jobs/{job.pk}/").json()
    assert status["state"] == "done" and status["download"] is None


def test_a_bad_row_writes_nothing_and_the_error_report_downloads(people, worker):
    c = client_for(people["admin"])
    job = job_of(upload(c, "households_ledger.xlsx"))
    wait_for_jobs(worker)
    job.refresh_from_db()
    assert job.state == "failed"
    assert "导入被拒绝：1 行有错误，未写入任何数据" in job.message and "第 6 行 身份证号" in job.message
    assert Household.objects.count() == 0 and not ImportRun.objects.filter(layer="households").exists()
    first = job.result["errors"][0]
    assert (first["row"], first["field"], first["where"]) == ("6", "身份证号", "行")
    assert "Excel 存成了数字" in first["reason"]
    page = c.get(f"/data/?job={job.pk}").content.decode()
    assert 'id="job-errors"' in page and "身份证号" in page and "下载完整错误报告" in page
    response = c.get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][:4] == ["households_ledger.xlsx", "row", "6", "身份证号"]
    # The report is the requester's: another administrator does not get it.
    assert client_for(people["other"]).get(f"/jobs/{job.pk}/download/").status_code == 404


def test_a_dry_run_checks_and_writes_nothing(people, worker):
    c = client_for(people["admin"])
    job = job_of(upload(c, "households_wkt.csv", dry_run="on"))
    wait_for_jobs(worker)
    job.refresh_from_db()
    assert job.state == "done" and job.result["created"] == 3 and not job.result["written"]
    assert "仅检查（试运行），未写入" in job.result["summary"]
    assert Household.objects.count() == 0 and not ImportRun.objects.filter(layer="households").exists()


def test_a_refused_file_fails_the_job_with_the_reason(people, worker):
    c = client_for(people["admin"])
    job = job_of(upload(c, "households_wkt.csv", crs=""))  # a CSV has no coordinate system of its own
    wait_for_jobs(worker)
    job.refresh_from_db()
    assert job.state == "failed" and "文件被拒绝，未写入任何数据" in job.message and "--crs" in job.message
    assert Household.objects.count() == 0


def test_export_is_written_for_the_requester_masked_and_logged(people, worker, tmp_path):
    assert run("import_households", DATA / "households_ledger.xlsx", "--crs", "wgs84", "--skip-invalid").ok
    c = client_for(people["admin"])
    response = c.post("/data/export/", {"layer": "households", "fmt": "xlsx", "unmasked": "on"})
    job = job_of(response)
    assert job.kind == "importers.export_layer" and job.params["unmasked"] is False  # no right to full data
    wait_for_jobs(worker)
    job.refresh_from_db()
    assert job.state == "done" and job.result["rows"] == 39 and job.result["masked"], job.message
    download = c.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200 and ".xlsx" in download["Content-Disposition"]
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"".join(download.streaming_content))
    rows = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    stored = Household.objects.get(external_id=row["编号"])
    assert row["身份证号"] == stored.id_number[:4] + "**********" + stored.id_number[-4:]
    assert row["联系电话"] != stored.phone and "****" in row["联系电话"]
    logged = ImportRun.objects.get(kind="export")
    assert logged.user == people["admin"] and logged.rows == 39 and not logged.unmasked
    assert client_for(people["other"]).get(f"/jobs/{job.pk}/download/").status_code == 404
    assert client_for(people["boss"]).get(f"/jobs/{job.pk}/download/").status_code == 200
    page = c.get("/data/").content.decode()
    assert "已导出户 39 行（个人信息已脱敏）" in page and f"/jobs/{job.pk}/download/" in page


def test_workers_and_planners_are_refused(people):
    for role in (WORKER, PLANNER):
        user = User.objects.create_user(f"u_{role}")
        user.groups.add(Group.objects.get(name=role))
        c = client_for(user)
        assert c.get("/data/").status_code == 403
        assert upload(c, "households_wkt.csv").status_code == 403
        assert c.post("/data/export/", {"layer": "households", "fmt": "csv"}).status_code == 403
        assert "数据导入导出" not in c.get("/").content.decode()
    assert "数据导入导出" in client_for(people["admin"]).get("/").content.decode()
    assert not Job.objects.exists()


def test_a_get_never_runs_an_import(people):
    c = client_for(people["admin"])
    query = {"layer": "households", "crs": "wgs84", "file": "households_wkt.csv", "dry_run": ""}
    assert c.get("/data/", query).status_code == 200
    assert c.get("/data/import/", query).status_code == 405
    assert c.get("/data/export/", {"layer": "households", "fmt": "csv"}).status_code == 405
    assert not Job.objects.exists() and Household.objects.count() == 0
    assert not ImportRun.objects.filter(layer="households").exists()


def test_other_extensions_and_oversized_files_are_refused_with_a_message(people, settings):
    c = client_for(people["admin"])
    response = upload(c, "notes.exe", b"MZ")
    assert response.status_code == 400 and "不支持的文件类型“.exe”" in response.content.decode()
    settings.GRIDMAP_UPLOAD_MAX_BYTES = 100
    response = upload(c, "households_wkt.csv")
    assert response.status_code == 400 and "文件太大" in response.content.decode()
    assert not Job.objects.exists()
