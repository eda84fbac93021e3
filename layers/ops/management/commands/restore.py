"""python manage.py restore FILE [--force] [--dbname NAME]

Restores a file written by `manage.py backup` into the app database (or, with --dbname,
another database on the same server), which must be empty: gridmap refuses to restore over
a database that already has its tables unless --force is given (then the dump's objects are
dropped and recreated). The uploaded files go back under MEDIA_ROOT.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import psycopg2
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from layers.ops.pgtools import connection_args, pg_binary


def gridmap_tables(alias: str, dbname: str) -> list[str]:
    """The tables of gridmap's models (and django_migrations) that exist in ``dbname``."""
    db = settings.DATABASES[alias]
    try:
        conn = psycopg2.connect(host=db.get("HOST") or None, port=db.get("PORT") or None,
                                user=db.get("USER") or None, password=db.get("PASSWORD") or None, dbname=dbname)
    except psycopg2.OperationalError as e:
        raise CommandError(f"无法连接数据库 {dbname}（cannot connect）：{e}".strip()) from e
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            present = {row[0] for row in cur.fetchall()}
    finally:
        conn.close()
    ours = {m._meta.db_table for m in apps.get_models()} | {"django_migrations"}
    return sorted(present & ours)


def _safe_members(tar: tarfile.TarFile, prefix: str) -> list[tarfile.TarInfo]:
    members = []
    for m in tar.getmembers():
        if m.name == prefix or m.name.startswith(prefix + "/"):
            parts = Path(m.name).parts
            if m.name.startswith("/") or ".." in parts or not (m.isfile() or m.isdir()):
                raise CommandError(f"备份文件中有不安全的路径（unsafe member）：{m.name}")
            members.append(m)
    return members


class Command(BaseCommand):
    help = "从 backup 生成的文件恢复数据库和上传文件（目标数据库须为空，或加 --force）"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--force", action="store_true", help="目标数据库已有 gridmap 数据表时仍然覆盖")
        parser.add_argument("--dbname", default=None, help="恢复到同一服务器上的另一个数据库")
        parser.add_argument("--database", default="default")

    def handle(self, *args, file: Path, force: bool, dbname: str | None, database: str, **options):
        if not file.is_file():
            raise CommandError(f"找不到备份文件：{file}")
        target = dbname or str(settings.DATABASES[database]["NAME"])
        existing = gridmap_tables(database, target)
        if existing and not force:
            raise CommandError(
                f"数据库 {target} 已有 gridmap 数据表（{len(existing)} 张，如 {', '.join(existing[:3])}），"
                "未恢复。请恢复到新建的空数据库，或加 --force 覆盖现有数据。"
                f" (database {target} already holds gridmap tables; use an empty database or --force)"
            )
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(file) as tar:
            try:
                dump_member = tar.getmember("database.dump")
            except KeyError as e:
                raise CommandError(f"{file} 不是 gridmap 备份文件（no database.dump inside）") from e
            tar.extract(dump_member, tmp, filter="data")
            conn_args, env = connection_args(database, dbname=target)
            cmd = [pg_binary("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", *conn_args]
            if existing:
                cmd += ["--clean", "--if-exists"]
            result = subprocess.run([*cmd, str(Path(tmp) / "database.dump")], env=env,
                                    capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise CommandError(f"pg_restore 失败（pg_restore failed）：{result.stderr.strip()}")
            media_members = _safe_members(tar, "media")
            if media_members:
                media_root = Path(settings.MEDIA_ROOT)
                tar.extractall(tmp, members=media_members, filter="data")
                media_root.mkdir(parents=True, exist_ok=True)
                shutil.copytree(Path(tmp) / "media", media_root, dirs_exist_ok=True)
        # Cached analyses are keyed by data-version sequences, which the dump sets back to the
        # backup's values: the numbers after it would meet answers computed from other data.
        cache.clear()
        self.stdout.write(f"恢复完成：{file} → 数据库 {target}；上传文件 {len(media_members)} 项 → {settings.MEDIA_ROOT}")
