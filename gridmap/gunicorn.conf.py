"""gunicorn settings for gridmap: `gunicorn -c gridmap/gunicorn.conf.py` (make serve / make demo).

Environment:
  GRIDMAP_BIND           host:port to listen on (default 127.0.0.1:8000; the Makefile passes
                         $(HOST):$(PORT)); a unix:/path socket works too.
  GRIDMAP_WEB_WORKERS    worker processes (default one per core, at least 2, at most 9).
  GRIDMAP_WEB_THREADS    threads per worker (default 3): requests waiting on PostGIS overlap.
  GRIDMAP_WEB_KEEPALIVE  seconds a connection stays open for the next request (default 0: closed).
  GRIDMAP_WEB_TIMEOUT    seconds before a stuck worker is restarted (default 120: some map
                         pages compute for a while until that work moves to a queue).
  GRIDMAP_ACCESS_LOG     "-" (stdout, the default; the journal under systemd) or a file path.
  GRIDMAP_FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1).
"""

from __future__ import annotations

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _whole(name: str, default: int, *, least: int) -> int:
    """The environment variable ``name`` as a whole number of at least ``least``; a wrong value
    stops gunicorn with one line naming it, not a traceback from inside the config."""
    given = os.environ.get(name, "").strip()
    if not given:
        return default
    if not given.isdigit() or int(given) < least:
        raise SystemExit(f"gridmap: {name} must be a whole number of at least {least}, not {given!r}")
    return int(given)


wsgi_app = "gridmap.wsgi:application"
bind = [os.environ.get("GRIDMAP_BIND", "127.0.0.1:8000")]
# One process per core, a few threads each: the pages are CPU-bound Python, so more processes
# than cores only take turns on them (and each other's CPU caches). On 2 cores with 50 users
# asking without pause (bench/serve.py): 5 × 4 (gunicorn's 2 × cores + 1) served 83 requests/s
# with 95 % under 1.66 s; 2 × 4 90–102; 2 × 3 104–112. Three threads, not two, although 2 × 2
# served 5–7 % more in that bench (145 against 136 requests/s over five alternating runs): a
# browser opens connections before it has a request for them, and gunicorn's gthread worker
# holds a thread for up to 5 s on a connection that has sent nothing yet. With two threads, one
# whole-suite run saw a phone's service worker (the app shell's 92 files fetched at once) not
# installed after 30 s (tests/browser/test_worker_day.py); the likeliest cause is such waits.
workers = _whole("GRIDMAP_WEB_WORKERS", min(max(_cores(), 2), 9), least=1)
worker_class = "gthread"
threads = _whole("GRIDMAP_WEB_THREADS", 3, least=1)
timeout = _whole("GRIDMAP_WEB_TIMEOUT", 120, least=1)
# On SIGTERM (systemctl stop/restart) workers finish the requests they have for this long.
graceful_timeout = 30
# A worker takes a connection only when a thread is (about to be) free for it, and closes it
# after the response: waiting requests then queue in the kernel in arrival order and go to
# whichever worker frees first. With keep-alive each client stays on the worker it first
# reached, and under load one worker's queue grows while the other's empties: on 2 cores with
# 50 users asking without pause, 95 % of requests under 0.70 s with keep-alive, 0.47 s without
# (bench/serve.py). Behind nginx, which keeps the browsers' connections alive itself and opens
# one to gunicorn per request, nothing is lost; a slow client holds a thread, which is one more
# reason for nginx in front of anything but a LAN. GRIDMAP_WEB_KEEPALIVE=<seconds> turns
# keep-alive back on (then a worker holds up to 1000 connections, gunicorn's default).
keepalive = _whole("GRIDMAP_WEB_KEEPALIVE", 0, least=0)
worker_connections = 1000 if keepalive else threads + 1
# Recycle workers now and then: the geo stack (GDAL, numpy) keeps memory it once needed. Not
# often: a worker's start costs about 2.4 s of CPU (Django and the analysis stack, gridmap/warm.py)
# and its queued requests wait meanwhile; at 2000 requests each worker of a busy 2-core server
# restarted every 30 s.
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("GRIDMAP_ACCESS_LOG", "-")
if accesslog not in ("-", os.devnull):
    os.makedirs(os.path.dirname(os.path.abspath(accesslog)), exist_ok=True)
errorlog = "-"
loglevel = os.environ.get("GRIDMAP_LOG_LEVEL", "info").lower()
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("GRIDMAP_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "gridmap"
# Each worker imports Django itself (no preload): a `systemctl reload` (HUP) then picks up new code.
preload_app = False
# gunicorn ≥ 27 opens a control socket in ~/.gunicorn by default; gridmap does not use it, and
# two instances (the bench's, a second checkout's) would fight over the one path.
control_socket_disable = True
