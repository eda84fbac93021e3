"""/health/: no login, no data, 200 when healthy and 503 with reasons when the database is down."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_health_is_200_without_login_and_says_what_it_checked(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["migrations"] == "ok"
    assert body["queue"] == "ok"
    assert body["walking_times_refreshed"] is None  # no walking times computed in an empty database
    assert set(body) == {"status", "database", "migrations", "queue", "walking_times_refreshed"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_health_reports_the_latest_walking_time_refresh(client):
    from layers.ops.views import _access_model

    model = _access_model()
    assert model is not None and model.__name__ == "HouseholdAccess"
    assert "computed_at" in {f.name for f in model._meta.get_fields()}


@pytest.mark.django_db(transaction=True)
def test_health_is_503_when_the_database_cannot_be_reached(client, tmp_path):
    # A real failed connection: the server's socket is looked for in an empty folder.
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = str(tmp_path), "5999"
    try:
        response = client.get("/health/")
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = saved
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "unreachable"
    assert any("数据库" in reason for reason in body["reasons"])
    assert str(tmp_path) not in response.content.decode()  # no connection details leak out


def test_health_counts_unapplied_migrations(client, monkeypatch):
    from layers.ops import views

    monkeypatch.setattr(views, "unapplied_migrations", lambda: 2)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["migrations"] == "2 unapplied"


def test_health_is_503_when_jobs_wait_and_no_worker_takes_them(client):
    import datetime as dt

    from django.utils import timezone

    from layers.jobs.models import Job

    job = Job.objects.create(kind="facilities.access_refresh", label="更新步行时间与服务圈")
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=11))
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["queue"] == "stuck" and any("后台任务" in reason for reason in body["reasons"])
