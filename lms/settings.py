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
    "lms",
    "assessments",
    "attempts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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


def database_settings(url: str) -> dict:
    """Turn ``DATABASE_URL`` into Django's ``DATABASES["default"]`` with our engine tuning.

    SQLite: WAL so readers never block the writer, ``BEGIN IMMEDIATE`` so a transaction that
    will write takes the lock up front (no "database is locked" half-way through), and a busy
    timeout so concurrent requests wait instead of failing.
    PostgreSQL: psycopg 3's connection pool (``DB_POOL=off`` disables it, e.g. behind PgBouncer).
    """
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] not in ("", ":memory:"):
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,  # seconds the driver waits for a lock (busy timeout)
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "django.db.backends.postgresql"
        if env.bool("DB_POOL", default=True):
            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 1,
                "max_size": 10,
                "timeout": 10,
            }
        else:
            config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    return config


DATABASES = {
    "default": database_settings(
        env.str("DATABASE_URL", default=f"sqlite:///{SQLITE_DEFAULT_PATH}")
    )
}
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
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise serves the files (gzip/brotli after collectstatic) without a web server.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

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
    "SIGNING_KEY": SECRET_KEY,
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
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # drf-spectacular's default
        "attempts.api.schema.describe_contract_tags",
    ],
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
# The database handler works everywhere (no Redis needed); with Redis as the default cache,
# "axes.handlers.cache.AxesCacheHandler" spares the database a write per failure.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# The client address is REMOTE_ADDR. Behind a reverse proxy, set AXES_IPWARE_PROXY_COUNT (and
# install django-ipware) or every client shares the proxy's address.


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
