"""Write systemd units (and an nginx example) that run this checkout for real.

    .venv/bin/python scripts/systemd_units.py [--out var/systemd] [--user gridmap]
        [--data-dir /var/lib/gridmap] [--bind 127.0.0.1:8000] [--server-name grid.example.org]
        [--worker-command "manage.py qcluster"]

Writes into --out:
  gridmap-db.service       the embedded PostGIS cluster (python -m gridmap.pgcluster start/stop)
  gridmap-web.service      gunicorn with gridmap/gunicorn.conf.py
  gridmap-worker.service   the background worker (django-q2: manage.py qcluster)
  gridmap-backup.service   python manage.py backup --keep 14 ...
  gridmap-backup.timer     ... every night at 02:30
  gridmap.env              settings for /etc/gridmap/gridmap.env
  gridmap-manage           manage.py as the service user with those settings (/usr/local/bin)
  nginx-gridmap.conf       TLS reverse proxy example (/etc/nginx/sites-available)
and prints the commands that install them. Units use the absolute path of this checkout.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The queue worker's command (relative to the checkout, run by the venv's python): django-q2's
# cluster, which takes the jobs layers.jobs queues in PostgreSQL.
WORKER_COMMAND = "manage.py qcluster"
ENV_FILE = "/etc/gridmap/gridmap.env"


def _common(user: str, data_dir: str, root: Path) -> str:
    return f"""User={user}
Group={user}
WorkingDirectory={root}
EnvironmentFile=-{ENV_FILE}
Environment=GRIDMAP_DATA_DIR={data_dir}
Environment=PYTHONUNBUFFERED=1
Restart=on-failure
RestartSec=5
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
"""


def units(root: Path, user: str, data_dir: str, bind: str, worker_command: str) -> dict[str, str]:
    py = root / ".venv" / "bin" / "python"
    common = _common(user, data_dir, root)
    return {
        "gridmap-db.service": f"""[Unit]
Description=gridmap embedded PostGIS cluster ({data_dir}/pg)
After=network.target

[Service]
# pg_ctl start -w returns once the server accepts connections; postgres keeps running.
Type=forking
PIDFile={data_dir}/pg/data/postmaster.pid
ExecStart={py} -m gridmap.pgcluster start
ExecStop={py} -m gridmap.pgcluster stop
TimeoutStartSec=300
TimeoutStopSec=120
{common}
[Install]
WantedBy=multi-user.target
""",
        "gridmap-web.service": f"""[Unit]
Description=gridmap web application (gunicorn on {bind})
Requires=gridmap-db.service
After=gridmap-db.service network.target

[Service]
Type=notify
NotifyAccess=main
Environment=GRIDMAP_BIND={bind}
ExecStart={root}/.venv/bin/gunicorn -c gridmap/gunicorn.conf.py
# systemctl reload: new workers with the new code, old ones finish their requests.
ExecReload=/bin/kill -s HUP $MAINPID
KillMode=mixed
TimeoutStopSec=45
{common}
[Install]
WantedBy=multi-user.target
""",
        "gridmap-worker.service": f"""[Unit]
Description=gridmap background worker (task queue)
Requires=gridmap-db.service
After=gridmap-db.service

[Service]
Type=simple
# WORKER_COMMAND of scripts/systemd_units.py: django-q2's cluster working the jobs queue.
ExecStart={py} {worker_command}
# SIGINT to the cluster's main process only: it stops its own workers and finishes the job
# at hand (SIGTERM to every process kills django-q2's helper and the main process waits for
# it until the timeout).
KillMode=mixed
KillSignal=SIGINT
TimeoutStopSec=60
{common}
[Install]
WantedBy=multi-user.target
""",
        "gridmap-backup.service": f"""[Unit]
Description=gridmap backup (database + uploaded files into {data_dir}/backups)
Requires=gridmap-db.service
After=gridmap-db.service

[Service]
Type=oneshot
ExecStart={py} manage.py backup --keep 14
{common.replace("Restart=on-failure", "Restart=no")}""",
        "gridmap-backup.timer": """[Unit]
Description=gridmap nightly backup

[Timer]
OnCalendar=*-*-* 02:30:00
RandomizedDelaySec=10min
Persistent=true

[Install]
WantedBy=timers.target
""",
    }


def env_file(data_dir: str, server_name: str) -> str:
    return f"""# gridmap settings (README: Running it for real). Readable by root and the service user only.
GRIDMAP_DATA_DIR={data_dir}
GRIDMAP_ALLOWED_HOSTS={server_name}
GRIDMAP_HTTPS=1
GRIDMAP_CSRF_TRUSTED_ORIGINS=https://{server_name}
# GRIDMAP_SECRET_KEY=...          unset: generated once into {data_dir}/secret_key
# GRIDMAP_WEB_WORKERS=4           default one per core (2 to 9)
# GRIDMAP_WEB_THREADS=3
# GRIDMAP_PG_RAM_MB=8192          memory the embedded cluster sizes itself for; default the machine's
# GRIDMAP_ACCESS_LOG={data_dir}/log/access.log   default: stdout, i.e. journalctl -u gridmap-web
# DATABASE_URL=postgis://gridmap:password@db.internal:5432/gridmap   instead of the embedded cluster
"""


def manage_wrapper(root: Path, user: str) -> str:
    return f"""#!/bin/sh
# manage.py of {root} as the service user, with {ENV_FILE}.
set -a
[ -r {ENV_FILE} ] && . {ENV_FILE}
set +a
cd {shlex.quote(str(root))}
if [ "$(id -un)" = {user} ]; then
  exec .venv/bin/python manage.py "$@"
fi
exec runuser -u {user} --preserve-environment -- .venv/bin/python manage.py "$@"
"""


def nginx_conf(root: Path, server_name: str, bind: str) -> str:
    return f"""# gridmap behind nginx with TLS (certificates e.g. from certbot: certbot certonly --webroot
# -w /var/www/letsencrypt -d {server_name}). The app runs with GRIDMAP_HTTPS=1.
# One connection to gunicorn per request (nginx's default): gunicorn closes each after its
# response, so waiting requests go to whichever worker frees first (gridmap/gunicorn.conf.py).
upstream gridmap {{
    server {bind};
}}

server {{
    listen 80;
    listen [::]:80;
    server_name {server_name};
    location /.well-known/acme-challenge/ {{ root /var/www/letsencrypt; }}
    location / {{ return 301 https://$host$request_uri; }}
}}

server {{
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name {server_name};

    ssl_certificate     /etc/letsencrypt/live/{server_name}/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/{server_name}/privkey.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:gridmap_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;

    # Household and network imports upload files.
    client_max_body_size 200m;

    # Static files straight from disk (collectstatic's output); WhiteNoise would serve them too.
    location /static/ {{
        alias {root}/var/staticfiles/;
        access_log off;
        gzip_static on;
        expires 1h;
        location ~ "\\.[0-9a-f]{{12}}\\.[a-z0-9]+$" {{
            expires max;
            add_header Cache-Control "public, immutable";
        }}
    }}

    location / {{
        proxy_pass http://gridmap;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        # Django trusts this header only with GRIDMAP_HTTPS=1; nginx always overwrites it.
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_redirect off;
        proxy_read_timeout 130s;
    }}
}}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "systemd")
    parser.add_argument("--user", default="gridmap", help="dedicated system user running every unit")
    parser.add_argument("--data-dir", default="/var/lib/gridmap", help="GRIDMAP_DATA_DIR (outside the checkout)")
    parser.add_argument("--bind", default="127.0.0.1:8000", help="where gunicorn listens (nginx proxies to it)")
    parser.add_argument("--server-name", default="grid.example.org")
    parser.add_argument("--worker-command", default=WORKER_COMMAND)
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    files = units(ROOT, args.user, args.data_dir, args.bind, args.worker_command)
    files["gridmap.env"] = env_file(args.data_dir, args.server_name)
    files["gridmap-manage"] = manage_wrapper(ROOT, args.user)
    files["nginx-gridmap.conf"] = nginx_conf(ROOT, args.server_name, args.bind)
    for name, text in files.items():
        (out / name).write_text(text)
    (out / "gridmap-manage").chmod(0o755)
    (out / "gridmap.env").chmod(0o600)
    u, d = args.user, args.data_dir
    print(f"""gridmap: wrote {', '.join(sorted(files))} to {out}
Install (as root):
  useradd --system --home-dir {d} --shell /usr/sbin/nologin {u}
  install -d -o {u} -g {u} -m 0750 {d}
  chmod -R o+rX {ROOT}        # the checkout must be readable by {u}
  install -d -m 0750 -g {u} /etc/gridmap && install -m 0640 -g {u} {out}/gridmap.env {ENV_FILE}
  install -m 0755 {out}/gridmap-manage /usr/local/bin/gridmap-manage
  install -m 0644 {out}/gridmap-*.service {out}/gridmap-backup.timer /etc/systemd/system/
  systemctl daemon-reload
  systemctl enable --now gridmap-db
  gridmap-manage migrate && gridmap-manage collectstatic --noinput
  systemctl enable --now gridmap-web gridmap-backup.timer
  # gridmap-worker.service: enable once gridmap has a task queue ({args.worker_command}).
  install -m 0644 {out}/nginx-gridmap.conf /etc/nginx/sites-available/gridmap  # edit, then link into sites-enabled""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
