"""Settings for the assessments platform, read from the environment (django-environ).

Only three variables matter in development; each has a safe default when DEBUG is on:

- ``DATABASE_URL``: defaults to an SQLite file under ``var/`` so ``make demo`` needs no
  server; ``postgres://user@host:5432/name`` switches to PostgreSQL with psycopg's pool.
- ``SECRET_KEY``, ``ALLOWED_HOSTS``: required when ``DEBUG`` is off.
- ``DEBUG``: off unless set (``make demo`` sets it).
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
else:
    # No fallback: a production process without a secret must not start.
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# --- Security (HTTPS, cookies, JWT key) -------------------------------------------------------
# Secure by default whenever DEBUG is off; each one can be relaxed from the environment (the
# test suite and `make serve` run over plain HTTP on 127.0.0.1). `manage.py check --deploy
# --fail-level WARNING` passes with these defaults (.ci/run and tests/lms/test_settings.py).
# Behind a TLS-terminating proxy that sets the header (and strips it from clients), e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https. Unset: no header is trusted.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# API tokens are signed with their own key, so rotating one secret leaves the other standing.
# Only a DEBUG process may fall back to SECRET_KEY.
if DEBUG:
    JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY)
else:
    JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY")
# --- end Security -----------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "lms",
    "assessments",
    "attempts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times on the pages in the user's own zone (User.time_zone).
    "lms.middleware.UserTimeZoneMiddleware",
    # Cache-Control: private, no-store on signed-in pages, exports and the API.
    "lms.private_responses.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "lms.urls"

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

WSGI_APPLICATION = "lms.wsgi.application"

SQLITE_DEFAULT_PATH = BASE_DIR / "var" / "db.sqlite3"

# --- Serving (gunicorn, pool, health) ---------------------------------------------------------
# GUNICORN_THREADS (threads per worker, lms/gunicorn.conf.py) is also the default size of each
# process's database pool (DB_POOL_MAX_SIZE, database_settings below).
# /health/ pings Redis too when it is configured (lms/health.py).
REDIS_URL = env.str("REDIS_URL", default="")
# The default cache (lockouts, throttles, the password reset limit) is Redis when REDIS_URL
# is set, shared by every process; else each process keeps its own in memory, which is right
# for the embedded demo and the tests, and too weak for several web processes.
CACHES = {
    "default": (
        {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "lms",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Load balancers probe /health/ by IP and over plain HTTP inside the network: answered first,
# before the host check and the HTTPS redirect (lms.health.HealthProbeMiddleware).
MIDDLEWARE.insert(0, "lms.health.HealthProbeMiddleware")
# --- end Serving ------------------------------------------------------------------------------


def database_settings(url: str) -> dict:
    """Turn ``DATABASE_URL`` into Django's ``DATABASES["default"]`` with our engine tuning.

    SQLite: WAL so readers never block the writer, ``BEGIN IMMEDIATE`` so a transaction that
    will write takes the lock up front (no "database is locked" half-way through), and a busy
    timeout so concurrent requests wait instead of failing.
    PostgreSQL: psycopg 3's connection pool (``DB_POOL=off`` disables it, e.g. behind PgBouncer).
    Behind PgBouncer in transaction mode (``DATABASE_POOL_MODE=transaction``), where each
    transaction may get another server connection: no server-side cursors (a cursor outside a
    transaction would be looked for on another server) and no pool of ours (PgBouncer is the
    pool; persistent connections to it instead, ``CONN_MAX_AGE``).
    """
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] not in ("", ":memory:"):
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # The test database is a file too (beside the real one), not Django's shared-cache
        # memory database: that one ignores the busy timeout, so tests of concurrent writers
        # (threads with their own connections) would fail with "table is locked".
        config["TEST"] = {"NAME": str(SQLITE_DEFAULT_PATH.with_name("test.sqlite3"))}
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,  # seconds the driver waits for a lock (busy timeout)
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "django.db.backends.postgresql"
        pgbouncer_transactions = env.str("DATABASE_POOL_MODE", default="session") == "transaction"
        if pgbouncer_transactions:
            # .iterator() (the exports) then reads through a client-side cursor: libpq holds
            # the whole result in memory, so a large export's memory is no longer flat.
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
        if env.bool("DB_POOL", default=True) and not pgbouncer_transactions:
            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 1,
                # --- Serving: one connection per gunicorn thread (lms/gunicorn.conf.py); a
                # process never runs more queries at once than it has threads.
                "max_size": env.int(
                    "DB_POOL_MAX_SIZE", default=env.int("GUNICORN_THREADS", default=4)
                ),
                # Seconds a request waits for a connection: with the database gone, a quick
                # 503 (lms.middleware) rather than a request that hangs.
                "timeout": env.float("DB_POOL_TIMEOUT", default=3),
            }
            # A pooled connection the server dropped (restart, failover) is tested before use
            # and replaced, instead of failing the request that gets it: with a pool, Django
            # passes psycopg_pool's ConnectionPool.check_connection as the pool's ``check``.
            config["CONN_HEALTH_CHECKS"] = True
        else:
            config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    return config


DATABASES = {
    "default": database_settings(
        env.str("DATABASE_URL", default=f"sqlite:///{SQLITE_DEFAULT_PATH}")
    )
}

# --- Read replica (lms/replica.py) -------------------------------------------------------------
# DATABASE_REPLICA_URL: a streaming replica of DATABASE_URL, read by the reports and exports
# that say so (@reads_from_replica); unset, there is no "replica" alias and no router. Its
# options are the primary's (the same database_settings: pool, PgBouncer mode). Under test it
# is a mirror of the test database (Django's TEST MIRROR: no second database is created).
# DATABASE_TEST_REPLICA (the test suite, pytest-env): the mirror alias alone, without the
# router, so that the router's own tests run on two aliases and install it themselves.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **database_settings(DATABASE_REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["lms.replica.ReplicaRouter"]
elif env.bool("DATABASE_TEST_REPLICA", default=False):
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# --- end Read replica -------------------------------------------------------------------------
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "lms.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# --- Static files -----------------------------------------------------------------------------
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Production serves what `collectstatic` built: hashed names (cached forever by browsers) and
# compressed copies. Off under DEBUG (`make demo`) and in the tests (pytest-env), which serve
# the source files without collectstatic.
STATICFILES_MANIFEST = env.bool("STATICFILES_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise serves the files (gzip/brotli after collectstatic) without a web server.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATICFILES_MANIFEST
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
# --- end Static files -------------------------------------------------------------------------

# --- Content-Security-Policy (django-csp 4) ---------------------------------------------------
# Everything from our own origin, nothing inline: templates carry no <script>, style= or on*
# attributes (charts are SVG with presentation attributes and classes), Swagger UI's init script
# is a URL (lms/api_urls.py) and its page style a static file. data: for the CSS icons of Pico
# and Swagger UI and the empty favicon of base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# --- end Content-Security-Policy --------------------------------------------------------------

# Hosts that question images may load from, besides this site and data: URIs
# (assessments.html): a remote image tells its host who opened the question.
QUESTION_IMAGE_HOSTS = env.list("QUESTION_IMAGE_HOSTS", default=[])

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Neutral defaults: each API contract sets its own authentication, permissions, pagination
# and error statuses on its views (attempts/api/<contract>/).
REST_FRAMEWORK = {
    # JWT first: its WWW-Authenticate header turns an anonymous request into a 401 (not 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Domain errors become the status the raising view's contract gives them.
    "EXCEPTION_HANDLER": "attempts.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SIMPLE_JWT = {
    # One kind of token, "sliding": a single {"token": ...} that can be refreshed until
    # SLIDING_TOKEN_REFRESH_LIFETIME runs out.
    "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.SlidingToken",),
    # The standard prefix; a contract that accepts others says so in its own authentication
    # class (attempts.api.authentication).
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SLIDING_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_LIFETIME_HOURS", default=12)),
    "SLIDING_TOKEN_REFRESH_LIFETIME": timedelta(days=7),
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "LMS assessments API",
    "DESCRIPTION": (
        "The REST APIs of the assessments platform, one tag per contract: each tag says what "
        "its operations are compatible with and how to authenticate."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the question kinds wherever a contract shows them by our own words.
    "ENUM_NAME_OVERRIDES": {"QuestionTypeEnum": "assessments.models.Question.Type"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # drf-spectacular's default
        "attempts.api.schema.describe_contract_tags",
    ],
}


# ---------------------------------------------------------------- errors and hostile input
# (Hardening items 4 and 8; kept together so that other edits of this file stay apart.)

# RejectNulMiddleware first: a NUL in the query or form data is a 400 before anything reads
# the session or the database (PostgreSQL refuses NUL in text: every filter would be a 500).
# DatabaseUnavailableMiddleware last, nearest the views, so that its process_exception sees
# what a view raises: a lost database is a quick 503 (JSON under /api/, 503.html elsewhere).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "lms.middleware.RejectNulMiddleware",
)
MIDDLEWARE.append("lms.middleware.DatabaseUnavailableMiddleware")

# Who gets an email for each server error (Django's AdminEmailHandler), comma-separated
# addresses in ADMINS; none by default. Email needs EMAIL_* settings of its own.
ADMINS = [(address, address) for address in env.list("ADMINS", default=[])]

# Every error, with its traceback, goes to stderr as one JSON line (lms.log_format), for the
# log collector; warnings too (Django's 4xx "Not Found: /x"). Django's own default sends
# nothing to stderr when DEBUG is off. LOG_LEVEL lowers or raises the threshold.
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "lms.log_format.JsonFormatter"}},
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json",
        },
        "mail_admins": {
            "level": "ERROR",
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Propagates to the root's stderr; mails the admins when there are any.
        "django": {"handlers": ["mail_admins"] if ADMINS else [], "level": LOG_LEVEL},
    },
}
# --- Hardening: API token revocation (attempts.api.tokens) -------------------------------
# Tokens carry the user's ``token_version``; the authentication, refresh and verify refuse
# a token whose version is stale (password change, deactivation, sign-out everywhere).
SIMPLE_JWT["AUTH_TOKEN_CLASSES"] = ("attempts.api.tokens.VersionedSlidingToken",)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "attempts.api.authentication.VersionedJWTAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]


# --- Hardening: brute-force protection (django-axes) -------------------------------------
# Every sign-in (the login page, the admin's, POST /api/v2.5/auth-token/) authenticates with
# the request; after AXES_FAILURE_LIMIT failures of one username from one address, that
# combination is refused for AXES_COOLOFF_MINUTES (429: the lockout page, or {"detail"} on
# the API, ``attempts.api.tokens``); a success resets the count. Lockouts show in the admin.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += [
    "axes.middleware.AxesMiddleware"
]  # last, as axes asks: it turns a lockout into its page
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out attempt
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The database handler, with or without Redis: lockouts are rows the admin lists and an
# admin can delete (axes' cache handler keeps them where the admin cannot see them). The
# failures it counts are a write per wrong password, cheap beside the password hash itself.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# The client address (lockouts, API throttles, the password reset limit) is REMOTE_ADDR,
# unless TRUSTED_PROXY_COUNT says how many reverse proxies in front of us append to
# X-Forwarded-For (lms.client_address). Never set it without such proxies: a client could
# then name any address it likes.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "lms.client_address.client_address"
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT or None


# --- Hardening: mail and password reset ---------------------------------------------------
# EMAIL_URL, read by django-environ: "smtp+tls://user:password@smtp.example.com:587",
# "smtps://…:465", "consolemail://" (the default: mail is printed to the console, fine for
# development; set EMAIL_URL in production or password reset mails go nowhere).
globals().update(environ.Env.email_url_config(env.str("EMAIL_URL", default="consolemail://")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Password reset requests an hour (lms.views.ThrottledPasswordResetView), counted in the
# default cache: per process with the local-memory cache, shared once CACHES names Redis.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=3)
PASSWORD_RESET_LIMIT_PER_IP = env.int("PASSWORD_RESET_LIMIT_PER_IP", default=10)


# --- API clients and keys (lms.models.ApiClient, attempts.api.authentication) -------------
# The server-side key of the HMAC that stores each API secret. Defaults to SECRET_KEY; set it
# on its own so that rotating SECRET_KEY does not invalidate every integration's key.
API_KEY_HASH_KEY = env.str("API_KEY_HASH_KEY", default=SECRET_KEY)
# Requests per API client (attempts.api.throttling), counted in the default cache: one
# process's memory with LocMemCache, shared by all once CACHES names Redis.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["attempts.api.throttling.ApiClientRateThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "api_client": env.str("API_CLIENT_THROTTLE_RATE", default="1200/min")
}
# --- Background tasks (Celery) -------------------------------------------------------------
# A broker (e.g. redis://127.0.0.1:6379/0) sends tasks to `celery -A lms worker`; without one
# (the embedded demo, the tests) every task runs inline in the process that sends it.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves it for another
# Exams with more finished attempts than this are regraded by a task, with a progress bar;
# smaller ones inline, within the request.
REGRADE_INLINE_LIMIT = env.int("REGRADE_INLINE_LIMIT", default=2000)
# Attempt list XLSX exports of more rows than this (attempts.paging.total: exact up to it)
# are written by a task (attempts.export_jobs) with a progress page; smaller ones in the
# request. An XLSX file is whole before its first byte is sent, and openpyxl writes it a
# few thousand rows a second: past this, a proxy's timeout would cut the request.
EXPORT_BACKGROUND_ABOVE = env.int("EXPORT_BACKGROUND_ABOVE", default=20_000)
# The same for CSV exports, which stream from their first row (the 408k rows of the 1M
# benchmark's largest exam in about 4 s on PostgreSQL, written by its COPY): only lists
# longer than this become jobs.
EXPORT_CSV_BACKGROUND_ABOVE = env.int("EXPORT_CSV_BACKGROUND_ABOVE", default=1_000_000)
# Export jobs and their files are deleted this many days after they were asked for
# (`manage.py purge_exports`, or the beat task below).
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
# A running export job writes progress every few seconds; one silent this long (seconds) lost
# its worker and is failed (attempts.export_jobs.export_jobs_fail_stalled).
EXPORT_STALLED_AFTER = env.int("EXPORT_STALLED_AFTER", default=600)
# Uploaded and generated files: the export jobs' files. No MEDIA_URL is served: a file is
# sent only by the view that checks who asks (attempts.web.export_jobs).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")

# ---- AttemptStatus webhooks (attempts.webhooks, issue 14) ----
INSTALLED_APPS += ["attempts.webhooks"]
# The organisation's id in every AttemptStatus payload (the seed's ``clientId``).
WEBHOOK_CLIENT_ID = env.str("WEBHOOK_CLIENT_ID", default="lms")
# Deliver to private, loopback and link-local addresses (the tests and the demo); never in
# production, where an endpoint URL could otherwise reach internal services.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=15)
# Sends in flight at once per delivery pump (threads), and at most this many to one endpoint,
# so a slow endpoint holds its own slots and never the others' (attempts.webhooks.delivery).
WEBHOOK_DELIVERY_THREADS = env.int("WEBHOOK_DELIVERY_THREADS", default=8)
WEBHOOK_ENDPOINT_CONCURRENCY = env.int("WEBHOOK_ENDPOINT_CONCURRENCY", default=4)
# Seconds the relay waits before stepping over a gap in AttemptEvent ids (see relay.py).
WEBHOOK_RELAY_GAP_GRACE = env.int("WEBHOOK_RELAY_GAP_GRACE", default=60)
CELERY_BEAT_SCHEDULE = {
    "webhooks-pump": {"task": "attempts.webhooks.tasks.pump", "schedule": 2.0},
    # Stalled export jobs failed, jobs past EXPORT_RETENTION_DAYS deleted: hourly is plenty.
    "exports-purge": {"task": "attempts.tasks.purge_exports", "schedule": 3600.0},
}

# --- Celery queues: one per kind of work, so each scales (and is watched) on its own ----------
# A worker started without -Q consumes all four (one machine: `make worker`); past one machine,
# `celery -A lms worker -Q webhooks` etc. per group of workers (README, "Going past one
# machine"). Routes are glob patterns on task names; anything else goes to "celery".
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name) for name in ("celery", "webhooks", "regrades", "exports")]
CELERY_TASK_ROUTES = {
    "attempts.webhooks.tasks.*": {"queue": "webhooks"},
    "attempts.tasks.regrade_*": {"queue": "regrades"},
    # The export tasks (large XLSX files built off the request), wherever they are defined.
    "*.export_*": {"queue": "exports"},
}
