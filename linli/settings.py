"""Linli settings, driven by environment variables (django-environ) with safe defaults.

Every setting can come from the environment or, for secrets, from a file named by
the same variable with ``_FILE`` appended (``SECRET_KEY_FILE=/run/secrets/key``).
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(environ.Env().str("LINLI_VAR_DIR", default=str(BASE_DIR.parent / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
)


def secret(name: str, default: str | None = None) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SECRET_KEY = secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = "linli-insecure-development-key-only-for-DEBUG-never-for-production"  # noqa: S105

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # widget templates through TEMPLATES (FORM_RENDERER below)
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "linli.core",
    "linli.accounts",
    "linli.regions",
    "linli.people",
    "linli.cases",
    "linli.visits",
    "linli.volunteers",
    "linli.dashboard",
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
    "django_htmx.middleware.HtmxMiddleware",
    "linli.core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Django's database sessions and model backend, reading the session and the user of every
# request with prepared statements (core/sessions.py, accounts/backends.py)
SESSION_ENGINE = "linli.core.sessions"
AUTHENTICATION_BACKENDS = ["linli.accounts.backends.UserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

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
                "django.template.context_processors.i18n",
                "linli.core.context_processors.linli",
                "linli.cases.context_processors.inbox",
            ],
        },
    }
]

# SQLite (WAL, immediate transactions) by default; PostgreSQL through DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'linli.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # write transactions wait in line on a file lock instead of SQLite's sleeping retries
    DATABASES["default"]["ENGINE"] = "linli.core.sqlite"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # page cache per connection (SQLite's default is 2 MB: imports into indexed
            # tables at 10^5 rows spend their time re-reading index pages) and memory-mapped reads
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                f"PRAGMA cache_size=-{env.int('LINLI_SQLITE_CACHE_MB', default=64) * 1024}; "
                "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
            ),
        }
    )
    DATABASES["default"].setdefault("TEST", {})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # without the second, pattern-ops index on every indexed text column (decision 9)
    DATABASES["default"]["ENGINE"] = "linli.core.postgresql"
    # server-side parameters, and statements prepared after their fifth run on a connection:
    # PostgreSQL then skips planning the few queries every page makes (1-1.5 ms each for
    # the joined ones). Off (LINLI_PG_PREPARED=0) behind a pooler that cannot keep them.
    if env.bool("LINLI_PG_PREPARED", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
# connections kept between requests (opening one per request costs more than most queries)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# a page's independent groups of counts (the dashboards') on two connections at once
# (core/parallel.py); off: one after the other on the request's connection
PARALLEL_READS = env.bool("LINLI_PARALLEL_READS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"  # project widget templates (core/widgets)

# Background work (large imports) through Django's tasks API (django-tasks, the backport
# of django.tasks): queued in the database, run by `linli db_worker`.
TASKS = {"default": {"BACKEND": env.str("LINLI_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# Progress of running jobs is written outside the job's transaction, where the page that
# shows it can read it: a file cache under var/ by default (any cache URL for several hosts).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "progress": env.cache(
        "LINLI_PROGRESS_CACHE_URL", default=f"filecache://{VAR_DIR / 'cache' / 'progress'}"
    ),
}
# Office hours for working-hour time limits (working days follow the official calendar).
# Base map tiles ({z}/{x}/{y} URL template); empty: a blank background that works offline.
LINLI_TILE_URL = env.str("LINLI_TILE_URL", default="")
# The latitude where the map's cluster cells are square (the district's; after changing it,
# run ``linli tallies --rebuild``: the kept case counts per cell use it).
LINLI_MAP_LATITUDE = env.float("LINLI_MAP_LATITUDE", default=40.0)
LINLI_WORK_HOURS = env.str("LINLI_WORK_HOURS", default="08:30-12:00,13:30-17:30")
# How SMS / WeCom notices go out (a class with send(user, text)); the default only logs.
LINLI_NOTIFY_SENDER = env.str("LINLI_NOTIFY_SENDER", default="linli.cases.notify.LogSender")
# Imports with at most this many rows run inside the request; larger ones in the background.
LINLI_IMPORT_INLINE_ROWS = env.int("LINLI_IMPORT_INLINE_ROWS", default=2000)
MEDIA_URL = "media/"

# Uploads: refuse what no import needs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
LINLI_MAX_IMPORT_BYTES = env.int("LINLI_MAX_IMPORT_BYTES", default=20 * 1024 * 1024)
LINLI_MAX_IMPORT_ROWS = env.int("LINLI_MAX_IMPORT_ROWS", default=200_000)
# SQLite: the page cache of an import's connection while it writes (a million residents'
# indexes outgrow the usual cache; given back when the import ends)
LINLI_SQLITE_IMPORT_CACHE_MB = env.int("LINLI_SQLITE_IMPORT_CACHE_MB", default=512)

# Security. In production (DEBUG off) everything is strict unless deliberately relaxed,
# e.g. behind a TLS-terminating proxy that already redirects (SECURE_SSL_REDIRECT=0).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # Joining the browsers' HSTS preload list is the operator's decision for their domain
    # (docs/install.md), not something the software can take for them.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
    if env.bool("USE_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Personal data: SM4-GCM encryption and HMAC-SM3 blind indexes. The key ring is
# "version:hex" pairs separated by commas, the current key first (docs/keys.md).
LINLI_PII_KEYS = secret("LINLI_PII_KEYS") or ""
LINLI_PII_KEY_FILE = VAR_DIR / "pii.keys"
# How many leading and trailing characters stay visible when a value is masked.
LINLI_MASKS = {
    "citizen_id": (env.int("LINLI_MASK_ID_HEAD", default=4), env.int("LINLI_MASK_ID_TAIL", default=4)),
    "mobile": (env.int("LINLI_MASK_PHONE_HEAD", default=3), env.int("LINLI_MASK_PHONE_TAIL", default=4)),
    "text": (1, 0),
}
# The address of the client: trust X-Forwarded-For only behind a known proxy.
LINLI_TRUST_X_FORWARDED_FOR = env.bool("LINLI_TRUST_X_FORWARDED_FOR", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

NINJA_PAGINATION_PER_PAGE = 50
LINLI_SITE_NAME = _("邻里 · 社区网格化服务管理")
