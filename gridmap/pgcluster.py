"""The embedded PostGIS cluster kept under the project (var/pg) when DATABASE_URL is not set.

    python -m gridmap.pgcluster start    # initdb on first use, start, create the database
    python -m gridmap.pgcluster stop
    python -m gridmap.pgcluster status

The cluster listens only on a Unix socket in var/pg/run (no TCP port is opened), with
trust authentication for the local superuser ``gridmap``. PostgreSQL refuses to run as
root, so as root the cluster belongs to the ``postgres`` system user and every server
command runs through ``runuser``.

This module does not import Django: it runs before the virtualenv's Django is usable
against a database.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PG_DIR = Path(os.environ.get("GRIDMAP_PG_DIR", BASE_DIR / "var" / "pg"))
DATA_DIR = PG_DIR / "data"
SOCKET_DIR = PG_DIR / "run"
LOG_FILE = PG_DIR / "log" / "postgres.log"
# Only names the socket file (.s.PGSQL.<port>); no TCP listener is opened.
PORT = int(os.environ.get("GRIDMAP_PG_PORT", "5433"))
SUPERUSER = "gridmap"
DATABASE = os.environ.get("GRIDMAP_DB_NAME", "gridmap")


class ClusterError(RuntimeError):
    """The embedded cluster could not be set up; the message says what to do."""


def find_bindir() -> Path:
    """The newest installed PostgreSQL whose share folder has PostGIS."""
    candidates = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        version = bindir.parent.name
        if (bindir / "initdb").exists() and Path(
            f"/usr/share/postgresql/{version}/extension/postgis.control"
        ).exists():
            candidates.append((int(version), bindir))
    if not candidates:
        msg = (
            "No PostgreSQL with PostGIS found under /usr/lib/postgresql. "
            "Run `make setup` (it installs postgresql-N-postgis-3 and postgresql-N-pgrouting), "
            "or set DATABASE_URL to an existing PostGIS server."
        )
        raise ClusterError(msg)
    return max(candidates)[1]


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
    """Run a server command, as the postgres user when we are root."""
    if _as_root():
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=check, capture_output=True, text=True)


def _make_reachable_for_postgres(path: Path) -> None:
    """Give the postgres user search (x) permission on every ancestor of ``path``.

    A project cloned into a private temporary folder (mode 0700) is otherwise
    unreachable for the server process. Only the search bit is added: the postgres user
    can pass through the folders, not list or read them.
    """
    for parent in reversed(path.resolve().parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            print(f"gridmap: adding o+x to {parent} so that the postgres user can reach {path}")
            parent.chmod(mode | 0o001)


def _prepare_dirs() -> None:
    for d in (DATA_DIR.parent, SOCKET_DIR, LOG_FILE.parent):
        d.mkdir(parents=True, exist_ok=True)
    if _as_root():
        _make_reachable_for_postgres(PG_DIR)
        pg = pwd.getpwnam("postgres")
        for root, _dirs, files in os.walk(PG_DIR):
            os.chown(root, pg.pw_uid, pg.pw_gid)
            for name in files:
                os.chown(os.path.join(root, name), pg.pw_uid, pg.pw_gid)
        # The server refuses a data folder readable by others.
        PG_DIR.chmod(0o700)


def is_initialised() -> bool:
    return (DATA_DIR / "PG_VERSION").exists()


def is_running() -> bool:
    if not is_initialised():
        return False
    bindir = find_bindir()
    return _run([str(bindir / "pg_ctl"), "-D", str(DATA_DIR), "status"], check=False).returncode == 0


def initdb() -> None:
    bindir = find_bindir()
    _prepare_dirs()
    result = _run(
        [
            str(bindir / "initdb"),
            "-D", str(DATA_DIR),
            "-U", SUPERUSER,
            "--auth=trust",
            "-E", "UTF8",
            "--locale=C.UTF-8",
        ],
        check=False,
    )
    if result.returncode != 0:
        raise ClusterError(f"initdb failed:\n{result.stdout}\n{result.stderr}")


def start() -> None:
    if not is_initialised():
        print(f"gridmap: creating the embedded PostGIS cluster in {DATA_DIR}")
        initdb()
    if not is_running():
        _prepare_dirs()
        bindir = find_bindir()
        # synchronous_commit stays on (the default): a report answered 201 survives a crash.
        # jit=off: gridmap's queries are short; compiling them costs more than it saves.
        options = f"-k {SOCKET_DIR} -p {PORT} -c listen_addresses='' -c jit=off"
        result = _run(
            [str(bindir / "pg_ctl"), "-D", str(DATA_DIR), "-l", str(LOG_FILE), "-o", options, "-w", "start"],
            check=False,
        )
        if result.returncode != 0:
            tail = LOG_FILE.read_text(errors="replace")[-2000:] if LOG_FILE.exists() else ""
            raise ClusterError(f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{tail}")
    _create_database()
    print(f"gridmap: PostGIS cluster running on socket {SOCKET_DIR} (database {DATABASE})")


def _create_database() -> None:
    import psycopg2

    for _ in range(50):
        try:
            conn = psycopg2.connect(host=str(SOCKET_DIR), port=PORT, user=SUPERUSER, dbname="postgres")
            break
        except psycopg2.OperationalError:
            time.sleep(0.1)
    else:
        raise ClusterError(f"the cluster does not answer on {SOCKET_DIR}; see {LOG_FILE}")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{DATABASE}"')
    conn.close()


def stop() -> None:
    if not is_running():
        print("gridmap: the embedded cluster is not running")
        return
    bindir = find_bindir()
    _run([str(bindir / "pg_ctl"), "-D", str(DATA_DIR), "-m", "fast", "-w", "stop"])
    print("gridmap: embedded cluster stopped")


def main(argv: list[str]) -> int:
    if os.environ.get("DATABASE_URL") and argv[:1] in (["start"], ["stop"]):
        print("gridmap: DATABASE_URL is set; using that server, no embedded cluster")
        return 0
    if not shutil.which("runuser") and _as_root():
        print("gridmap: runuser is missing (util-linux)", file=sys.stderr)
        return 1
    try:
        if argv[:1] == ["start"]:
            start()
        elif argv[:1] == ["stop"]:
            stop()
        elif argv[:1] == ["status"]:
            print("running" if is_running() else "stopped")
        else:
            print(__doc__)
            return 2
    except ClusterError as e:
        print(f"gridmap: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
