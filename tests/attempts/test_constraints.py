"""Each database constraint of attempts and answers rejects the bad row (not only form
validation)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from attempts.models import Attempt, UserAnswer
from tests.factories import AttemptFactory, UserAnswerFactory
from tests.integrity import rejected

pytestmark = pytest.mark.django_db


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
