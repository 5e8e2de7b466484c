"""A small exam with one question of each kind, for the lifecycle tests. The kit names its
questions and choices; ``kit.start`` and ``kit.answer`` play them through ``tests.play``, and
``kit.enrol`` adds a learner to its course."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest

from assessments.models import Question
from tests import play
from tests.factories import (
    AnswerChoiceFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    UserFactory,
)
from tests.play import NOW


@dataclass
class ExamKit:
    exam: object
    course: object
    instructor: object
    learner: object
    eq: dict = field(default_factory=dict)  # name -> ExamQuestion
    choices: dict = field(default_factory=dict)  # name -> list of AnswerChoice

    def enrol(self, username=None, **fields):
        """A new learner (``UserFactory`` with ``fields``), enrolled in the kit's course two
        days before ``NOW`` like the kit's own learner."""
        if username is not None:
            fields["username"] = username
        learner = UserFactory(**fields)
        EnrollmentFactory(user=learner, course=self.course, enrolled_at=NOW - timedelta(days=2))
        return learner

    def start(self, learner=None, *, now=NOW):
        """``play.start`` of the kit's exam, by the kit's learner unless told otherwise."""
        return play.start(self.exam, learner or self.learner, now=now)

    def answer(self, attempt, name, *, choices=(), **given):
        """``play.answer`` to the question ``name``; ``choices`` are indices of its choices
        (the key of each question is in ``kit``'s docstring)."""
        chosen = [self.choices[name][i] for i in choices]
        return play.answer(attempt, self.eq[name], choices=chosen, **given)


def add_choice_question(kit, name, section, kind, correct, n=4, **marking):
    question = QuestionFactory(type=kind)
    choices = [
        AnswerChoiceFactory(question=question, is_correct=i in correct, order=i) for i in range(n)
    ]
    kit.eq[name] = ExamQuestionFactory(
        exam=kit.exam, section=section, question=question, order=len(kit.eq), **marking
    )
    kit.choices[name] = choices


@pytest.fixture
def kit(db):
    """Exam of 6 questions worth 4 each (max 24), negative 1, pass mark 50%, 60 minutes.

    single (key: choice 0), multiple (key: 0, 1, 2; partial 1 per option), true/false
    (key: 0), numeric (9.81 ± 0.05), short text ("Paris"), essay.
    """
    instructor = UserFactory(username="teacher")
    course = CourseFactory(instructors=[instructor])
    exam = ExamFactory(
        course=course,
        pass_percentage=Decimal("50"),
        duration=timedelta(minutes=60),
        opens_at=NOW - timedelta(days=1),
        closes_at=NOW + timedelta(days=30),
    )
    kit = ExamKit(exam=exam, course=course, instructor=instructor, learner=None)
    kit.learner = kit.enrol("ada")
    one, two = SectionFactory(exam=exam, order=0), SectionFactory(exam=exam, order=1)
    marking = {"marks": Decimal("4"), "negative_marks": Decimal("1")}
    add_choice_question(kit, "single", one, Question.Type.SINGLE, {0}, **marking)
    add_choice_question(
        kit,
        "multiple",
        one,
        Question.Type.MULTIPLE,
        {0, 1, 2},
        partial_marks=Decimal("1"),
        **marking,
    )
    add_choice_question(kit, "true_false", one, Question.Type.TRUE_FALSE, {0}, n=2, **marking)
    numeric = QuestionFactory(
        type=Question.Type.NUMERIC,
        numeric_answer=Decimal("9.81"),
        numeric_tolerance=Decimal("0.05"),
    )
    kit.eq["numeric"] = ExamQuestionFactory(
        exam=exam, section=two, question=numeric, order=3, **marking
    )
    short = QuestionFactory(type=Question.Type.SHORT_TEXT, accepted_answers=["Paris"])
    kit.eq["short"] = ExamQuestionFactory(
        exam=exam, section=two, question=short, order=4, **marking
    )
    essay = QuestionFactory(type=Question.Type.ESSAY)
    kit.eq["essay"] = ExamQuestionFactory(
        exam=exam, section=two, question=essay, order=5, **marking
    )
    return kit
