"""Each database constraint of exams and the question bank rejects the bad row (not only form
validation), and marks are stored as the two-place decimals the constraints compare."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Exam
from tests.factories import ExamFactory, ExamQuestionFactory, QuestionFactory
from tests.integrity import rejected

pytestmark = pytest.mark.django_db


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


class TestQuestion:
    def test_numeric_question_needs_its_answer(self):
        assert rejected(QuestionFactory, type="numeric", numeric_answer=None)


def test_marks_are_stored_as_two_place_decimals():
    placed = ExamQuestionFactory(marks=Decimal("2.5"))
    placed.refresh_from_db()
    assert placed.marks == Decimal("2.50")
    assert isinstance(placed.marks, Decimal)
    assert str(placed.marks) == "2.50"
