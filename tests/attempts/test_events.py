"""The event outbox: every service that changes an attempt's state or stored result appends
exactly one ``AttemptEvent`` per attempt changed, in the same transaction.

Kit: 6 questions × 4 marks (max 24), negative 1, pass mark 50 %, 60 minutes
(tests/attempts/conftest.py).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from assessments.models import AnswerChoice
from attempts import services
from attempts.errors import AttemptNotRunningError
from attempts.models import Attempt, AttemptEvent
from tests import play
from tests.factories import StaffFactory
from tests.play import NOW

D = Decimal
Kind = AttemptEvent.Kind
State = Attempt.State


def events(attempt=None):
    rows = AttemptEvent.objects.order_by("id")
    if attempt is not None:
        rows = rows.filter(attempt=attempt)
    return [
        (e.kind, e.state_before, e.state_after, e.score_before, e.score_after, e.actor_id)
        for e in rows
    ]


def submitted_with_essay(kit):
    """Single right (+4), essay answered (pending), the rest unanswered: 4.00, pending."""
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[0])
    kit.answer(attempt, "essay", text="Because gravity.")
    return play.submit(attempt, now=NOW + timedelta(minutes=5))


class TestStartAndResume:
    def test_a_start_records_started_from_nothing(self, kit):
        assert events() == []

        attempt = kit.start()

        assert events() == [(Kind.STARTED, None, State.RUNNING, None, D("0"), kit.learner.pk)]
        assert AttemptEvent.objects.get().at == NOW
        assert AttemptEvent.objects.get().attempt == attempt

    def test_a_second_start_resumes_and_records_resumed(self, kit):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])

        kit.start(now=NOW + timedelta(minutes=1))

        assert events()[-1] == (
            Kind.RESUMED,
            State.RUNNING,
            State.RUNNING,
            D("4"),
            D("4"),
            kit.learner.pk,
        )
        assert len(events()) == 3  # started, answer saved, resumed

    def test_opening_records_opened_and_starting_it_records_started(self, kit):
        opened = services.attempt_open(user=kit.learner, exam=kit.exam, now=NOW)
        assert opened.state == State.NOT_STARTED
        assert events() == [(Kind.OPENED, None, State.NOT_STARTED, None, D("0"), kit.learner.pk)]

        later = NOW + timedelta(minutes=10)
        started = kit.start(now=later)

        assert started.pk == opened.pk  # the opened attempt is started, not a new one
        assert (started.state, started.started_at) == (State.RUNNING, later)
        assert started.deadline_at == later + timedelta(minutes=60)
        assert events()[-1] == (
            Kind.STARTED,
            State.NOT_STARTED,
            State.RUNNING,
            D("0"),
            D("0"),
            kit.learner.pk,
        )

    def test_opening_twice_creates_and_records_nothing_more(self, kit):
        first = services.attempt_open(user=kit.learner, exam=kit.exam, now=NOW)
        again = services.attempt_open(user=kit.learner, exam=kit.exam, now=NOW)
        assert first.pk == again.pk
        assert len(events()) == 1


class TestAnswersWhileRunning:
    def test_each_save_records_the_live_score_before_and_after(self, kit):
        attempt = kit.start()

        kit.answer(attempt, "single", choices=[0])  # +4
        kit.answer(attempt, "true_false", choices=[1])  # -1
        kit.answer(attempt, "single", choices=[2])  # was +4, now -1

        saved = [e for e in events() if e[0] == Kind.ANSWER_SAVED]
        assert [(e[3], e[4]) for e in saved] == [
            (D("0"), D("4")),
            (D("4"), D("3")),
            (D("3"), D("-2")),
        ]
        last = AttemptEvent.objects.filter(kind=Kind.ANSWER_SAVED).last()
        assert last.details == {
            "exam_question": kit.eq["single"].pk,
            "result": "incorrect",
            "marks": "-1.00",
        }

    def test_a_refused_save_records_nothing(self, kit):
        attempt = kit.start()
        play.submit(attempt, now=NOW)
        before = len(events())

        with pytest.raises(AttemptNotRunningError):
            kit.answer(attempt, "single", choices=[0])

        assert len(events()) == before


class TestSubmitAndFinalize:
    def test_submit_records_running_to_its_final_state(self, kit):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])

        services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=5))

        assert events()[-1] == (
            Kind.SUBMITTED,
            State.RUNNING,
            State.COMPLETED,
            D("4"),
            D("4"),
            kit.learner.pk,
        )

    def test_a_second_submit_records_nothing(self, kit):
        attempt = kit.start()
        play.submit(attempt, now=NOW)
        before = len(events())

        services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=1))

        assert len(events()) == before

    def test_submit_with_an_essay_ends_pending(self, kit):
        submitted_with_essay(kit)
        assert events()[-1][:3] == (Kind.SUBMITTED, State.RUNNING, State.PENDING_EVALUATION)

    def test_the_overdue_finalizer_records_one_event_per_attempt_without_an_actor(self, kit):
        other = kit.enrol()
        first = kit.start()
        second = kit.start(other)
        kit.answer(first, "single", choices=[0])

        done = services.attempts_finalize_overdue(now=NOW + timedelta(hours=2))

        assert done == 2
        finalized = AttemptEvent.objects.filter(kind=Kind.FINALIZED).order_by("attempt_id")
        assert [(e.attempt_id, e.state_before, e.state_after, e.score_after, e.actor_id)
                for e in finalized] == [
            (first.pk, State.RUNNING, State.COMPLETED, D("4"), None),
            (second.pk, State.RUNNING, State.COMPLETED, D("0"), None),
        ]  # fmt: skip

    def test_finalize_now_closes_running_attempts_and_names_the_admin(self, kit):
        admin = StaffFactory()
        attempt = kit.start()
        later = NOW + timedelta(minutes=20)

        done = services.attempts_finalize(attempt_ids=[attempt.pk], actor=admin, now=later)

        attempt.refresh_from_db()
        assert (done, attempt.state, attempt.completed_at) == (1, State.COMPLETED, later)
        assert events()[-1] == (Kind.FINALIZED, State.RUNNING, State.COMPLETED, D("0"),
                                D("0"), admin.pk)  # fmt: skip

    def test_finalize_now_leaves_finished_attempts_alone(self, kit):
        attempt = kit.start()
        play.submit(attempt, now=NOW)
        before = len(events())

        done = services.attempts_finalize(attempt_ids=[attempt.pk], actor=None, now=NOW)

        assert done == 0
        assert len(events()) == before


class TestEvaluate:
    def test_evaluating_records_pending_to_completed_with_the_marks(self, kit):
        attempt = submitted_with_essay(kit)
        essay = attempt.answers.get(exam_question=kit.eq["essay"])

        services.answer_evaluate(
            answer=essay, evaluator=kit.instructor, marks=D("3"), now=NOW + timedelta(hours=1)
        )

        assert events()[-1] == (
            Kind.EVALUATED,
            State.PENDING_EVALUATION,
            State.COMPLETED,
            D("4"),
            D("7"),
            kit.instructor.pk,
        )
        assert AttemptEvent.objects.last().details == {
            "answer": essay.pk,
            "exam_question": kit.eq["essay"].pk,
            "marks_before": None,
            "marks": "3.00",
        }

    def test_a_regrade_with_the_same_marks_is_still_recorded(self, kit):
        attempt = submitted_with_essay(kit)
        essay = attempt.answers.get(exam_question=kit.eq["essay"])
        services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=D("3"), now=NOW)

        services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=D("3"), now=NOW)

        evaluated = AttemptEvent.objects.filter(kind=Kind.EVALUATED).order_by("id")
        assert [(e.score_before, e.score_after) for e in evaluated] == [
            (D("4"), D("7")),
            (D("7"), D("7")),
        ]
        assert evaluated.last().details["marks_before"] == "3.00"


class TestRescore:
    def test_only_attempts_whose_result_changed_get_an_event(self, kit):
        right = kit.start()
        kit.answer(right, "single", choices=[0])
        play.submit(right, now=NOW)
        other = kit.enrol()
        untouched = kit.start(other)
        kit.answer(untouched, "numeric", number=D("9.81"))
        play.submit(untouched, now=NOW)
        before = len(events())
        # The key of the single choice question moves from choice 0 to choice 1: only the
        # first attempt answered it (+4 becomes -1); max score and the other attempt stay.
        key = kit.choices["single"]
        AnswerChoice.objects.filter(pk=key[0].pk).update(is_correct=False)
        AnswerChoice.objects.filter(pk=key[1].pk).update(is_correct=True)

        done = services.exam_rescore(exam=kit.exam, actor=kit.instructor)

        assert done == 2
        rescored = AttemptEvent.objects.filter(kind=Kind.RESCORED)
        assert [(e.attempt_id, e.score_before, e.score_after, e.actor_id) for e in rescored] == [
            (right.pk, D("4"), D("-1"), kit.instructor.pk)
        ]
        assert len(events()) == before + 1

    def test_a_rescore_that_changes_nothing_records_nothing(self, kit):
        attempt = kit.start()
        play.submit(attempt, now=NOW)
        before = len(events())

        services.exam_rescore(exam=kit.exam)
        services.attempts_rescore(attempt_ids=[attempt.pk])

        assert len(events()) == before

    def test_rescoring_selected_attempts_records_their_change(self, kit):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])
        play.submit(attempt, now=NOW)
        type(kit.eq["single"]).objects.filter(pk=kit.eq["single"].pk).update(marks=D("6"))

        done = services.attempts_rescore(attempt_ids=[attempt.pk], actor=kit.instructor)

        assert done == 1
        assert events()[-1] == (Kind.RESCORED, State.COMPLETED, State.COMPLETED, D("4"),
                                D("6"), kit.instructor.pk)  # fmt: skip


def test_an_event_is_written_in_the_same_transaction_as_the_change(kit):
    """A change rolled back takes its event with it: nothing is announced that did not
    happen (and nothing that happened goes unannounced)."""

    class Abort(Exception):
        pass

    def start_then_fail():
        with transaction.atomic():
            kit.start()
            assert len(events()) == 1
            raise Abort

    with pytest.raises(Abort):
        start_then_fail()

    assert Attempt.objects.count() == 0
    assert events() == []
