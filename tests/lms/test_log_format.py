"""Errors reach stderr as one JSON line each, with their traceback (``LOGGING`` and
``lms.log_format.JsonFormatter``)."""

import json
import logging
import sys

import pytest
from django.test import RequestFactory

from attempts.web.attempt_list import ExamAttemptListView
from lms.log_format import JsonFormatter
from tests.factories import ExamFactory, StaffFactory


def record_of(exc_info=None, **extra):
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x/",), None
    )
    record.exc_info = exc_info
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_json_line_with_its_traceback():
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        exc_info = sys.exc_info()
    request = RequestFactory().get("/exams/1/attempts/")
    line = JsonFormatter().format(record_of(exc_info, status_code=500, request=request))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "django.request"
    assert entry["message"] == "Internal Server Error: /x/"
    assert (entry["status_code"], entry["method"], entry["path"]) == (
        500,
        "GET",
        "/exams/1/attempts/",
    )
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert entry["exc_info"].endswith("ZeroDivisionError: division by zero")
    assert entry["time"].endswith("+00:00")


def test_a_record_without_request_or_exception_has_the_four_keys():
    assert set(json.loads(JsonFormatter().format(record_of()))) == {
        "time",
        "level",
        "logger",
        "message",
    }


def test_the_root_logger_writes_json_lines_to_stderr(settings):
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert type(handler) is logging.StreamHandler
    # (pytest's capture stands in for sys.stderr while Django configures logging.)
    assert settings.LOGGING["handlers"]["stderr"]["stream"] == "ext://sys.stderr"
    assert settings.LOGGING["root"]["handlers"] == ["stderr"]
    # Django's request errors reach it (its default sends them nowhere with DEBUG off).
    assert logging.getLogger("django.request").getEffectiveLevel() <= logging.WARNING
    assert logging.getLogger("django").propagate


@pytest.mark.django_db
def test_a_page_error_is_logged_with_its_traceback_as_one_line(client, monkeypatch, caplog):
    def fail(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ExamAttemptListView, "get", fail)
    client.force_login(StaffFactory())
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        assert client.get(f"/exams/{ExamFactory().pk}/attempts/").status_code == 500
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    entry = json.loads(JsonFormatter().format(record))
    assert entry["status_code"] == 500
    assert "RuntimeError: a bug" in entry["exc_info"]
