"""Each database constraint rejects the bad row (not only form validation)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import Exam
from attempts.models import Attempt, UserAnswer
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SubjectFactory,
    UserAnswerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def rejected(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)
    return True


class TestLms:
    def test_a_user_enrolls_once_per_course(self):
        enrollment = EnrollmentFactory()
        assert rejected(EnrollmentFactory, user=enrollment.user, course=enrollment.course)

    def test_enrollment_cannot_expire_before_it_starts(self):
        now = timezone.now()
        assert rejected(EnrollmentFactory, enrolled_at=now, expires_at=now - timedelta(days=1))

    def test_subject_names_are_unique_among_siblings(self):
        parent = SubjectFactory(name="Physics")
        SubjectFactory(name="Optics", parent=parent)
        assert rejected(SubjectFactory, name="Optics", parent=parent)
        SubjectFactory(name="Optics", parent=SubjectFactory(name="Art"))  # elsewhere: fine


class TestExam:
    @pytest.mark.parametrize(
        "fields",
        [
            {"title": "ab"},
            {"pass_percentage": Decimal("0")},
            {"pass_percentage": Decimal("100.01")},
            {"max_attempts": 0},
            {"duration": timedelta(0)},
        ],
    )
    def test_rejects_out_of_range_settings(self, fields):
        assert rejected(ExamFactory, **fields)

    def test_closes_after_it_opens(self):
        now = timezone.now()
        assert rejected(ExamFactory, opens_at=now, closes_at=now)

    def test_accepts_untimed_unlimited_exam_without_pass_mark(self):
        exam = ExamFactory(duration=None, pass_percentage=None, max_attempts=None, title="abc")
        assert Exam.objects.filter(pk=exam.pk).exists()


class TestExamQuestion:
    def test_a_question_appears_once_per_exam(self):
        placed = ExamQuestionFactory()
        assert rejected(
            ExamQuestionFactory,
            section=placed.section,
            exam=placed.exam,
            question=placed.question,
        )

    @pytest.mark.parametrize("field", ["marks", "negative_marks", "partial_marks"])
    def test_marks_are_never_negative(self, field):
        assert rejected(ExamQuestionFactory, **{field: Decimal("-1")})

    def test_numeric_question_needs_its_answer(self):
        assert rejected(QuestionFactory, type="numeric", numeric_answer=None)


class TestAttempt:
    def test_attempt_numbers_are_unique_per_learner_and_exam(self):
        attempt = AttemptFactory()
        assert rejected(AttemptFactory, user=attempt.user, exam=attempt.exam, attempt_number=1)

    def test_only_one_running_attempt_per_learner_and_exam(self):
        attempt = AttemptFactory(state=Attempt.State.RUNNING)
        assert rejected(
            AttemptFactory,
            user=attempt.user,
            exam=attempt.exam,
            attempt_number=2,
            state=Attempt.State.RUNNING,
        )
        # A completed second attempt beside the running one is allowed.
        AttemptFactory(
            user=attempt.user, exam=attempt.exam, attempt_number=2, state=Attempt.State.COMPLETED
        )

    def test_completion_is_not_before_start(self):
        now = timezone.now()
        assert rejected(AttemptFactory, started_at=now, completed_at=now - timedelta(seconds=1))

    def test_counts_add_up_to_the_number_of_questions(self):
        assert rejected(AttemptFactory, total_questions=3, correct_count=1, unanswered_count=1)
        AttemptFactory(total_questions=3, correct_count=1, unanswered_count=1, pending_count=1)

    def test_max_score_is_never_negative(self):
        assert rejected(AttemptFactory, max_score=Decimal("-1"))


class TestUserAnswer:
    def test_one_answer_per_question_and_attempt(self):
        answer = UserAnswerFactory()
        assert rejected(
            UserAnswerFactory, attempt=answer.attempt, exam_question=answer.exam_question
        )
        assert UserAnswer.objects.count() == 1

    def test_evaluated_marks_are_never_negative(self):
        assert rejected(UserAnswerFactory, evaluated_marks=Decimal("-0.5"))

    def test_time_spent_is_never_negative(self):
        assert rejected(UserAnswerFactory, time_spent_seconds=-1)


def test_marks_are_stored_as_two_place_decimals():
    placed = ExamQuestionFactory(marks=Decimal("2.5"))
    placed.refresh_from_db()
    assert placed.marks == Decimal("2.50")
    assert isinstance(placed.marks, Decimal)
    assert str(placed.marks) == "2.50"


def test_user_display_name_falls_back_to_full_name_then_username():
    assert UserFactory(username="ada", display_name="Ada L.").name == "Ada L."
    assert UserFactory(username="bob", display_name="", first_name="Bob", last_name="B").name == (
        "Bob B"
    )
    assert UserFactory(username="cy", display_name="").name == "cy"
    assert CourseFactory(title="Physics").__str__() == "Physics"
