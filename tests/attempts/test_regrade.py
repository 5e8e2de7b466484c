"""Regrades: commit with a reason, run (inline or as the Celery task), undo.

Kit (tests/attempts/conftest.py): 6 questions × 4 marks (max 24), negative 1, pass mark 50 %.
``ranked`` (web/conftest.py): ada 13 of 24 (single +4, multiple partial +2, true/false -1,
numeric +4, short +4), bob 4 of 24 (single only). The regrades below follow a marks change of
the single choice question from 4 to 10: ada 19 of 30, bob 10 of 30.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import AnswerChoice, Exam, ExamQuestion
from assessments.services import exams_marking_changed, exams_marking_changing
from attempts import services
from attempts.errors import ConflictError, InvalidAnswerError, NotAllowedError
from attempts.models import Attempt, AttemptEvent, MarkChange, Regrade, UserAnswer
from attempts.tasks import regrade_exam
from tests.attempts.web import conftest as web
from tests.attempts.web.conftest import SUBMITTED
from tests.factories import (
    CourseFactory,
    ExamFactory,
    ExamQuestionFactory,
    SectionFactory,
    UserFactory,
)

ranked = web.ranked  # the web tests' fixture
D = Decimal
CHANGED = SUBMITTED + timedelta(days=1)


def raise_single_marks(kit, marks="10"):
    ExamQuestion.objects.filter(pk=kit.eq["single"].pk).update(marks=D(marks))
    exams_marking_changed(exam_ids=[kit.exam.pk], now=CHANGED)


def results():
    return sorted(
        Attempt.objects.values_list(
            "pk", "state", "score", "max_score", "percentage", "passed", "correct_count"
        )
    )


def answers():
    return sorted(UserAnswer.objects.values_list("pk", "result", "marks_awarded", "override_marks"))


def commit(kit, **options):
    regrade = services.exam_regrade(
        exam=kit.exam, actor=kit.instructor, reason="Q1 is worth more", **options
    )
    return services.regrade_run(regrade_id=regrade.pk)


class TestCommit:
    def test_a_regrade_stores_the_new_results_with_events_and_history(self, kit, ranked):
        ada, bob = ranked
        raise_single_marks(kit)

        regrade = commit(kit)

        assert (regrade.status, regrade.total, regrade.done, regrade.changed) == ("done", 2, 2, 2)
        assert sorted(Attempt.objects.values_list("score", "max_score")) == [
            (D("10.00"), D("30.00")),
            (D("19.00"), D("30.00")),
        ]
        events = AttemptEvent.objects.filter(kind="regraded")
        assert {(e.attempt_id, e.details["regrade"], e.actor_id) for e in events} == {
            (ada.pk, regrade.pk, kit.instructor.pk),
            (bob.pk, regrade.pk, kit.instructor.pk),
        }
        assert set(MarkChange.objects.values_list("source", "regrade", "comment")) == {
            ("regrade", regrade.pk, "Q1 is worth more")
        }
        # The banner's flag is cleared: every result is up to date.
        assert Exam.objects.get(pk=kit.exam.pk).marking_changed_at is None

    def test_the_snapshot_keeps_the_marking_applied(self, kit, ranked):
        raise_single_marks(kit)
        regrade = commit(kit)
        single = next(
            q for q in regrade.snapshot["questions"] if q["exam_question"] == kit.eq["single"].pk
        )
        assert (single["marks"], single["key"]) == ("10.00", [kit.choices["single"][0].pk])

    def test_a_reason_is_required(self, kit, ranked):
        with pytest.raises(InvalidAnswerError, match="Say why") as refused:
            services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason=" ")
        assert refused.value.field == "reason"

    def test_only_reviewers_of_the_course_regrade(self, kit, ranked):
        stranger = UserFactory()
        CourseFactory(instructors=[stranger])
        for actor in (stranger, kit.learner):
            with pytest.raises(NotAllowedError):
                services.exam_regrade(exam=kit.exam, actor=actor, reason="x")

    def test_one_regrade_of_an_exam_at_a_time(self, kit, ranked):
        services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="first")
        with pytest.raises(ConflictError, match="already under way"):
            services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="second")

    def test_an_exam_without_finished_attempts_regrades_nothing(self, kit):
        kit.start()  # running: not regraded
        regrade = commit(kit)
        assert (regrade.status, regrade.total, regrade.done, regrade.changed) == ("done", 0, 0, 0)

    def test_running_a_regrade_twice_rescores_once(self, kit, ranked):
        raise_single_marks(kit)
        regrade = commit(kit)
        again = services.regrade_run(regrade_id=regrade.pk)
        assert again.status == "done"
        assert AttemptEvent.objects.filter(kind="regraded").count() == 2

    def test_the_celery_task_runs_it_inline_without_a_broker(self, kit, ranked, settings):
        assert settings.CELERY_TASK_ALWAYS_EAGER  # no CELERY_BROKER_URL in the tests
        raise_single_marks(kit)
        regrade = services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="big")

        regrade_exam.delay(regrade.pk)

        regrade.refresh_from_db()
        assert (regrade.status, regrade.done, regrade.total) == ("done", 2, 2)

    def test_progress_is_stored_chunk_by_chunk(self, kit, ranked, monkeypatch):
        seen = []
        real = services.exam_rescore

        def watched(*, progress, **kwargs):
            def store_then_look(count):
                progress(count)
                seen.append(Regrade.objects.values_list("done", "total").get())

            return real(progress=store_then_look, **kwargs)

        monkeypatch.setattr(services, "exam_rescore", watched)
        regrade = services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="x")
        services.regrade_run(regrade_id=regrade.pk, chunk_size=1)
        assert seen == [(1, 2), (2, 2)]

    def test_a_failing_regrade_is_marked_failed(self, kit, ranked, monkeypatch):
        def broken(**kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(services, "exam_rescore", broken)
        regrade = services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="x")
        with pytest.raises(RuntimeError):
            services.regrade_run(regrade_id=regrade.pk)
        regrade.refresh_from_db()
        assert regrade.status == "failed"


class TestOverridesAndRegrades:
    def test_a_regrade_keeps_overrides_unless_told_to_clear_them(self, kit, ranked):
        ada, _ = ranked
        single = UserAnswer.objects.get(attempt=ada, exam_question=kit.eq["single"])
        services.answer_override(answer=single, actor=kit.instructor, marks=D("1"), comment="x")
        raise_single_marks(kit)

        commit(kit)
        single.refresh_from_db()
        assert (single.override_marks, single.marks_awarded) == (D("1.00"), D("1.00"))

        commit(kit, clear_overrides=True)
        single.refresh_from_db()
        assert (single.override_marks, single.marks_awarded) == (None, D("10.00"))


class TestUndo:
    def test_undo_puts_back_every_result_and_answer_exactly(self, kit, ranked):
        ada, _ = ranked
        single = UserAnswer.objects.get(attempt=ada, exam_question=kit.eq["single"])
        services.answer_override(answer=single, actor=kit.instructor, marks=D("1"), comment="x")
        before_results, before_answers = results(), answers()
        raise_single_marks(kit)
        regrade = commit(kit, clear_overrides=True)
        assert results() != before_results

        restored = services.regrade_undo(regrade=regrade, actor=kit.instructor, now=CHANGED)

        assert restored == 2
        assert (results(), answers()) == (before_results, before_answers)
        regrade.refresh_from_db()
        assert (regrade.status, regrade.undone_by) == ("undone", kit.instructor)
        # The stored results no longer follow the current marks: the exam is flagged again.
        assert Exam.objects.get(pk=kit.exam.pk).marking_changed_at == CHANGED
        assert AttemptEvent.objects.filter(kind="regrade_undone").count() == 2
        assert MarkChange.objects.filter(source="undo", regrade=regrade).count() == 2

    def test_the_ranked_population_follows_the_restored_scores(self, kit, ranked):
        Exam.objects.filter(pk=kit.exam.pk).update(rank_policy=Exam.RankPolicy.BEST)
        kit.exam.refresh_from_db()
        # ada retakes and scores 4 (single only): her first attempt (13) stays her best.
        retake = kit.start(now=SUBMITTED)
        kit.answer(retake, "single", choices=[0], now=SUBMITTED)
        services.attempt_submit(attempt=retake, now=SUBMITTED + timedelta(minutes=5))
        ranked_before = set(Attempt.objects.filter(counts_for_rank=True).values_list("pk"))
        regrade = commit(kit)
        services.regrade_undo(regrade=regrade, actor=kit.instructor)
        assert set(Attempt.objects.filter(counts_for_rank=True).values_list("pk")) == ranked_before

    def test_undo_is_refused_after_a_later_mark_change(self, kit, ranked):
        ada, _ = ranked
        raise_single_marks(kit)
        regrade = commit(kit)
        single = UserAnswer.objects.get(attempt=ada, exam_question=kit.eq["single"])
        services.answer_override(answer=single, actor=kit.instructor, marks=D("2"), comment="x")

        with pytest.raises(ConflictError, match="changed since"):
            services.regrade_undo(regrade=regrade, actor=kit.instructor)

    def test_only_the_latest_regrade_is_undone_and_only_once(self, kit, ranked):
        raise_single_marks(kit)
        first = commit(kit)
        second = commit(kit)
        with pytest.raises(ConflictError, match="later regrade"):
            services.regrade_undo(regrade=first, actor=kit.instructor)
        services.regrade_undo(regrade=second, actor=kit.instructor)
        with pytest.raises(ConflictError, match="undone"):
            services.regrade_undo(regrade=second, actor=kit.instructor)

    def test_only_reviewers_undo(self, kit, ranked):
        regrade = commit(kit)
        with pytest.raises(NotAllowedError):
            services.regrade_undo(regrade=regrade, actor=kit.learner)


class TestUndoRestoresTheMarking:
    """When the admin kept the marking before the change (``exams_marking_changing``, which
    the admin calls before saving), undo puts it back with the results."""

    def change_single_marks_as_the_admin_does(self, kit):
        exams_marking_changing(exam_ids=[kit.exam.pk])
        raise_single_marks(kit)

    def test_marks_come_back_and_the_exam_is_up_to_date_again(self, kit, ranked):
        before = results()
        self.change_single_marks_as_the_admin_does(kit)
        regrade = commit(kit)

        services.regrade_undo(regrade=regrade, actor=kit.instructor, now=CHANGED)

        assert ExamQuestion.objects.get(pk=kit.eq["single"].pk).marks == D("4.00")
        assert results() == before
        exam = Exam.objects.get(pk=kit.exam.pk)
        assert (exam.marking_changed_at, exam.marking_baseline) == (None, None)

    def test_a_key_comes_back_and_other_exams_sharing_the_question_are_flagged(self, kit, ranked):
        other = ExamFactory(course=kit.course)
        ExamQuestionFactory(
            exam=other, section=SectionFactory(exam=other), question=kit.eq["single"].question
        )
        first, second = kit.choices["single"][:2]
        exams_marking_changing(exam_ids=[kit.exam.pk])
        AnswerChoice.objects.filter(pk=first.pk).update(is_correct=False)
        AnswerChoice.objects.filter(pk=second.pk).update(is_correct=True)
        exams_marking_changed(exam_ids=[kit.exam.pk], now=CHANGED)
        regrade = commit(kit)

        services.regrade_undo(regrade=regrade, actor=kit.instructor, now=CHANGED)

        assert set(
            AnswerChoice.objects.filter(question=first.question, is_correct=True).values_list(
                "pk", flat=True
            )
        ) == {first.pk}
        assert Exam.objects.get(pk=other.pk).marking_changed_at == CHANGED
        assert Exam.objects.get(pk=kit.exam.pk).marking_changed_at is None

    def test_attempts_finished_after_the_change_leave_the_exam_flagged(self, kit, ranked):
        self.change_single_marks_as_the_admin_does(kit)
        late = kit.start(kit.enrol("late"), now=CHANGED)
        kit.answer(late, "single", choices=[0], now=CHANGED)
        services.attempt_submit(attempt=late, now=CHANGED + timedelta(minutes=5))
        regrade = commit(kit)

        services.regrade_undo(regrade=regrade, actor=kit.instructor, now=CHANGED)

        # Marks are back to 4, but late's attempt was scored with 10: a rescore is due.
        assert ExamQuestion.objects.get(pk=kit.eq["single"].pk).marks == D("4.00")
        assert Exam.objects.get(pk=kit.exam.pk).marking_changed_at == CHANGED

    def test_the_admin_keeps_the_marking_before_a_key_change(self, admin_client, kit, ranked):
        choice = kit.choices["single"][1]
        response = admin_client.post(
            reverse("admin:assessments_answerchoice_change", args=[choice.pk]),
            {
                "question": choice.question_id,
                "text_html": choice.text_html,
                "is_correct": "on",
                "order": choice.order,
            },
        )
        assert response.status_code == 302
        exam = Exam.objects.get(pk=kit.exam.pk)
        assert exam.marking_changed_at is not None
        key = exam.marking_baseline["keys"][str(choice.question_id)]
        assert key["correct"] == [kit.choices["single"][0].pk]  # as before the change
