"""The embedded PostGIS cluster kept under the project (var/pg) when DATABASE_URL is not set.

    python -m gridmap.pgcluster start    # initdb on first use, start, create the database
    python -m gridmap.pgcluster stop
    python -m gridmap.pgcluster status

The cluster lives in $GRIDMAP_DATA_DIR/pg when GRIDMAP_DATA_DIR is set (a folder outside the
checkout, e.g. /var/lib/gridmap; the secret key, logs, media and backups live there too),
in var/pg of the checkout otherwise. Its data folder records the PostgreSQL major version
that created it (PG_VERSION); when the newest installed server is another major version,
``start`` refuses and prints the exact pg_upgrade commands.

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
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the installation writes at run time (database, secret key, logs, media, backups).
DATA_ROOT = Path(os.environ.get("GRIDMAP_DATA_DIR") or BASE_DIR / "var")
PG_DIR = Path(os.environ.get("GRIDMAP_PG_DIR") or DATA_ROOT / "pg")
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
    _give_to_postgres(PG_DIR)


def _give_to_postgres(pg_dir: Path) -> None:
    """Running as root: the folder belongs to the postgres user, who can reach it."""
    if _as_root():
        _make_reachable_for_postgres(pg_dir)
        pg = pwd.getpwnam("postgres")
        for root, _dirs, files in os.walk(pg_dir):
            os.chown(root, pg.pw_uid, pg.pw_gid)
            for name in files:
                os.chown(os.path.join(root, name), pg.pw_uid, pg.pw_gid)
        # The server refuses a data folder readable by others.
        pg_dir.chmod(0o700)


def is_initialised() -> bool:
    return (DATA_DIR / "PG_VERSION").exists()


def cluster_version() -> int | None:
    """The PostgreSQL major version that created the data folder (None before initdb)."""
    try:
        return int((DATA_DIR / "PG_VERSION").read_text().strip().split(".")[0])
    except (FileNotFoundError, ValueError):
        return None


def _runuser_prefix() -> str:
    return "runuser -u postgres -- " if _as_root() else ""


def upgrade_recipe(old: int, new: int) -> str:
    """The commands that move the cluster's data from PostgreSQL ``old`` to ``new``."""
    ru = _runuser_prefix()
    old_bin, new_bin = f"/usr/lib/postgresql/{old}/bin", f"/usr/lib/postgresql/{new}/bin"
    return "\n".join([
        f"The embedded cluster in {DATA_DIR} was created by PostgreSQL {old}; the newest installed "
        f"server is PostgreSQL {new}. gridmap does not start it with another major version.",
        "Upgrade the data once (keep the old server packages installed until this is done):",
        f"  apt-get install postgresql-{old} postgresql-{old}-postgis-3 postgresql-{old}-pgrouting "
        f"postgresql-{new}-postgis-3 postgresql-{new}-pgrouting",
        f"  {ru}{old_bin}/pg_ctl -D {DATA_DIR} -m fast -w stop   # if it is still running",
        f"  mv {DATA_DIR} {DATA_DIR}-{old}",
        f"  {ru}{new_bin}/initdb -D {DATA_DIR} -U {SUPERUSER} --auth=trust -E UTF8 --locale=C.UTF-8",
        f"  cd {PG_DIR} && {ru}{new_bin}/pg_upgrade -b {old_bin} -B {new_bin} "
        f"-d {DATA_DIR}-{old} -D {DATA_DIR} -U {SUPERUSER} --socketdir {SOCKET_DIR}",
        f"  cd {BASE_DIR} && .venv/bin/python -m gridmap.pgcluster start   # or: make db",
        f"Then, once the app works: rm -rf {DATA_DIR}-{old}. "
        f"Or keep PostgreSQL {old} as the newest installed server.",
    ])


def check_version(bindir: Path | None = None) -> None:
    """Refuse a data folder made by another PostgreSQL major version than the server's."""
    old = cluster_version()
    if old is None:
        return
    bindir = bindir or find_bindir()
    new = int(bindir.parent.name)
    if old != new:
        raise ClusterError(upgrade_recipe(old, new))


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


MB = 1024 * 1024


def machine_ram_bytes() -> int:
    """The memory the database may plan for: GRIDMAP_PG_RAM_MB when set (a server shared with
    other services), else the machine's RAM, or the container's limit when that is lower."""
    if given := os.environ.get("GRIDMAP_PG_RAM_MB", "").strip():
        if not given.isdigit() or int(given) < 256:
            raise ClusterError(f"GRIDMAP_PG_RAM_MB must be a whole number of megabytes, at least 256, not {given!r}")
        return int(given) * MB
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            limit = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if limit.isdigit():
            ram = min(ram, int(limit))
    return ram


def _clamp_mb(value_bytes: float, low_mb: int, high_mb: int) -> str:
    return f"{int(min(max(value_bytes / MB, low_mb), high_mb))}MB"


def server_settings(ram_bytes: int) -> dict[str, str]:
    """The server settings (``-c`` options) of the embedded cluster on a machine of ``ram_bytes``.

    PostgreSQL's defaults fit a 1990s machine: 128 MB of shared buffers, 1 GB of WAL between
    checkpoints. Sized here as PGTune sizes a web application's server: shared buffers a
    quarter of the memory (at most 8 GB), the planner told that three quarters are cache,
    index builds and VACUUM with 1/16 (64 MB–1 GB), and 4 GB of WAL between checkpoints so a
    bulk import or re-link is not cut by forced checkpoints. On this 24 GB machine that took a
    re-link of a million households' UPDATE from 17.5 to 14.5 s (bench/link_grids.py).
    """
    return {
        "listen_addresses": "''",
        # synchronous_commit stays on (the default): a report answered 201 survives a crash.
        # jit=off: gridmap's queries are short; compiling them costs more than it saves.
        "jit": "off",
        "shared_buffers": _clamp_mb(ram_bytes / 4, 128, 8192),
        "effective_cache_size": _clamp_mb(ram_bytes * 3 / 4, 512, 1 << 20),
        "maintenance_work_mem": _clamp_mb(ram_bytes / 16, 64, 1024),
        "max_wal_size": "4GB",
        "min_wal_size": "1GB",
    }


def _options(settings: dict[str, str]) -> str:
    return f"-k {SOCKET_DIR} -p {PORT} " + " ".join(f"-c {k}={v}" for k, v in settings.items())


def start() -> None:
    if not is_initialised():
        print(f"gridmap: creating the embedded PostGIS cluster in {DATA_DIR}")
        initdb()
    check_version()
    settings = server_settings(machine_ram_bytes())
    if is_running() and _started_with_other_settings(settings):
        # Started by an older gridmap (e.g. with synchronous_commit=off, or PostgreSQL's
        # default memory) or on a machine since given more memory: restart with these.
        print("gridmap: restarting the embedded cluster with the current server settings")
        stop()
    if not is_running():
        _prepare_dirs()
        bindir = find_bindir()
        result = _run(
            [str(bindir / "pg_ctl"), "-D", str(DATA_DIR), "-l", str(LOG_FILE), "-o", _options(settings), "-w", "start"],
            check=False,
        )
        if result.returncode != 0:
            tail = LOG_FILE.read_text(errors="replace")[-2000:] if LOG_FILE.exists() else ""
            raise ClusterError(f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{tail}")
    _create_database()
    print(f"gridmap: PostGIS cluster running on socket {SOCKET_DIR} (database {DATABASE})")


def _started_with_other_settings(settings: dict[str, str]) -> bool:
    """Whether the running server's ``-c`` options (postmaster.opts) differ from ``settings``."""
    try:
        words = (DATA_DIR / "postmaster.opts").read_text().split('" "')
    except OSError:
        return False
    given = {w.strip('"\n') for w, before in zip(words[1:], words, strict=False) if before.endswith("-c")}
    wanted = {f"{k}={v.strip(chr(39))}" for k, v in settings.items()}
    return given != wanted


def _create_database(socket_dir: Path | None = None, port: int | None = None, log: Path | None = None) -> None:
    """Create DATABASE on the cluster listening in ``socket_dir`` (default: this module's
    SOCKET_DIR, PORT and LOG_FILE, read when called) unless it is there; waits up to 5 s for
    the cluster to answer."""
    import psycopg2

    socket_dir, port, log = socket_dir or SOCKET_DIR, port or PORT, log or LOG_FILE

    for _ in range(50):
        try:
            conn = psycopg2.connect(host=str(socket_dir), port=port, user=SUPERUSER, dbname="postgres")
            break
        except psycopg2.OperationalError:
            time.sleep(0.1)
    else:
        raise ClusterError(f"the cluster does not answer on {socket_dir}; see {log}")
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


def start_extra(pg_dir: Path, port: int) -> int:
    """Start another cluster in ``pg_dir`` (data/, run/, log/; initdb on first use), on a Unix
    socket only in ``pg_dir``/run with ``port`` naming the socket, with its database created;
    returns the postmaster's PID. Used to stand in for other servers (tests/ops/test_shards.py):
    stop it with ``stop_extra(pg_dir)``."""
    pg_dir = Path(pg_dir)
    data, run, log = pg_dir / "data", pg_dir / "run", pg_dir / "log" / "postgres.log"
    for d in (data.parent, run, log.parent):
        d.mkdir(parents=True, exist_ok=True)
    bindir = find_bindir()
    _give_to_postgres(pg_dir)
    if not (data / "PG_VERSION").exists():
        result = _run([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                       "--locale=C.UTF-8"], check=False)
        if result.returncode != 0:
            raise ClusterError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
    # fsync off: a stand-in server for tests and drills, rebuilt rather than recovered.
    options = f"-k {run} -p {port} -c listen_addresses='' -c jit=off -c fsync=off"
    result = _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], check=False)
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise ClusterError(f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{tail}")
    _create_database(run, port, log)
    return int((data / "postmaster.pid").read_text().split()[0])


def stop_extra(pg_dir: Path, timeout_s: float = 30.0) -> None:
    """Fast shutdown (SIGINT) of the cluster started by ``start_extra`` in ``pg_dir``, by the PID
    in its postmaster.pid; waits until it has exited."""
    pid_file = Path(pg_dir) / "data" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise ClusterError(f"the cluster in {pg_dir} (PID {pid}) did not stop within {timeout_s:.0f} s")


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
