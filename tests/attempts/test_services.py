"""The attempt lifecycle, with results computed by hand on the kit exam (tests/attempts/conftest).

Kit: 6 questions × 4 marks (max 24), negative 1, pass mark 50 %, 60 minutes.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from assessments.models import AnswerChoice, Exam
from attempts import services
from attempts.errors import (
    AttemptLimitError,
    AttemptNotRunningError,
    ConflictError,
    DeadlinePassedError,
    ExamNotOpenError,
    InvalidAnswerError,
    NotAllowedError,
)
from attempts.models import Attempt, UserAnswer
from lms.models import Enrollment
from tests.attempts.conftest import NOW
from tests.factories import AttemptFactory, UserFactory

D = Decimal
# A rebuild of an exam's stored sums locks its attempts, then the exam row, on PostgreSQL
# (attempts.tallies.exam_sums_rebuild); SQLite's one writer needs no lock.
REBUILD_LOCKS = 2 if connection.vendor == "postgresql" else 0


def answer_mixed(kit, attempt):
    kit.answer(attempt, "single", choices=[0])  # key: +4 correct
    kit.answer(attempt, "multiple", choices=[0, 1])  # 2 of 3 keys: 2 × 1 = +2 partial
    kit.answer(attempt, "true_false", choices=[1])  # wrong: -1 incorrect
    kit.answer(attempt, "numeric", number=D("9.84"))  # |9.84 - 9.81| <= 0.05: +4
    kit.answer(attempt, "short", text="  paris ")  # normalised match: +4
    kit.answer(attempt, "essay", text="Because gravity.")  # pending, 0


def counts(attempt):
    return (
        attempt.correct_count,
        attempt.incorrect_count,
        attempt.partial_count,
        attempt.unanswered_count,
        attempt.pending_count,
    )


class TestStart:
    def test_starts_a_running_attempt_with_a_deadline(self, kit):
        attempt = kit.start()
        assert attempt.state == Attempt.State.RUNNING
        assert attempt.attempt_number == 1
        assert attempt.started_at == attempt.last_started_at == NOW
        assert attempt.deadline_at == NOW + timedelta(minutes=60)
        assert (attempt.total_questions, attempt.unanswered_count) == (6, 6)
        assert attempt.max_score == D("24.00")

    def test_untimed_exam_has_no_deadline(self, kit):
        Exam.objects.filter(pk=kit.exam.pk).update(duration=None)
        kit.exam.refresh_from_db()
        assert kit.start().deadline_at is None

    def test_starting_again_resumes_the_running_attempt(self, kit):
        first = kit.start()
        later = NOW + timedelta(minutes=5)
        again = kit.start(now=later)
        assert again.pk == first.pk
        assert again.last_started_at == later
        assert Attempt.objects.count() == 1

    def test_a_race_between_two_starts_returns_the_winner(self, kit, monkeypatch):
        check = services._check_may_start

        def competing_request_wins(**kwargs):
            check(**kwargs)
            AttemptFactory(user=kit.learner, exam=kit.exam, state=Attempt.State.RUNNING)

        monkeypatch.setattr(services, "_check_may_start", competing_request_wins)
        attempt = kit.start()
        assert Attempt.objects.filter(user=kit.learner, exam=kit.exam).count() == 1
        assert attempt.state == Attempt.State.RUNNING

    def test_refused_without_enrollment(self, kit):
        with pytest.raises(NotAllowedError, match="not actively enrolled"):
            kit.start(UserFactory())

    @pytest.mark.parametrize("status", ["suspended", "completed", "expired"])
    def test_refused_unless_enrollment_is_active(self, kit, status):
        Enrollment.objects.filter(user=kit.learner).update(status=status)
        with pytest.raises(NotAllowedError):
            kit.start()

    def test_refused_after_enrollment_expires(self, kit):
        Enrollment.objects.filter(user=kit.learner).update(expires_at=NOW - timedelta(hours=1))
        with pytest.raises(NotAllowedError):
            kit.start()

    def test_refused_when_exam_is_not_published(self, kit):
        Exam.objects.filter(pk=kit.exam.pk).update(status=Exam.Status.DRAFT)
        kit.exam.refresh_from_db()
        with pytest.raises(ExamNotOpenError, match="not published"):
            kit.start()

    @pytest.mark.parametrize("offset", [timedelta(days=-2), timedelta(days=31)])
    def test_refused_outside_the_window(self, kit, offset):
        with pytest.raises(ExamNotOpenError, match="not open"):
            kit.start(now=NOW + offset)

    def test_refused_past_max_attempts(self, kit):
        Exam.objects.filter(pk=kit.exam.pk).update(max_attempts=2)
        kit.exam.refresh_from_db()
        for n in range(2):
            services.attempt_submit(attempt=kit.start(now=NOW + timedelta(hours=n)))
        with pytest.raises(AttemptLimitError, match="all 2 attempts"):
            kit.start(now=NOW + timedelta(hours=3))
        assert Attempt.objects.filter(user=kit.learner).count() == 2

    def test_an_overdue_running_attempt_is_submitted_before_a_new_one(self, kit):
        first = kit.start()
        second = kit.start(now=NOW + timedelta(hours=2))
        first.refresh_from_db()
        assert first.state == Attempt.State.COMPLETED
        assert (second.attempt_number, second.state) == (2, Attempt.State.RUNNING)


class TestSaveAnswer:
    def test_upserts_one_row_per_question_and_sums_time(self, kit):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[1], time_spent_seconds=20)
        saved = kit.answer(attempt, "single", choices=[0], time_spent_seconds=15, flagged=True)
        assert UserAnswer.objects.filter(attempt=attempt).count() == 1
        assert saved.time_spent_seconds == 35
        assert saved.is_flagged is True
        assert list(saved.selected_choices.values_list("pk", flat=True)) == [
            kit.choices["single"][0].pk
        ]
        assert (saved.result, saved.marks_awarded) == ("correct", D("4.00"))
        attempt.refresh_from_db()
        assert attempt.last_answer_at == NOW

    def test_rejects_a_choice_of_another_question(self, kit):
        attempt = kit.start()
        foreign = kit.choices["multiple"][0].pk
        with pytest.raises(InvalidAnswerError, match=f"Choice {foreign} does not belong") as err:
            services.attempt_save_answer(
                attempt=attempt, exam_question=kit.eq["single"], choice_ids=[foreign], now=NOW
            )
        assert err.value.field == "choices"
        assert not UserAnswer.objects.exists()

    def test_rejects_two_choices_on_a_single_choice_question(self, kit):
        with pytest.raises(InvalidAnswerError, match="one option"):
            kit.answer(kit.start(), "single", choices=[0, 1])

    def test_rejects_a_question_of_another_exam(self, kit):
        other = AttemptFactory(user=kit.learner, state=Attempt.State.RUNNING)
        with pytest.raises(InvalidAnswerError, match="not part"):
            kit.answer(other, "single", choices=[0])

    def test_accepts_a_save_within_the_grace_after_the_deadline(self, kit):
        attempt = kit.start()
        late = attempt.deadline_at + services.DEADLINE_GRACE
        assert kit.answer(attempt, "single", choices=[0], now=late).result == "correct"

    def test_refuses_a_save_after_the_grace(self, kit):
        attempt = kit.start()
        too_late = attempt.deadline_at + services.DEADLINE_GRACE + timedelta(seconds=1)
        with pytest.raises(DeadlinePassedError):
            kit.answer(attempt, "single", choices=[0], now=too_late)

    def test_refuses_a_save_after_submit(self, kit):
        attempt = kit.start()
        services.attempt_submit(attempt=attempt, now=NOW)
        with pytest.raises(AttemptNotRunningError, match="completed"):
            kit.answer(attempt, "single", choices=[0])


class TestSubmit:
    def test_mixed_attempt_waits_for_its_essay(self, kit):
        attempt = kit.start()
        answer_mixed(kit, attempt)
        done = services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=30))
        # 4 + 2 - 1 + 4 + 4 + 0 = 13 of 24 = 54.1666… → 54.17 %
        assert done.state == Attempt.State.PENDING_EVALUATION
        assert done.score == D("13.00")
        assert done.percentage == D("54.17")
        assert counts(done) == (3, 1, 1, 0, 1)
        assert done.passed is None  # no verdict while an essay awaits marks
        assert done.counts_for_rank is False
        assert done.completed_at == NOW + timedelta(minutes=30)

    def test_unanswered_questions_get_rows_and_negative_marks_apply_only_to_wrong_answers(
        self, kit
    ):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[2])  # wrong: -1; five left blank: 0
        done = services.attempt_submit(attempt=attempt)
        assert (done.score, done.percentage, done.passed) == (D("-1.00"), D("-4.17"), False)
        assert counts(done) == (0, 1, 0, 5, 0)
        assert UserAnswer.objects.filter(attempt=attempt).count() == 6
        assert done.state == Attempt.State.COMPLETED
        assert done.counts_for_rank is True

    def test_a_wrong_answer_to_a_bonus_question_earns_full_marks_and_counts_correct(self, kit):
        kit.eq["single"].is_bonus = True
        kit.eq["single"].save()
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[3])  # wrong, yet a bonus: +4
        done = services.attempt_submit(attempt=attempt)
        assert done.score == D("4.00")
        assert counts(done) == (1, 0, 0, 5, 0)
        row = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["single"])
        assert (row.result, row.marks_awarded) == ("correct", D("4.00"))

    def test_unanswered_bonus_question_still_earns_its_marks(self, kit):
        kit.eq["true_false"].is_bonus = True
        kit.eq["true_false"].save()
        done = services.attempt_submit(attempt=kit.start())
        assert (done.score, done.percentage) == (D("4.00"), D("16.67"))
        assert done.unanswered_count == 6

    def test_second_submit_is_a_no_op_returning_the_stored_result(
        self, kit, django_assert_num_queries
    ):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])
        first = services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=1))
        # savepoint, the conditional UPDATE … WHERE state = running (matching 0 rows), the
        # stored attempt re-read, release: nothing scored, nothing recorded.
        with django_assert_num_queries(4) as queries:
            second = services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=9))
        writes = [q for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
        assert len(writes) == 1  # the conditional UPDATE … WHERE state = running, matching 0 rows
        assert second.completed_at == first.completed_at
        assert (second.score, second.state) == (first.score, first.state)

    def test_submitting_a_not_started_attempt_is_refused(self, kit):
        attempt = AttemptFactory(user=kit.learner, exam=kit.exam)
        with pytest.raises(AttemptNotRunningError):
            services.attempt_submit(attempt=attempt)

    def test_count_identity_holds_after_submit(self, kit):
        attempt = kit.start()
        answer_mixed(kit, attempt)
        done = services.attempt_submit(attempt=attempt)
        assert sum(counts(done)) == done.total_questions == 6


class TestFinalizeOverdue:
    def test_completes_overdue_attempts_at_their_deadline(self, kit):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])
        other = kit.enrol()
        fresh = kit.start(other, now=NOW + timedelta(minutes=50))
        later = NOW + timedelta(minutes=61) + services.DEADLINE_GRACE
        assert services.attempts_finalize_overdue(now=later) == 1
        attempt.refresh_from_db()
        fresh.refresh_from_db()
        assert attempt.state == Attempt.State.COMPLETED
        assert attempt.completed_at == attempt.deadline_at
        assert attempt.time_taken() == timedelta(minutes=60)
        assert attempt.score == D("4.00")
        assert fresh.state == Attempt.State.RUNNING
        assert services.attempts_finalize_overdue(now=later) == 0


class TestEvaluate:
    def finished(self, kit):
        attempt = kit.start()
        answer_mixed(kit, attempt)
        services.attempt_submit(attempt=attempt)
        return attempt, UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"])

    def test_marking_the_last_essay_completes_and_rescores_the_attempt(self, kit):
        attempt, essay = self.finished(kit)
        marked = services.answer_evaluate(
            answer=essay, evaluator=kit.instructor, marks=D("3"), comment="Good", now=NOW
        )
        assert (marked.result, marked.marks_awarded, marked.evaluator_comment) == (
            "partial",
            D("3.00"),
            "Good",
        )
        attempt.refresh_from_db()
        # 13 + 3 = 16 of 24 = 66.666… → 66.67 %, pass mark 50 %
        assert (attempt.state, attempt.score, attempt.percentage, attempt.passed) == (
            Attempt.State.COMPLETED,
            D("16.00"),
            D("66.67"),
            True,
        )
        assert counts(attempt) == (3, 1, 2, 0, 0)
        assert attempt.counts_for_rank is True

    def test_regrading_changes_the_score(self, kit):
        attempt, essay = self.finished(kit)
        services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=D("3"))
        services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=D("4"))
        attempt.refresh_from_db()
        assert (attempt.score, attempt.correct_count) == (D("17.00"), 4)

    def test_only_an_instructor_of_the_course_may_evaluate(self, kit):
        _, essay = self.finished(kit)
        with pytest.raises(NotAllowedError):
            services.answer_evaluate(answer=essay, evaluator=UserFactory(), marks=D("1"))

    @pytest.mark.parametrize("marks", [D("-1"), D("4.01")])
    def test_marks_must_lie_between_zero_and_the_question_marks(self, kit, marks):
        _, essay = self.finished(kit)
        with pytest.raises(InvalidAnswerError, match="between 0 and 4") as err:
            services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=marks)
        assert err.value.field == "marks"

    def test_only_essays_are_evaluated(self, kit):
        attempt, _ = self.finished(kit)
        single = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["single"])
        with pytest.raises(InvalidAnswerError, match="Only essay"):
            services.answer_evaluate(answer=single, evaluator=kit.instructor, marks=D("1"))

    def test_a_running_attempt_is_not_evaluated(self, kit):
        attempt = kit.start()
        essay = kit.answer(attempt, "essay", text="Draft")
        with pytest.raises(ConflictError, match="still running"):
            services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=D("1"))


class TestRescore:
    def test_a_key_change_rescores_stored_answers_and_is_idempotent(
        self, kit, django_assert_num_queries
    ):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[1])  # wrong under the old key: -1
        services.attempt_submit(attempt=attempt)
        AnswerChoice.objects.filter(question=kit.eq["single"].question).update(is_correct=False)
        AnswerChoice.objects.filter(pk=kit.choices["single"][1].pk).update(is_correct=True)
        done = []
        assert services.exam_rescore(exam=kit.exam, progress=done.append) == 1
        attempt.refresh_from_db()
        assert (attempt.score, attempt.correct_count, attempt.incorrect_count) == (D("4.00"), 1, 0)
        assert done == [1]
        # the rules (exam questions, key choices); the first chunk: its attempt ids, savepoint,
        # lock the attempt rows, answers, selected choices, attempts, release (no write:
        # nothing changed); the ids after it (none); savepoint, rank population, marking flag
        # cleared, release. The stored sums add 15: in the chunk, its attempts locked and
        # their answers and picks grouped before and after (6; no upsert: nothing moved); at
        # the end the exam's tallies rebuilt (the rank flags may move for any learner): 3
        # deletes, 3 grouped queries, 3 inserts; on PostgreSQL 2 more before them (the exam's
        # attempts, then the exam row, locked: no move of the exam runs meanwhile).
        with django_assert_num_queries(29 + REBUILD_LOCKS) as queries:
            services.exam_rescore(exam=kit.exam)
        answer_writes = [q for q in queries if 'UPDATE "attempts_useranswer"' in q["sql"]]
        assert answer_writes == []  # nothing changed, nothing written
        attempt.refresh_from_db()
        assert attempt.score == D("4.00")

    def test_marks_change_applies_to_every_attempt_in_a_fixed_number_of_queries(
        self, kit, django_assert_num_queries
    ):
        learners = [kit.learner] + [kit.enrol() for _ in range(4)]
        for learner in learners:
            attempt = kit.start(learner)
            kit.answer(attempt, "single", choices=[0])
            services.attempt_submit(attempt=attempt)
        kit.eq["single"].marks = D("10")
        kit.eq["single"].save()
        # the rules (exam questions, key choices); 11 for each of the 3 chunks of 2, 2 and 1
        # attempts: their ids, savepoint, lock their rows, answers, selected choices,
        # attempts, the answers' UPDATE, the attempts' UPDATE, the answers' mark changes'
        # INSERT, the events' INSERT, release; the ids after the last chunk (none); savepoint,
        # rank population, marking flag cleared, release. So 2 + 11 × 3 + 1 + 4 = 40: it
        # grows with the chunks, never with the answers. The stored sums add 9 per chunk
        # (its attempts locked, their answers and picks grouped before and after, and one
        # upsert per tally table: the scores moved) and 9 at the end (the exam's tallies
        # rebuilt: 3 deletes, 3 grouped queries, 3 inserts, and on PostgreSQL 2 locks first):
        # 40 + 9 × 3 + 9 = 76.
        with django_assert_num_queries(76 + REBUILD_LOCKS):
            assert services.exam_rescore(exam=kit.exam, chunk_size=2) == 5
        assert set(Attempt.objects.values_list("score", flat=True)) == {D("10.00")}
        assert set(Attempt.objects.values_list("max_score", flat=True)) == {D("30.00")}


class TestRankPopulation:
    def two_attempts(self, kit, policy, first_choice, second_choice):
        Exam.objects.filter(pk=kit.exam.pk).update(rank_policy=policy)
        kit.exam.refresh_from_db()
        made = []
        for n, choice in enumerate((first_choice, second_choice)):
            attempt = kit.start(now=NOW + timedelta(hours=n))
            kit.answer(attempt, "single", choices=[choice], now=NOW + timedelta(hours=n))
            made.append(services.attempt_submit(attempt=attempt, now=NOW + timedelta(hours=n)))
        return [Attempt.objects.get(pk=a.pk).counts_for_rank for a in made]

    def test_first_attempt_stands_for_the_learner_by_default(self, kit):
        assert self.two_attempts(kit, Exam.RankPolicy.FIRST, 1, 0) == [True, False]

    def test_last_attempt_under_the_last_policy(self, kit):
        assert self.two_attempts(kit, Exam.RankPolicy.LAST, 0, 1) == [False, True]

    def test_best_attempt_under_the_best_policy(self, kit):
        assert self.two_attempts(kit, Exam.RankPolicy.BEST, 1, 0) == [False, True]
        # a tie keeps the earlier attempt
        Attempt.objects.all().delete()
        assert self.two_attempts(kit, Exam.RankPolicy.BEST, 0, 0) == [True, False]


class TestRunningTotals:
    def test_a_running_attempt_stores_its_counts_and_score_so_far(self, kit):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])  # +4
        kit.answer(attempt, "true_false", choices=[1])  # -1
        kit.answer(attempt, "essay", text="Draft")  # pending
        attempt.refresh_from_db()
        assert attempt.state == Attempt.State.RUNNING
        assert counts(attempt) == (1, 1, 0, 3, 1)
        # 4 - 1 = 3 of 24 = 12.5 %
        assert (attempt.score, attempt.percentage, attempt.passed) == (D("3.00"), D("12.50"), None)
        kit.answer(attempt, "true_false", choices=[0])  # corrected: +4
        attempt.refresh_from_db()
        assert (attempt.correct_count, attempt.incorrect_count, attempt.score) == (2, 0, D("8.00"))
