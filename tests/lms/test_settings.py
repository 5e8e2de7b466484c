import os
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
