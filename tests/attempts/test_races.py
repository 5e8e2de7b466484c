"""Concurrent writers of the same attempts, in threads with their own connections (Hardening,
items 2 and 3). They run on both databases: on PostgreSQL the row locks of the services
serialise them; on SQLite the write lock taken at BEGIN IMMEDIATE does.

Kit (tests/attempts/conftest.py): 6 questions × 4 marks (max 24), negative 1, pass mark 50 %.
"""

import contextlib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from assessments.models import Exam, ExamQuestion
from attempts import services
from attempts.errors import AttemptLimitError
from attempts.models import Attempt, UserAnswer
from tests.attempts.tally_checks import assert_sums_match
from tests.play import NOW, submit

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(*named, timeout=30):
    """Run each ``(name, callable)`` in its own named thread with its own connection;
    re-raise the first error; returns their results in order."""
    results, errors = [None] * len(named), []

    def run(index, target):
        try:
            results[index] = target()
        except Exception as error:  # noqa: BLE001 (handed to the test thread)
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, target), name=name)
        for i, (name, target) in enumerate(named)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    if errors:
        raise errors[0]
    return results


class TestRescoreRacingEvaluation:
    def test_an_essay_marked_during_a_rescore_is_never_lost(self, kit, monkeypatch):
        """The rescore (after the single choice question's marks rose from 4 to 10) reads the
        answers, an instructor marks the essay, the rescore writes: without a lock on the
        attempt row the rescore's totals (essay still pending) would overwrite the
        evaluation's. With it, the evaluation waits and then scores the rescored answers."""
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])  # +4, then +10
        kit.answer(attempt, "essay", text="Because gravity.")
        attempt = submit(attempt, now=NOW + timedelta(minutes=5))
        essay = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"])
        assert attempt.state == Attempt.State.PENDING_EVALUATION
        ExamQuestion.objects.filter(pk=kit.eq["single"].pk).update(marks=D("10"))

        read = threading.Event()
        original = services.stored_responses

        def slow_read(attempt_ids):
            # The rescore has read the answers (the essay still unmarked) and lingers, so
            # that the evaluation runs in between if nothing stops it.
            answers = original(attempt_ids)
            if threading.current_thread().name == "rescore":
                read.set()
                threading.Event().wait(0.5)
            return answers

        monkeypatch.setattr(services, "stored_responses", slow_read)

        def rescore():
            return services.exam_rescore(exam=Exam.objects.get(pk=kit.exam.pk))

        def evaluate():
            assert read.wait(10)
            return services.answer_evaluate(
                answer=essay, evaluator=kit.instructor, marks=D("3"), now=NOW + timedelta(hours=1)
            )

        in_threads(("rescore", rescore), ("evaluate", evaluate))

        attempt.refresh_from_db()
        answers = UserAnswer.objects.filter(attempt=attempt)
        assert attempt.state == Attempt.State.COMPLETED
        assert attempt.pending_count == 0
        # 10 (single) + 3 (essay); the other four questions unanswered: 0.
        assert attempt.score == answers.aggregate(total=Sum("marks_awarded"))["total"] == D("13")


class TestConcurrentStarts:
    def test_a_start_that_loses_the_race_for_the_last_attempt_resumes_it(self, kit, monkeypatch):
        """Every caller finds no running attempt; one creates the only attempt allowed and
        commits; the others then count it as used. They must resume it, not be refused."""
        Exam.objects.filter(pk=kit.exam.pk).update(max_attempts=1)
        exam = Exam.objects.get(pk=kit.exam.pk)
        callers = 5
        all_looked, first_done = threading.Barrier(callers), threading.Event()
        original = services._check_may_start

        def check_in_lockstep(**kwargs):
            all_looked.wait(10)  # everyone has looked for a running attempt: none yet
            if threading.current_thread().name != "first":
                assert first_done.wait(10)  # ... and now the first one has committed
            return original(**kwargs)

        # SQLite takes its write lock when a start's transaction begins (BEGIN IMMEDIATE):
        # starts run one after the other there and cannot interleave like this, so the
        # lock-step applies on PostgreSQL only; the outcome asserted is the same on both.
        if connection.vendor == "postgresql":
            monkeypatch.setattr(services, "_check_may_start", check_in_lockstep)

        def start():
            try:
                return services.attempt_start(user=kit.learner, exam=exam, now=NOW).pk
            except AttemptLimitError as error:  # the bug: a refusal instead of a resume
                return error
            finally:
                if threading.current_thread().name == "first":
                    first_done.set()

        results = in_threads(("first", start), *[(f"other{i}", start) for i in range(callers - 1)])

        assert Attempt.objects.filter(user=kit.learner).count() == 1
        only = Attempt.objects.get(user=kit.learner).pk
        assert results == [only] * callers


class TestStoredSumsUnderConcurrentSubmits:
    def test_two_submissions_at_once_lose_no_increment(self, kit, monkeypatch):
        """Two learners submit the same sheet at once: both moves have computed their deltas
        (the same cells: one more completed attempt at score 4, the same answer cells) before
        either writes. On PostgreSQL both then upsert the same rows: the second waits for the
        first's commit and adds to the committed count (``n = n + EXCLUDED.n``); on SQLite the
        write lock runs them one after the other. Either way both increments stay."""
        from attempts import tallies
        from attempts.models import ExamTally, Population

        other = kit.enrol("bob")
        sheet = [
            services.GivenAnswer(
                question=kit.eq["single"].question.uuid, choice_ids=(kit.choices["single"][0].pk,)
            )
        ]
        both_computed = threading.Barrier(2, timeout=5)
        original = tallies.apply
        overlapping = connection.vendor == "postgresql"

        def apply_together(delta):
            if overlapping:  # SQLite's BEGIN IMMEDIATE lets only one in at a time
                both_computed.wait()
            original(delta)

        monkeypatch.setattr(tallies, "apply", apply_together)

        def submitting(learner):
            return lambda: (
                services.attempt_submit_answers(
                    user=learner, exam=kit.exam, answers=sheet, now=NOW
                ).attempt.score
            )

        assert in_threads(("ada", submitting(kit.learner)), ("bob", submitting(other))) == [
            D(4),
            D(4),
        ]
        completed = ExamTally.objects.get(
            exam=kit.exam, population=Population.ALL, state=Attempt.State.COMPLETED
        )
        assert completed.n == 2
        assert_sums_match(kit.exam)


class TestReviewsOfOneLearnersTwoAttempts:
    def test_an_evaluation_and_an_override_at_once_never_deadlock(self, kit, monkeypatch):
        """ada's two attempts, each with a pending essay. One instructor marks the second
        attempt's essay while another overrides the first's: each review holds its own
        attempt, then the stored sums' move of ada locks both (in id order). Locking only its
        own attempt first, the two waited on each other crosswise and PostgreSQL killed one
        ("deadlock detected"). Both now lock ada's attempts in id order before anything."""
        attempts = []
        for _ in range(2):
            attempt = kit.start()
            kit.answer(attempt, "essay", text="Because gravity.")
            attempts.append(submit(attempt, now=NOW + timedelta(minutes=5)))
        first, second = (
            UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"])
            for attempt in attempts
        )
        both_locked = threading.Barrier(2, timeout=2)
        original = services._locked_for_review

        def lingering(answer, reviewer, what):
            locked = original(answer, reviewer, what)
            # Old order: both get here, each holding its own attempt. New order: the other
            # review waits for this one's locks, and the barrier gives up.
            with contextlib.suppress(threading.BrokenBarrierError):
                both_locked.wait()
            return locked

        monkeypatch.setattr(services, "_locked_for_review", lingering)
        review = {"evaluator": kit.instructor, "comment": "Read twice", "now": NOW}

        def evaluating():
            return services.answer_evaluate(answer=second, marks=D(3), **review).marks_awarded

        def overriding():
            return services.answer_override(
                answer=first, actor=kit.instructor, marks=D(2), comment="Half", now=NOW
            ).marks_awarded

        assert in_threads(("evaluate", evaluating), ("override", overriding)) == [D(3), D(2)]
        assert_sums_match(kit.exam)
