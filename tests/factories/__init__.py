"""factory-boy factories for every model; ``build()`` them when no database is needed."""

from decimal import Decimal

import factory
from django.db import transaction
from django.utils import timezone

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from attempts.models import Attempt, UserAnswer
from attempts.tallies import exam_sums_rebuild
from lms.models import Course, Enrollment, Subject, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    password = factory.django.Password("pass")


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    status = Course.Status.PUBLISHED

    @factory.post_generation
    def instructors(self, create, extracted, **kwargs):
        if create and extracted:
            self.instructors.add(*extracted)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    name = factory.Sequence(lambda n: f"Subject {n}")
    parent = None


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exam

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Exam {n}")
    status = Exam.Status.PUBLISHED
    pass_percentage = Decimal("40.00")


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    exam = factory.SubFactory(ExamFactory)
    title = factory.Sequence(lambda n: f"Section {n}")
    order = factory.Sequence(lambda n: n)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    type = Question.Type.SINGLE
    text_html = factory.Sequence(lambda n: f"<p>Question {n}?</p>")
    difficulty = Question.Difficulty.MEDIUM


class AnswerChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnswerChoice

    question = factory.SubFactory(QuestionFactory)
    text_html = factory.Sequence(lambda n: f"<p>Choice {n}</p>")
    order = factory.Sequence(lambda n: n)


class ExamQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExamQuestion

    section = factory.SubFactory(SectionFactory)
    exam = factory.SelfAttribute("section.exam")
    question = factory.SubFactory(QuestionFactory)
    marks = Decimal("1.00")
    order = factory.Sequence(lambda n: n)


def recount(exam_id: int) -> None:
    """Rows written outside ``attempts.services`` are counted into the stored sums as the bulk
    seed's are: a rebuild of their exam's tallies (``attempts.tallies``)."""
    with transaction.atomic():
        exam_sums_rebuild(exam_id)


class AttemptFactory(factory.django.DjangoModelFactory):
    """An attempt row written directly (the tallies of its exam are rebuilt after it)."""

    class Meta:
        model = Attempt

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:
            recount(instance.exam_id)

    user = factory.SubFactory(UserFactory)
    exam = factory.SubFactory(ExamFactory)
    attempt_number = 1
    state = Attempt.State.NOT_STARTED
    started_at = factory.LazyFunction(timezone.now)


class UserAnswerFactory(factory.django.DjangoModelFactory):
    """An answer row written directly (the tallies of its exam are rebuilt after it)."""

    class Meta:
        model = UserAnswer

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:
            recount(instance.attempt.exam_id)

    attempt = factory.SubFactory(AttemptFactory)
    exam_question = factory.SubFactory(
        ExamQuestionFactory, section__exam=factory.SelfAttribute("...attempt.exam")
    )
