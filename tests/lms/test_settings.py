import os
import subprocess
import sys
from pathlib import Path

import pytest

from lms.settings import database_settings


def test_default_sqlite_uses_wal_immediate_transactions_and_a_busy_timeout(tmp_path):
    config = database_settings(f"sqlite:///{tmp_path / 'sub' / 'db.sqlite3'}")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] > 0
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert Path(config["NAME"]).parent.is_dir()  # the folder is created for a fresh clone


def test_postgres_url_switches_engine_and_uses_the_pool(monkeypatch):
    monkeypatch.delenv("DB_POOL", raising=False)
    config = database_settings("postgres://alice:secret@db.example:5433/lms")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == (
        "lms",
        "alice",
        "db.example",
        5433,
    )
    assert config["OPTIONS"]["pool"]["max_size"] >= 1


def test_the_pool_gives_up_after_3_seconds_and_checks_connections(monkeypatch):
    # A lost database is a quick 503, not a request waiting 10 s for a connection.
    monkeypatch.delenv("DB_POOL", raising=False)
    monkeypatch.delenv("DB_POOL_TIMEOUT", raising=False)
    config = database_settings("postgres://postgres@127.0.0.1:5432/lms")
    assert config["OPTIONS"]["pool"]["timeout"] == 3
    # Django 5.2 gives the pool psycopg_pool's ConnectionPool.check_connection for this.
    assert config["CONN_HEALTH_CHECKS"] is True


def test_the_pool_timeout_comes_from_db_pool_timeout(monkeypatch):
    monkeypatch.delenv("DB_POOL", raising=False)
    monkeypatch.setenv("DB_POOL_TIMEOUT", "0.5")
    config = database_settings("postgres://postgres@127.0.0.1:5432/lms")
    assert config["OPTIONS"]["pool"]["timeout"] == 0.5


@pytest.mark.django_db
def test_the_running_database_waits_briefly_for_a_connection_or_a_lock():
    """PostgreSQL: the pool gives up within 3 s and checks connections before handing them
    out. SQLite has no pool: a writer waits for the lock up to its busy timeout instead."""
    from django.db import connection
    from psycopg_pool import ConnectionPool

    if connection.vendor == "postgresql":
        assert connection.pool.timeout <= 3
        assert connection.pool._check == ConnectionPool.check_connection
    else:
        assert connection.settings_dict["OPTIONS"]["timeout"] == 20
        assert "pool" not in connection.settings_dict["OPTIONS"]


def test_pool_holds_one_connection_per_gunicorn_thread(monkeypatch):
    monkeypatch.delenv("DB_POOL_MAX_SIZE", raising=False)
    monkeypatch.setenv("GUNICORN_THREADS", "6")
    config = database_settings("postgres://postgres@127.0.0.1:5432/lms")
    assert config["OPTIONS"]["pool"]["max_size"] == 6
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "3")  # e.g. a database with few connections
    config = database_settings("postgres://postgres@127.0.0.1:5432/lms")
    assert config["OPTIONS"]["pool"]["max_size"] == 3


def test_pool_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("DB_POOL", "off")
    config = database_settings("postgres://postgres@127.0.0.1:5432/lms")
    assert "pool" not in config.get("OPTIONS", {})


@pytest.mark.django_db
def test_the_running_database_is_the_one_database_url_names(settings):

    from django.db import connection

    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith("postgres") else "sqlite"
    assert connection.vendor == expected
    assert settings.AUTH_USER_MODEL == "lms.User"
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"


# ------------------------------------------------------------------------------ deployment

# What a production process gets from its environment (no DEBUG, real secrets, a proxy that
# terminates TLS); every other security setting keeps its default.
PRODUCTION_ENV = {
    "SECRET_KEY": "production-like-secret-key-for-the-deploy-check-0123456789abcdefghij",
    "JWT_SIGNING_KEY": "production-like-jwt-signing-key-for-the-deploy-check-0123456789abcd",
    "ALLOWED_HOSTS": "lms.example.com",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}
REPO = Path(__file__).resolve().parents[2]


def production_environ(**overrides) -> dict:
    """This process's environment without the test suite's relaxations (pytest-env), plus
    the production variables."""
    relaxed = {
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "STATICFILES_MANIFEST",
        # Set by the browser tests' conftest for the rest of the session; never in deployment.
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    environ = {k: v for k, v in os.environ.items() if k not in relaxed}
    return {**environ, **PRODUCTION_ENV, **overrides}


def run_manage(*args, environ) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_passes_with_production_environment():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", environ=production_environ()
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_fails_when_a_secure_default_is_turned_off():
    # The same check catches a relaxed setting: it is the defaults that make it pass.
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        environ=production_environ(SESSION_COOKIE_SECURE="off"),
    )
    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_jwt_signing_key():
    environ = production_environ()
    del environ["JWT_SIGNING_KEY"]
    result = run_manage("check", environ=environ)
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY" in result.stderr


def test_debug_falls_back_to_secret_key_for_jwt():
    environ = production_environ(DEBUG="on")
    del environ["JWT_SIGNING_KEY"]
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings;"
        " print(settings.SIMPLE_JWT['SIGNING_KEY'] == settings.SECRET_KEY)",
        environ=environ,
    )
    assert result.stdout.splitlines()[-1] == "True", result.stderr


def test_tokens_are_signed_with_the_jwt_key_not_the_secret_key(settings):
    assert settings.SIMPLE_JWT["SIGNING_KEY"] == os.environ["JWT_SIGNING_KEY"]
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY


# ------------------------------------------------------------------------------ cache, proxy


def settings_of(code: str, **env) -> str:
    """What ``code`` prints in a fresh process with ``env`` (settings are read at start)."""
    result = run_manage("shell", "-v", "0", "-c", code, environ={**production_environ(), **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_redis_each_process_caches_in_memory():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    assert settings_of(code, REDIS_URL="") == "django.core.cache.backends.locmem.LocMemCache"


def test_with_redis_the_processes_share_one_cache(redis_url):
    """Throttles, the password reset limit and lockout counts are then shared by every web
    process: what one process counts, another sees."""
    write = "from django.core.cache import cache; cache.set('shared', 'seen', 60); print('ok')"
    read = "from django.core.cache import cache; print(cache.get('shared'))"

    assert settings_of(write, REDIS_URL=redis_url) == "ok"
    assert settings_of(read, REDIS_URL=redis_url) == "seen"
    assert settings_of(read, REDIS_URL="") == "None"  # in memory: nothing shared


def test_a_trusted_proxy_count_reaches_lockouts_and_api_throttles():
    code = (
        "from django.conf import settings; "
        "print(settings.TRUSTED_PROXY_COUNT, settings.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    assert settings_of(code) == "0 None"
    assert settings_of(code, TRUSTED_PROXY_COUNT="2") == "2 2"
