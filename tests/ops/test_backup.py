"""backup → restore round trip on the real server, and restore's refusal to overwrite."""

from __future__ import annotations

import tarfile

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import CommandError, call_command

from layers.grids.models import Community, Grid
from layers.people.models import Household
from tests.factories import point, two_grids
from tests.ops.conftest import connect as _connect

TABLES = ["auth_user", "grids_community", "grids_grid", "people_household", "django_migrations"]


def _counts(dbname: str) -> dict[str, int]:
    conn = _connect(dbname)
    try:
        with conn.cursor() as cur:
            counts = {}
            for table in TABLES:
                cur.execute(f"SELECT count(*) FROM {table}")
                counts[table] = cur.fetchone()[0]
            return counts
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(tmp_path, settings, empty_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "photos").mkdir(parents=True)
    (settings.MEDIA_ROOT / "photos" / "a.txt").write_text("现场照片")
    User.objects.create_user("backup-user", password="x")
    community, west, _east = two_grids()
    Household.objects.create(geom=point(104.065, 30.655), address="测试路1号", residents=3, head_name="张三")
    expected = _counts(settings.DATABASES["default"]["NAME"])
    assert expected["grids_grid"] == Grid.objects.count() == 2
    assert expected["grids_community"] == Community.objects.count() == 1

    for _ in range(3):
        call_command("backup", dir=tmp_path / "backups", keep=2, verbosity=0)
    files = sorted((tmp_path / "backups").glob("gridmap-*.tar"))
    assert len(files) == 2  # --keep 2
    with tarfile.open(files[-1]) as tar:
        names = tar.getnames()
    assert "database.dump" in names and "media/photos/a.txt" in names

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    cache.set("gridmap:coverage:v7", "computed from data the backup does not hold")
    call_command("restore", str(files[-1]), dbname=empty_database, verbosity=0)
    assert cache.get("gridmap:coverage:v7") is None  # the sequences went back: no cached answer survives
    assert _counts(empty_database) == expected
    assert (settings.MEDIA_ROOT / "photos" / "a.txt").read_text() == "现场照片"


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_gridmap_tables(tmp_path):
    call_command("backup", dir=tmp_path, keep=0, verbosity=0)
    backup = next(tmp_path.glob("gridmap-*.tar"))
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(backup))
