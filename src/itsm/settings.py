"""The one settings module. Everything that varies between deployments comes from ITSM_* variables."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url

from itsm.core.env import ImproperEnvironment, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("ITSM_VAR_DIR") or Path.cwd() / "var")

DEBUG = env_bool("ITSM_DEBUG", False)
TESTING = env_bool("ITSM_TESTING", False)


def _secret_key() -> str:
    """The secret key from the environment, or one generated once into var/ for the embedded default."""
    configured = env_str("ITSM_SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise ImproperEnvironment("ITSM_SECRET_KEY must be at least 32 characters long")
        return configured
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ITSM_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("ITSM_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("ITSM_SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "itsm.core",
    "itsm.accounts",
    "itsm.cmdb",
    "itsm.taxonomy",
    "itsm.tickets",
    "itsm.sla",
    "itsm.rules",
    "itsm.notifications",
    "itsm.workflow",
    "itsm.incidents",
    "itsm.reporting",
    "itsm.api",
    "itsm.workspace",
    "itsm.portal",
    "itsm.cli",
    "itsm.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "itsm.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"

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


def _database(url: str) -> dict[str, Any]:
    if not url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ImproperEnvironment(
            f"ITSM_DATABASE_URL={url!r}: only sqlite:/// and postgresql:// URLs are supported"
        )
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"].endswith("sqlite3"):
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue on the busy timeout instead of failing with "database is locked".
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        config["CONN_MAX_AGE"] = env_int("ITSM_DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
        if env_bool("ITSM_DB_PREPARED_STATEMENTS", True):
            # Parameters bound by the server, and a statement run five times on a connection is
            # prepared: the multi-join reads and writes stop paying PostgreSQL's planner on every
            # request (a ticket read: ~5 ms of database CPU down to ~1 ms). Off for a pooler in
            # transaction mode that cannot follow prepared statements (PgBouncer < 1.21).
            config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
    return config


_default_db_url = f"sqlite:///{VAR_DIR / 'itsm.sqlite3'}"
DATABASE_URL = env_str("ITSM_DATABASE_URL") or _default_db_url
if DATABASE_URL.startswith("sqlite:///") and _default_db_url == DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve index-only scans on PostgreSQL; SQLite builds them without
# the extra columns, which is all it needs. Not worth a warning on every command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("ITSM_TIME_ZONE") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("ITSM_MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG

# The cache holds what each web process draws once and serves again: page sections keyed on
# what they show (itsm.workspace.fragments), timelines, option lists, SLA facts. Every key
# changes with its content, so a per-process cache never serves stale markup; it only has to be
# large enough. Django's default keeps 300 entries and then drops a third of them: a few dozen
# tickets' pages (six sections each, headers redrawn as SLA clocks tick) evicted the timelines,
# the costliest section to draw. Entries average about 6 KB: 2,000 take about 12 MB a process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": env_int("ITSM_CACHE_MAX_ENTRIES", 2000)},
    }
}

# Security headers. Cookies are marked secure once the site is served over TLS.
_behind_tls = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = _behind_tls
CSRF_COOKIE_SECURE = _behind_tls
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("ITSM_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
if env_bool("ITSM_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Email: ITSM_EMAIL_URL=smtp://user:pass@host:port (smtp+tls:// for STARTTLS, smtps:// for TLS)
# or console:// (prints mails; the default for `make run`).
EMAIL_URL = env_str("ITSM_EMAIL_URL") or "console://"


def _email(url: str) -> dict[str, Any]:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ImproperEnvironment(
            f"ITSM_EMAIL_URL scheme {parts.scheme!r} is not one of smtp, smtp+tls, smtps, console"
        )
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": 20,
    }


_email_settings = _email(EMAIL_URL)
EMAIL_BACKEND = _email_settings.pop("EMAIL_BACKEND")
EMAIL_HOST = _email_settings.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email_settings.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email_settings.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email_settings.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email_settings.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email_settings.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email_settings.get("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("ITSM_FROM_EMAIL") or "Service Desk <servicedesk@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# Product policy, overridable per deployment.
ITSM_ATTACHMENT_MAX_BYTES = env_int("ITSM_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ITSM_REOPEN_WINDOW_DAYS = env_int("ITSM_REOPEN_WINDOW_DAYS", 7)
ITSM_AUTO_CLOSE_DAYS = env_int("ITSM_AUTO_CLOSE_DAYS", 5)
ITSM_SLA_SWEEP_SECONDS = env_int("ITSM_SLA_SWEEP_SECONDS", 30)
#: Database connections a sweep's batches run on at once (PostgreSQL; SQLite uses one). Tests
#: run on one: their data lives in a transaction other connections cannot see.
ITSM_SWEEP_CONNECTIONS = env_int("ITSM_SWEEP_CONNECTIONS", 1 if TESTING else 2)
#: The business calendar (by name) for business time-to-resolve of tickets without a resolution SLA.
ITSM_REPORT_CALENDAR = env_str("ITSM_REPORT_CALENDAR") or ""
ITSM_OUTBOX_MAX_ATTEMPTS = env_int("ITSM_OUTBOX_MAX_ATTEMPTS", 8)
ITSM_OUTBOX_LEASE_SECONDS = env_int("ITSM_OUTBOX_LEASE_SECONDS", 300)
ITSM_OUTBOX_RETRY_BASE_SECONDS = env_int("ITSM_OUTBOX_RETRY_BASE_SECONDS", 60)
DATA_UPLOAD_MAX_MEMORY_SIZE = ITSM_ATTACHMENT_MAX_BYTES + 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ITSM_LOG_LEVEL") or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The worker polls the task queue every second; only problems are worth a line.
        "django_tasks_db": {"level": "WARNING"},
    },
}
