"""gridmap settings, driven by environment variables.

DATABASE_URL          postgis://user:pass@host:port/name of an existing PostGIS server;
                      unset: the embedded cluster under var/pg (see gridmap.pgcluster).
GRIDMAP_SECRET_KEY    unset: a key generated once into var/secret_key.
GRIDMAP_DEBUG         1 to turn on Django's debug pages (never in production).
GRIDMAP_ALLOWED_HOSTS comma-separated, default 127.0.0.1,localhost.
GRIDMAP_BASEMAP       none | osm | tianditu | amap (the map background; see README).
GRIDMAP_TIANDITU_KEY  the key for Tianditu tiles.
GRIDMAP_DATA_DIR      where the installation writes (embedded database, secret key, media,
                      logs, backups); unset: var/ of the checkout.
GRIDMAP_HTTPS         1 behind a TLS-terminating proxy (secure cookies, HSTS, redirect).
GRIDMAP_CSRF_TRUSTED_ORIGINS  comma-separated https://host origins (with GRIDMAP_HTTPS).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from gridmap import pgcluster

BASE_DIR = Path(__file__).resolve().parent.parent
# Run-time data: GRIDMAP_DATA_DIR (outside the checkout in production) or var/ of the checkout.
VAR_DIR = pgcluster.DATA_ROOT


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("GRIDMAP_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("GRIDMAP_DEBUG")
ALLOWED_HOSTS = os.environ.get("GRIDMAP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "django_q",
    # Domain apps, lower before higher: a lower app never imports a higher one.
    "layers.grids",
    "layers.jobs",
    "layers.people",
    "layers.incidents",
    "layers.facilities",
    "layers.patrols",
    "layers.accounts",
    "layers.maps",
    "importers",
    "layers.summaries",
    "layers.api",
    "layers.pages",
    "layers.demo",
    "layers.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # --- sec-input: a NUL byte in any query/form parameter is a 400 naming it (gridmap/middleware.py) ---
    "gridmap.middleware.RejectNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridmap.urls"
WSGI_APPLICATION = "gridmap.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

POSTGIS_ENGINE = "django.contrib.gis.db.backends.postgis"
if os.environ.get("DATABASE_URL"):
    _db = dj_database_url.parse(os.environ["DATABASE_URL"])
    _db["ENGINE"] = POSTGIS_ENGINE
else:
    _db = {
        "ENGINE": POSTGIS_ENGINE,
        "NAME": pgcluster.DATABASE,
        "USER": pgcluster.SUPERUSER,
        "HOST": str(pgcluster.SOCKET_DIR),
        "PORT": str(pgcluster.PORT),
    }
# Keep a database connection per thread between requests (a new one costs a fork of the
# PostgreSQL backend); checked before reuse so a restarted database is no error.
_db["CONN_MAX_AGE"] = int(os.environ.get("GRIDMAP_DB_CONN_MAX_AGE", "300"))
_db["CONN_HEALTH_CHECKS"] = True
# Parallel test runs (several checkouts on one server) keep apart with GRIDMAP_TEST_DB_NAME.
_db["TEST"] = {"NAME": os.environ.get("GRIDMAP_TEST_DB_NAME", f"test_{_db['NAME']}")}
DATABASES = {"default": _db}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Built from static/ by `manage.py collectstatic` (make serve/demo; the test session runs it
# too, see tests/conftest.py): hashed, compressed copies next to the originals.
STATIC_ROOT = Path(os.environ.get("GRIDMAP_STATIC_ROOT") or BASE_DIR / "var" / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise CompressedManifestStaticFilesStorage (see layers/ops/storage.py):
    # {% static %} gives hashed names (cached for a year, immutable); folium maps ask for the
    # plain names under /static/vendor/..., which WhiteNoise serves too (short cache).
    "staticfiles": {"BACKEND": "layers.ops.storage.StaticFilesStorage"},
}
# Also serve files found by the finders (a static file added since the last collectstatic).
WHITENOISE_USE_FINDERS = True
# Cache time of the non-hashed names (folium's vendor assets); hashed names are immutable.
WHITENOISE_MAX_AGE = int(os.environ.get("GRIDMAP_STATIC_MAX_AGE", "3600"))
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded files are never served under MEDIA_URL: incident photos go through
# layers/pages/views/photos.py, which checks who may see the incident.
GRIDMAP_PHOTO_MAX_BYTES = int(os.environ.get("GRIDMAP_PHOTO_MAX_BYTES", str(20 * 1024 * 1024)))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(os.environ.get("GRIDMAP_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"

# --- security behind a TLS-terminating proxy (README: Running it for real) ---------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
GRIDMAP_HTTPS = env_bool("GRIDMAP_HTTPS")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GRIDMAP_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
if GRIDMAP_HTTPS:
    # nginx sets X-Forwarded-Proto; never trust it without a proxy that overwrites it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # /health/ answers plain HTTP to local monitoring.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("GRIDMAP_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("GRIDMAP_HSTS_PRELOAD")

# --- gridmap's own settings -------------------------------------------------------------
# Each district works in metres in its own CGCS2000 Gauss–Krüger zone (District.metric_srid,
# layers.grids.crs). Set this only to override that for every district (manage.py check warns
# where the override distorts a district's lengths by more than 0.1 %).
GRIDMAP_METRIC_SRID = int(os.environ["GRIDMAP_METRIC_SRID"]) if os.environ.get("GRIDMAP_METRIC_SRID") else None
# County-level division code (GB/T 2260) of the district the installation serves.
GRIDMAP_TARGET_HOUSEHOLDS_PER_GRID = int(os.environ.get("GRIDMAP_TARGET_HOUSEHOLDS_PER_GRID", "400"))
GRIDMAP_BASEMAP = os.environ.get("GRIDMAP_BASEMAP", "none")
# Above this many households (an administrator looking at a whole district) the grid
# worker's map does not embed the points: they load by bounding box when zoomed in.
GRIDMAP_MAX_EMBEDDED_HOUSEHOLDS = int(os.environ.get("GRIDMAP_MAX_EMBEDDED_HOUSEHOLDS", "3000"))
# The first page's map of every district draws grids up to this many; above it (a province)
# it outlines the districts, and choosing one shows its grids.
GRIDMAP_OVERVIEW_MAX_GRIDS = int(os.environ.get("GRIDMAP_OVERVIEW_MAX_GRIDS", "3000"))
# 辖区汇总 of a unit above this many grids is computed by the background worker (a province's took
# 42–150 s), and shown with its time while a newer one is computed after this many seconds.
GRIDMAP_SUMMARY_BACKGROUND_GRIDS = int(os.environ.get("GRIDMAP_SUMMARY_BACKGROUND_GRIDS", "3000"))
GRIDMAP_SUMMARY_MAX_AGE_SECONDS = int(os.environ.get("GRIDMAP_SUMMARY_MAX_AGE_SECONDS", "600"))
GRIDMAP_TIANDITU_KEY = os.environ.get("GRIDMAP_TIANDITU_KEY", "")

# --- Content-Security-Policy (django-csp 4.x; security finding 1, stored XSS) ------------
# Second line of defence behind layers.maps.escape: only the app's own files and the inline
# scripts carrying the request's nonce run (request.csp_nonce; maps get it through
# layers.maps.base.render, templates write nonce="{{ request.csp_nonce }}"). No
# 'unsafe-inline'/'unsafe-eval' for scripts: folium and Leaflet need neither. Styles keep
# 'unsafe-inline': Leaflet, folium and the DivIcon labels use style attributes and <style>.
# Map tiles are images from the basemap's hosts: gridmap.csp adds them to img-src only when
# that basemap is chosen (layers.maps.base.TILE_HOSTS, next to the tile URLs).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "gridmap.csp.BasemapCSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}
# --- end Content-Security-Policy ---------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDMAP_LOG_LEVEL", "WARNING")},
}

# Debian 12 ships GDAL 3.6, which cannot block file/network access from crafted spatial
# references (GDAL ≥ 3.9 can). gridmap reads user files through pyogrio with its own GDAL
# and only passes known SRIDs to GeoDjango; the README says so.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
if GRIDMAP_HTTPS and not SECURE_HSTS_PRELOAD:
    # HSTS preload lists the domain in browsers for good: a decision for the operator
    # (GRIDMAP_HSTS_PRELOAD=1), not a default.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
# X_FRAME_OPTIONS stays SAMEORIGIN (security.W019 wants DENY): every role's page shows its
# map in a same-origin <iframe>.
SILENCED_SYSTEM_CHECKS.append("security.W019")
# drf-spectacular's deploy check builds the OpenAPI schema and reports where it had to guess
# (APIViews without serializers, untyped SerializerMethodFields): documentation quality of
# /api/schema/, not deployment safety. `manage.py spectacular --validate --file /dev/null`
# still lists them.
SILENCED_SYSTEM_CHECKS += ["drf_spectacular.W001", "drf_spectacular.W002"]

# Walking: 15 minutes ≈ 1000 m (GB 50180-2018's 800–1000 m for the 15-minute circle,
# DOMAIN.md §4) gives 66.7 m/min (4 km/h).
GRIDMAP_WALK_SPEED_M_PER_MIN = float(os.environ.get("GRIDMAP_WALK_SPEED_M_PER_MIN", str(1000 / 15)))

# --- walking access: service circles, coverage, siting (layers/walking, layers/analysis) ---
# Minutes of the service circles drawn for every facility (GB 50180-2018's 5/10/15-minute levels).
GRIDMAP_CIRCLE_MINUTES = tuple(int(m) for m in os.environ.get("GRIDMAP_CIRCLE_MINUTES", "5,10,15").split(","))
# Half width (m) of the band drawn along every reached street piece.
GRIDMAP_CIRCLE_BUFFER_M = float(os.environ.get("GRIDMAP_CIRCLE_BUFFER_M", "50"))
# Holes of a circle smaller than this (m²) are filled: a block enclosed by reached streets.
GRIDMAP_CIRCLE_HOLE_FILL_M2 = float(os.environ.get("GRIDMAP_CIRCLE_HOLE_FILL_M2", "40000"))
# A facility or household farther than this (m) from every street is "off the network".
GRIDMAP_SNAP_TOLERANCE_M = float(os.environ.get("GRIDMAP_SNAP_TOLERANCE_M", "300"))
# Households and facilities snap to the part of the network that reaches facilities (the
# largest connected part, or a part holding a facility) when such a street lies within this
# many metres, even if a cut-off fragment lies nearer; otherwise to the nearest street.
GRIDMAP_SNAP_PREFER_CONNECTED_M = float(os.environ.get("GRIDMAP_SNAP_PREFER_CONNECTED_M", "50"))
# Uncovered households within twice this distance (m) of each other form one gap area.
GRIDMAP_GAP_BUFFER_M = float(os.environ.get("GRIDMAP_GAP_BUFFER_M", "60"))
# Priority groups per facility type: coverage is reported for them separately and siting
# counts each of their households GRIDMAP_SITING_FOCUS_WEIGHT times.
GRIDMAP_COVERAGE_FOCUS_TAGS = {
    "elderly_daycare": ["独居老人", "高龄"],
    "elderly_home": ["独居老人", "高龄"],
    "kindergarten": ["有幼儿"],
}
GRIDMAP_SITING_FOCUS_WEIGHT = float(os.environ.get("GRIDMAP_SITING_FOCUS_WEIGHT", "2"))
# Recompute circles and walking times right after a commit that changed facilities,
# households or the network through Django (bulk loads leave them to build_circles).
GRIDMAP_ACCESS_AUTO_REFRESH = env_bool("GRIDMAP_ACCESS_AUTO_REFRESH", True)


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gridmap API",
    "DESCRIPTION": "社区网格化管理 GeoJSON API：社区、网格、设施、服务圈、户（脱敏）、事件、覆盖率、热点。",
    "VERSION": "1",
}

# --- sec-lifecycle: separation of duties (GB/T 30428) -----------------------------------
# Whoever reported an incident may not also verify and close it (核查结案); 1 allows it for
# one-person communities.
GRIDMAP_ALLOW_SELF_VERIFY = env_bool("GRIDMAP_ALLOW_SELF_VERIFY", False)
# Roles (layers.incidents.lifecycle): 立案/派遣 by the command centre, 处置 by the department.
# 1 lets the grid worker of a small community also 立案, 派遣 and handle in their own grids.
GRIDMAP_COMBINED_ROLES = env_bool("GRIDMAP_COMBINED_ROLES", False)
# --- end sec-lifecycle -------------------------------------------------------------------
# A case is 临期 (warned on every list, 今日任务 and to its department) in the last fraction of
# its running stage's limit, and at least this many hours ahead (layers/incidents/limits.py);
# the reminder job runs every GRIDMAP_DUE_SOON_EVERY_MIN minutes (layers/incidents/tasks.py).
GRIDMAP_STAGE_WARNING_FRACTION = float(os.environ.get("GRIDMAP_STAGE_WARNING_FRACTION", "0.2"))
GRIDMAP_STAGE_WARNING_MIN_HOURS = float(os.environ.get("GRIDMAP_STAGE_WARNING_MIN_HOURS", "0"))
GRIDMAP_DUE_SOON_EVERY_MIN = int(os.environ.get("GRIDMAP_DUE_SOON_EVERY_MIN", "15"))

# --- incident hot spots and patrol plans (layers.patrols) ---
# Regular hexagon cells: distance in metres between opposite edges (= between the centres
# of adjacent cells). 150 m is about two city blocks: small enough to point a patrol at a
# street corner, large enough that a month of incidents gives counts above 0-1 per cell.
GRIDMAP_HEX_SIZE_M = float(os.environ.get("GRIDMAP_HEX_SIZE_M", "150"))
# Gi* permutations (the 99 % class needs at least 200; esda's default is 999).
GRIDMAP_HOTSPOT_PERMUTATIONS = int(os.environ.get("GRIDMAP_HOTSPOT_PERMUTATIONS", "999"))
# Seed of the permutations, so that a report can be reproduced; "" for a fresh draw.
_hotspot_seed = os.environ.get("GRIDMAP_HOTSPOT_SEED", "0")
GRIDMAP_HOTSPOT_SEED = int(_hotspot_seed) if _hotspot_seed else None
# Default time window of the hot spot and patrol commands, in days before now.
GRIDMAP_HOTSPOT_DAYS = int(os.environ.get("GRIDMAP_HOTSPOT_DAYS", "90"))
# Kernel density radius in metres; unset: the Silverman-type rule of layers.patrols.stats.density.
_kde_bandwidth = os.environ.get("GRIDMAP_KDE_BANDWIDTH_M", "")
GRIDMAP_KDE_BANDWIDTH_M = float(_kde_bandwidth) if _kde_bandwidth else None
# Emerging hot spots: weekly or monthly bins, and how many (at least 10).
GRIDMAP_EMERGING_BIN = os.environ.get("GRIDMAP_EMERGING_BIN", "week")
GRIDMAP_EMERGING_BINS = int(os.environ.get("GRIDMAP_EMERGING_BINS", "12"))
# Patrol plans: stops per plan, and how far (m) a stop may lie from the nearest street node
# before the plan is refused as not on the imported network (the refusal names the stops).
GRIDMAP_PATROL_STOPS = int(os.environ.get("GRIDMAP_PATROL_STOPS", "8"))
GRIDMAP_PATROL_SNAP_WARN_M = float(os.environ.get("GRIDMAP_PATROL_SNAP_WARN_M", "150"))
# Minutes a patrol plans to spend at each stop (the route card's times); the page can change it.
GRIDMAP_PATROL_DWELL_MIN = float(os.environ.get("GRIDMAP_PATROL_DWELL_MIN", "5"))

# --- boundary imports (sec-imports) ---------------------------------------------------------
# The share of a polygon's area (0.01 = 1 %) a make_valid repair may change before
# import_boundaries refuses it without --accept-repairs.
GRIDMAP_REPAIR_TOLERANCE = float(os.environ.get("GRIDMAP_REPAIR_TOLERANCE", "0.01"))

# --- background work (layers.jobs; worker: python manage.py qcluster) ---------------------------
# "queue": walking times and circles are recomputed by the background worker after a change
# (web requests never do it); "inline": recomputed right after the commit (commands, tests).
GRIDMAP_ACCESS_REFRESH = os.environ.get("GRIDMAP_ACCESS_REFRESH", "queue")
# The patrol page may show an analysis up to this many seconds old (saying its time) while the
# worker recomputes it after new reports (layers.patrols.cache.recent); 0: always current.
GRIDMAP_PATROL_STALE_SECONDS = int(os.environ.get("GRIDMAP_PATROL_STALE_SECONDS", "60"))
# Batch work per district (layers/jobs/districts.py, manage.py batch_districts): the Dask
# scheduler to send it to (tcp://host:8786, for many machines); empty: a LocalCluster here.
GRIDMAP_DASK_SCHEDULER = os.environ.get("GRIDMAP_DASK_SCHEDULER", "")
# A district's task walks on the streets within this many metres of its bounding box (not the
# whole province's network): walks leaving that band are not found by the batch.
GRIDMAP_BATCH_NETWORK_MARGIN_M = float(os.environ.get("GRIDMAP_BATCH_NETWORK_MARGIN_M", "5000"))
# django-q2 with the ORM broker: PostgreSQL is the queue, no other server. One worker process
# (the jobs are CPU-heavy and the server has few cores); a job may run an hour; a failed job is
# reported on its Job row, not retried (retry must exceed timeout, attempts 1).
Q_CLUSTER = {
    "name": "gridmap", "orm": "default", "workers": int(os.environ.get("GRIDMAP_QUEUE_WORKERS", "1")),
    "timeout": 3600, "retry": 3700, "max_attempts": 1, "poll": 1, "catch_up": False,
    "save_limit": 200, "ack_failures": True, "label": "后台任务队列",
}

# --- access control (sec-auth): login required everywhere, lockout after failed logins ---
from datetime import timedelta as _timedelta  # noqa: E402

# Every view needs a logged-in user unless it is marked @login_not_required (the login
# pages) or its path starts with one of these (static files; the health check).
GRIDMAP_PUBLIC_PATHS = ["/" + STATIC_URL.lstrip("/"), "/health/", "/favicon.ico"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "layers.accounts.middleware.LoginRequired")
# django-axes: after GRIDMAP_LOGIN_FAILURE_LIMIT wrong passwords for one username, or from one
# address (whatever usernames were tried), logging in is refused for
# GRIDMAP_LOGIN_COOLOFF_MINUTES — on /accounts/login/ and /admin/login/ alike (the API has
# no login of its own: it only takes the session cookie). Administrators see the attempts
# in the admin (登录安全: 登录尝试 / 登录失败记录 / 登录记录) and unlock by deleting the attempt rows or
# with `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`.
INSTALLED_APPS.insert(INSTALLED_APPS.index("layers.grids"), "axes")  # before accounts: its permissions exist for the roles
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# ModelBackend with the permission sets kept in the shared cache until roles change
# (layers.accounts.backends: two queries less on every request).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "layers.accounts.backends.CachedPermissionsBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("GRIDMAP_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = _timedelta(minutes=float(os.environ.get("GRIDMAP_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_LOCKOUT_CALLABLE = "layers.accounts.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed attempt in the admin, not only the counters
# A success does not clear the counters: with the address rule it would let anyone holding
# one account wipe the address's failures by logging in between guesses.
AXES_RESET_ON_SUCCESS = False
# The client address is REMOTE_ADDR (no django-ipware): behind a reverse proxy set
# AXES_CLIENT_IP_CALLABLE to read the proxy's header, never a header a client can forge.
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]
# --- end access control ---

# --- cache ------------------------------------------------------------------------------------
# One cache for every gunicorn worker and the background worker (files under the data
# folder): what one process computed (the planner's gap areas, ...) the others reuse. A
# per-process memory cache made each of the 5 workers redo the same seconds of work.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        # GRIDMAP_CACHE_DIR: elsewhere (the test suite's server keeps apart from the checkout's).
        "LOCATION": os.environ.get("GRIDMAP_CACHE_DIR") or str(VAR_DIR / "cache"),
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
}
# --- phone: the grid worker's day (今日任务) -------------------------------------------------
# A priority household (低保, 特困, 残疾, 独居老人, 高龄) is due for a visit after this many days;
# GRIDMAP_VISIT_DUE_DAYS_BY_TAG sets shorter intervals per tag ("独居老人:7,高龄:14").
GRIDMAP_VISIT_DUE_DAYS = int(os.environ.get("GRIDMAP_VISIT_DUE_DAYS", "30"))
GRIDMAP_VISIT_DUE_DAYS_BY_TAG = {
    tag.strip(): int(days) for tag, _, days in
    (item.partition(":") for item in os.environ.get("GRIDMAP_VISIT_DUE_DAYS_BY_TAG", "独居老人:7").split(",") if item)
}
# --- end phone -----------------------------------------------------------------------------
