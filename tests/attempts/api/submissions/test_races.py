"""Concurrent submissions of one learner, in threads with their own connections, through
the HTTP API. On PostgreSQL the lock on the learner's enrolment row serialises them; on
SQLite the write lock taken at BEGIN IMMEDIATE does."""

import threading

import pytest

from assessments.models import Exam
from attempts.models import Attempt, AttemptEvent
from tests.attempts.api.submissions.conftest import client_for, sheet, submissions_url
from tests.attempts.test_races import in_threads

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 20


def test_twenty_parallel_submissions_at_a_limit_of_one_give_exactly_one_201(open_kit):
    kit = open_kit
    Exam.objects.filter(pk=kit.exam.pk).update(max_attempts=1)
    exam = Exam.objects.get(pk=kit.exam.pk)
    body = sheet(kit, single=[0], numeric="9.81")
    ready = threading.Barrier(WRITERS)

    def submit():
        client = client_for(kit.learner)
        ready.wait(10)  # every thread at the line before any posts
        response = client.post(submissions_url(exam), body, format="json")
        return response.status_code, response.json()

    results = in_threads(*[(f"writer-{n}", submit) for n in range(WRITERS)], timeout=60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [403] * (WRITERS - 1)
    refusals = [body for status, body in results if status == 403]
    assert {r["type"] for r in refusals} == {"/api/v1/problems/attempt-limit-reached"}
    assert {(r["max_attempts"], r["attempts_used"]) for r in refusals} == {(1, 1)}
    (attempt,) = Attempt.objects.filter(user=kit.learner, exam=exam)
    assert attempt.score == 8  # single +4, numeric +4
    assert AttemptEvent.objects.filter(attempt=attempt).count() == 1


def test_parallel_retries_with_one_idempotency_key_create_one_submission(open_kit):
    kit = open_kit
    body = sheet(kit, single=[0])
    ready = threading.Barrier(8)

    def submit():
        client = client_for(kit.learner)
        ready.wait(10)
        response = client.post(
            submissions_url(kit.exam), body, format="json", HTTP_IDEMPOTENCY_KEY="once"
        )
        return response.status_code, response.json()["id"]

    results = in_threads(*[(f"retry-{n}", submit) for n in range(8)], timeout=60)
    assert {status for status, _ in results} == {201}
    assert len({submission for _, submission in results}) == 1
    assert Attempt.objects.filter(user=kit.learner).count() == 1
