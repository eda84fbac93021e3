"""pg_dump / pg_restore for the app database: the embedded cluster's own binaries, or PATH's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from gridmap import pgcluster


def pg_binary(name: str) -> str:
    """``name`` (pg_dump, pg_restore) of the cluster's PostgreSQL version, else from PATH."""
    if not os.environ.get("DATABASE_URL"):
        try:
            candidate = pgcluster.find_bindir() / name
            if candidate.exists():
                return str(candidate)
        except pgcluster.ClusterError:
            pass
    found = shutil.which(name)
    if not found:
        raise CommandError(f"找不到 {name}：请安装 postgresql-client（{name} not found on PATH）")
    # Debian's wrapper picks the client matching the server; a plain pg_dump older than the
    # server refuses with a clear message of its own.
    return found


def connection_args(alias: str = "default", dbname: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment that reach the database of ``alias``."""
    db = settings.DATABASES[alias]
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    args += ["-d", dbname or str(db["NAME"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def backups_dir() -> Path:
    return Path(settings.VAR_DIR) / "backups"
