"""gridmap settings, driven by environment variables.

DATABASE_URL          postgis://user:pass@host:port/name of an existing PostGIS server;
                      unset: the embedded cluster under var/pg (see gridmap.pgcluster).
GRIDMAP_SECRET_KEY    unset: a key generated once into var/secret_key.
GRIDMAP_DEBUG         1 to turn on Django's debug pages (never in production).
GRIDMAP_ALLOWED_HOSTS comma-separated, default 127.0.0.1,localhost.
GRIDMAP_BASEMAP       none | osm | tianditu | amap (the map background; see README).
GRIDMAP_TIANDITU_KEY  the key for Tianditu tiles.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from gridmap import pgcluster

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("GRIDMAP_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
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
    "layers",
    "importers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
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
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from the finders as well
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
SESSION_COOKIE_AGE = int(os.environ.get("GRIDMAP_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"

# --- gridmap's own settings -------------------------------------------------------------
# A metric CRS for the demo district (UTM 48N covers Chengdu). Areas and distances that are
# not done on geography use it.
GRIDMAP_METRIC_SRID = int(os.environ.get("GRIDMAP_METRIC_SRID", "32648"))
# County-level division code (GB/T 2260) of the district the installation serves.
GRIDMAP_TARGET_HOUSEHOLDS_PER_GRID = int(os.environ.get("GRIDMAP_TARGET_HOUSEHOLDS_PER_GRID", "400"))
GRIDMAP_BASEMAP = os.environ.get("GRIDMAP_BASEMAP", "none")
GRIDMAP_TIANDITU_KEY = os.environ.get("GRIDMAP_TIANDITU_KEY", "")

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

# Walking: 15 minutes ≈ 1000 m (GB 50180-2018's 800–1000 m for the 15-minute circle,
# DOMAIN.md §4) gives 66.7 m/min (4 km/h).
GRIDMAP_WALK_SPEED_M_PER_MIN = float(os.environ.get("GRIDMAP_WALK_SPEED_M_PER_MIN", str(1000 / 15)))
