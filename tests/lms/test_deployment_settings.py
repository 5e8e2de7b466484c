"""Settings for more than one machine (README, "Going past one machine"): the read replica's
alias and router, PgBouncer in transaction mode, and the Celery queues."""

import json

import pytest

from lms.celery import app
from lms.settings import database_settings
from tests.lms.test_settings import settings_of

DATABASES_AND_ROUTERS = (
    "import json; from django.conf import settings; "
    "print(json.dumps({'databases': settings.DATABASES, "
    "'routers': settings.DATABASE_ROUTERS}, default=str))"
)


class TestReadReplica:
    def test_without_a_replica_url_there_is_no_replica_and_no_router(self):
        found = json.loads(
            settings_of(DATABASES_AND_ROUTERS, DATABASE_REPLICA_URL="", DATABASE_TEST_REPLICA="")
        )
        assert list(found["databases"]) == ["default"]
        assert found["routers"] == []

    def test_a_replica_url_adds_the_alias_and_the_router(self):
        found = json.loads(
            settings_of(
                DATABASES_AND_ROUTERS,
                DATABASE_URL="postgres://app@primary.internal:5432/lms",
                DATABASE_REPLICA_URL="postgres://app@replica.internal:5432/lms",
                DATABASE_TEST_REPLICA="",
            )
        )
        primary, replica = found["databases"]["default"], found["databases"]["replica"]
        assert (primary["HOST"], replica["HOST"]) == ("primary.internal", "replica.internal")
        # The same tuning as the primary (here psycopg's pool), and a mirror under test.
        assert replica["OPTIONS"] == primary["OPTIONS"]
        assert replica["OPTIONS"]["pool"]["max_size"] >= 1
        assert replica["TEST"]["MIRROR"] == "default"
        assert found["routers"] == ["lms.replica.ReplicaRouter"]


class TestPgBouncerTransactionMode:
    def test_server_side_cursors_and_our_pool_are_off(self, monkeypatch):
        monkeypatch.delenv("DB_POOL", raising=False)
        monkeypatch.delenv("CONN_MAX_AGE", raising=False)
        monkeypatch.setenv("DATABASE_POOL_MODE", "transaction")
        config = database_settings("postgres://app@pgbouncer.internal:6432/lms")
        assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert "pool" not in config.get("OPTIONS", {})
        # Persistent connections to PgBouncer instead, which pools the server connections.
        assert config["CONN_MAX_AGE"] == 60

    def test_session_mode_keeps_server_side_cursors_and_the_pool(self, monkeypatch):
        monkeypatch.delenv("DB_POOL", raising=False)
        monkeypatch.delenv("DATABASE_POOL_MODE", raising=False)
        config = database_settings("postgres://app@db.internal:5432/lms")
        assert config.get("DISABLE_SERVER_SIDE_CURSORS", False) is False
        assert config["OPTIONS"]["pool"]["max_size"] >= 1

    def test_the_replica_follows_the_same_mode(self):
        found = json.loads(
            settings_of(
                DATABASES_AND_ROUTERS,
                DATABASE_URL="postgres://app@pgbouncer.internal:6432/lms",
                DATABASE_REPLICA_URL="postgres://app@pgbouncer-replica.internal:6432/lms",
                DATABASE_POOL_MODE="transaction",
                DATABASE_TEST_REPLICA="",
            )
        )
        for alias in ("default", "replica"):
            assert found["databases"][alias]["DISABLE_SERVER_SIDE_CURSORS"] is True
            assert "pool" not in found["databases"][alias]["OPTIONS"]


class TestCeleryQueues:
    @pytest.mark.parametrize(
        ("task", "queue"),
        [
            ("attempts.webhooks.tasks.pump", "webhooks"),
            ("attempts.tasks.regrade_exam", "regrades"),
            # An export task, wherever its module: named export_<something>.
            ("attempts.tasks.export_attempts_xlsx", "exports"),
            ("attempts.web.exports.export_statistics", "exports"),
            # Anything else: the default queue.
            ("lms.tasks.something_else", "celery"),
        ],
    )
    def test_each_kind_of_work_has_its_queue(self, task, queue):
        assert app.amqp.router.route({}, task)["queue"].name == queue

    def test_the_tasks_that_exist_are_routed(self):
        # The registered tasks themselves, not only names: a renamed task would fall to the
        # default queue without this failing.
        app.loader.import_default_modules()
        assert "attempts.webhooks.tasks.pump" in app.tasks
        assert "attempts.tasks.regrade_exam" in app.tasks
        assert "attempts.tasks.export_attempts" in app.tasks
        route = app.amqp.router.route({}, "attempts.tasks.export_attempts")
        assert route["queue"].name == "exports"
        assert app.amqp.router.route({}, "attempts.tasks.purge_exports")["queue"].name == "celery"

    def test_a_worker_without_q_consumes_every_queue(self):
        # One machine (`make worker`): one worker takes every kind of work.
        assert sorted(app.amqp.queues) == ["celery", "exports", "regrades", "webhooks"]
