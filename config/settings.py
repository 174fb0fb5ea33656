"""Lockstep settings: every knob comes from an environment variable with a safe local default.

A bad value stops the process at start with the variable's name, never later in a request.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LOCKSTEP_VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    raw = os.environ.get(name, default)
    if urlsplit(raw).scheme not in schemes:
        raise ImproperlyConfigured(f"{name}={raw!r} must be a URL starting with one of {schemes}")
    return raw


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105 - refused when DEBUG=0
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0")
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY is the development key; set a real one when DEBUG=0")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Where `make run` serves (scripts/run.sh): emailed links default to the same port.
PORT = env_int("PORT", 8000, minimum=1)
SITE_URL = env_url("SITE_URL", f"http://127.0.0.1:{PORT}", ("http", "https")).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "quizzes",
    "sandbox",
    "notifications",
    "accounts",
    "review",
    "studio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.SecurityHeadersMiddleware",
    "config.limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# The largest request body accepted (config/limits.py): two 20 KB snippets and a question bank
# upload fit many times over; anything bigger is refused with 413 before it is read.
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 1024 * 1024, minimum=64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# A refused form (missing or stale CSRF token) gets the site's own page, with a way back.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

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
                "config.context_processors.csrf",
            ],
        },
    },
]

_SQLITE_PATH = VAR_DIR / "lockstep.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_url("DATABASE_URL", f"sqlite:///{_SQLITE_PATH}", ("sqlite", "postgres", "postgresql")),
        # Opening a connection per request (and SQLite's PRAGMAs with it) cost a signed-in page
        # more than its queries; a connection that went bad is checked and replaced before use.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker write the same file: WAL lets readers go on
    # while one writes, IMMEDIATE avoids the deadlock of two deferred transactions upgrading.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not :memory:, so the Celery worker started by the tests sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# ModelBackend with the per-request user read as one plain SELECT (accounts/backends.py says why).
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Sessions stay in the database alone (no cached_db; accounts/sessions.py says why), read with
# one plain SELECT.
SESSION_ENGINE = "accounts.sessions"

# Security headers: strict when DEBUG=0 so `manage.py check --deploy` is clean.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Redis is the Celery broker and the cache (rate limits, recent measurements).
REDIS_URL = env_url("REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss", "unix"))
CACHES = {
    "default": {
        "BACKEND": "config.cache.SharedClientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "lockstep",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast at submit when Redis is down instead of blocking a web worker for minutes.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    # A job unacknowledged this long (worker died mid-run) goes back to the queue.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300, minimum=30),
}
CELERY_TASK_DEFAULT_QUEUE = "runs"
# Queues by kind of work: mail never competes with learners' runs nor adds noise to timings.
# Routes by task name (glob patterns), not per call; the sandbox's `runs`/`timing` are chosen
# per run by sandbox.services.run_queue. Every mail task's name matches one of these.
CELERY_TASK_ROUTES = {
    "notifications.*": {"queue": "mail"},  # confirmations, launch fan-out, delivery batches
    "accounts.*_mail_send": {"queue": "mail"},  # verification and password-reset emails
    "review.*": {"queue": "mail"},  # review reminders
    "*_mail_send": {"queue": "mail"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = False
# Periodic tasks (run by `celery beat`, which scripts/run.sh starts).
REVIEW_REMINDER_SWEEP_SECONDS = env_int("REVIEW_REMINDER_SWEEP_SECONDS", 3600, minimum=60)
CELERY_BEAT_SCHEDULE = {
    "review-reminders": {"task": "review.reminders_send", "schedule": REVIEW_REMINDER_SWEEP_SECONDS},
}

# Email: console by default (make run prints confirmation links), SMTP through EMAIL_URL.
EMAIL_URL = env_str("EMAIL_URL", "console://")
_email = urlsplit(EMAIL_URL)
if _email.scheme == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif _email.scheme == "locmem":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif _email.scheme == "file":
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = _email.path or str(VAR_DIR / "mail")
elif _email.scheme in ("smtp", "smtps", "smtp+tls"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 587)
    EMAIL_HOST_USER = _email.username or ""
    EMAIL_HOST_PASSWORD = _email.password or ""
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
    EMAIL_TIMEOUT = 10
else:
    raise ImproperlyConfigured(
        f"EMAIL_URL={EMAIL_URL!r}: scheme must be console, locmem, file, smtp, smtps or smtp+tls"
    )
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Lockstep <noreply@lockstep.localhost>")

CONTENT_DIR = Path(env_str("CONTENT_DIR", str(BASE_DIR / "content")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Sandbox: the interpreter snippets run on (readable by an unprivileged uid: a system Python,
# not one under a private home), and the limits (see sandbox/engine/README.md).
SANDBOX_INTERPRETER = env_str("SANDBOX_INTERPRETER", "/usr/bin/python3")
try:
    from sandbox.engine import EngineConfig, Limits

    # Parsed once here; sandbox/jobs.py hands them to the engine (which never reads the environment).
    SANDBOX_LIMITS = Limits.from_env(os.environ)
    SANDBOX_ENGINE = EngineConfig.from_env(os.environ)
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
# Each worker process gets sandbox slot SANDBOX_SLOT_BASE + its pool index (its own uid).
SANDBOX_SLOT_BASE = env_int("SANDBOX_SLOT_BASE", 0, minimum=0)
# A running Run holds a lease its worker renews; a dead worker's lease lapses and any live
# worker requeues the run, long before Redis's visibility_timeout would redeliver it.
SANDBOX_LEASE_SECONDS = env_int("SANDBOX_LEASE_SECONDS", 15, minimum=3)
SANDBOX_SWEEP_SECONDS = env_int("SANDBOX_SWEEP_SECONDS", 5, minimum=1)
# Called on the worker as hook(run=run, report=Report | None) once a run's report is stored (or it failed).
SANDBOX_RUN_FINISHED_HOOKS = ["quizzes.services.answers_grade_for_run"]
# How often each worker closes and grades practice-test attempts past their deadline.
ATTEMPT_SWEEP_SECONDS = env_int("ATTEMPT_SWEEP_SECONDS", 5, minimum=1)
# Every worker publishes its health (sandbox, interpreter, cores, queues) to Redis this often;
# /healthz and the playground read it (sandbox/heartbeat.py). Three missed beats: gone.
SANDBOX_HEARTBEAT_SECONDS = env_int("SANDBOX_HEARTBEAT_SECONDS", 10, minimum=1)
PLAYGROUND_RUNS_PER_MINUTE = env_int("PLAYGROUND_RUNS_PER_MINUTE", 10, minimum=1)
# A finished measurement of the very same job this recent answers a new prediction at once
# (labelled with its age), so a crowd does not queue behind the one-at-a-time timing worker.
# 0 turns reuse off; "Run it again" always measures afresh.
MEASUREMENT_REUSE_SECONDS = env_int("MEASUREMENT_REUSE_SECONDS", 300, minimum=0)

# Launch notifications (notifications/README.md). Confirmation links expire; launch emails go out
# in batches, each row claimed before it is sent; transient SMTP errors back off exponentially.
NOTIFY_CONFIRM_MAX_AGE = env_int("NOTIFY_CONFIRM_MAX_AGE", 3 * 24 * 3600, minimum=60)
NOTIFY_BATCH_SIZE = env_int("NOTIFY_BATCH_SIZE", 200, minimum=1)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 60, minimum=1)
# A row claimed longer ago than this belongs to a worker that died; a send takes seconds.
NOTIFY_CLAIM_LEASE_SECONDS = env_int("NOTIFY_CLAIM_LEASE_SECONDS", 600, minimum=60)
# Emails a visitor can make us send (subscription confirmations, password resets), per client
# address and per recipient address in a window: they limit mail requests, not notifications.
MAIL_REQUESTS_WINDOW_SECONDS = env_int("MAIL_REQUESTS_WINDOW_SECONDS", 3600, minimum=1)
MAIL_REQUESTS_PER_IP = env_int("MAIL_REQUESTS_PER_IP", 10, minimum=1)
MAIL_REQUESTS_PER_ADDRESS = env_int("MAIL_REQUESTS_PER_ADDRESS", 3, minimum=1)
UNSUBSCRIBE_MAILTO = env_str("UNSUBSCRIBE_MAILTO", "unsubscribe@lockstep.localhost")

# Account email verification (accounts/): the link expires; the profile's "resend" button is
# rate-limited per account, so it cannot be used to flood a mailbox.
ACCOUNT_VERIFY_MAX_AGE = env_int("ACCOUNT_VERIFY_MAX_AGE", 3 * 24 * 3600, minimum=60)
ACCOUNT_VERIFY_RESEND_PER_HOUR = env_int("ACCOUNT_VERIFY_RESEND_PER_HOUR", 3, minimum=1)
