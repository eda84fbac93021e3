"""python manage.py backup [--dir DIR] [--keep N]

Writes one dated file DIR/gridmap-YYYYMMDD-HHMMSS.tar holding
  database.dump   pg_dump --format=custom of the app database (compressed)
  media/...       the uploaded files under MEDIA_ROOT
and deletes all but the newest N such files in DIR. Restore with `manage.py restore FILE`.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from layers.ops.pgtools import backups_dir, connection_args, pg_binary

PREFIX = "gridmap-"


def existing_backups(folder: Path) -> list[Path]:
    """The backups in ``folder``, oldest first (the names sort by time)."""
    return sorted(p for p in folder.glob(f"{PREFIX}*.tar") if p.is_file())


class Command(BaseCommand):
    help = "备份数据库（pg_dump）和上传文件到一个带日期的文件，只保留最近 N 份"

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=None, help="备份目录（默认 数据目录/backups）")
        parser.add_argument("--keep", type=int, default=14, help="保留最近几份（默认 14；0 = 全部保留）")
        parser.add_argument("--database", default="default")

    def handle(self, *args, dir: Path | None, keep: int, database: str, **options):
        folder = (dir or backups_dir()).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = folder / f"{PREFIX}{stamp}.tar"
        n = 1
        while target.exists():  # two backups within a second
            n += 1
            target = folder / f"{PREFIX}{stamp}-{n}.tar"
        partial = target.with_suffix(".tar.partial")
        conn_args, env = connection_args(database)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            dump = Path(tmp) / "database.dump"
            result = subprocess.run(
                [pg_binary("pg_dump"), "--format=custom", "--no-owner", "-f", str(dump), *conn_args],
                env=env, capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_dump 失败（pg_dump failed）：{result.stderr.strip()}")
            with tarfile.open(partial, "w") as tar:
                tar.add(dump, arcname="database.dump")
                media = Path(settings.MEDIA_ROOT)
                if media.is_dir():
                    tar.add(media, arcname="media")
        partial.rename(target)
        removed = []
        if keep > 0:
            for old in existing_backups(folder)[:-keep]:
                old.unlink()
                removed.append(old.name)
        size_mb = target.stat().st_size / 1e6
        self.stdout.write(f"备份完成：{target}（{size_mb:.1f} MB）")
        if removed:
            self.stdout.write(f"已删除旧备份：{', '.join(removed)}")
