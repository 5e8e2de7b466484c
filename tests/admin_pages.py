"""What the admin tests share: the URL of an admin page, the rows a changelist shows, and one
object of every model (``one_of_each``, the fixture of the same name in tests/conftest.py)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.urls import reverse

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from attempts.models import (
    Accommodation,
    Attempt,
    AttemptEvent,
    ChoiceTally,
    ExamTally,
    ExportJob,
    IdempotencyKey,
    MarkChange,
    QuestionTally,
    Regrade,
    UserAnswer,
)
from attempts.webhooks.models import DeliveryAttempt, Endpoint, Message
from lms.models import ApiClient, Course, Department, Enrollment, Subject, User
from tests.factories import (
    AnswerChoiceFactory,
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    StaffFactory,
    SubjectFactory,
    UserAnswerFactory,
    UserFactory,
    recount,
)


def at(day, hour=12, minute=0):
    """An aware datetime in January 2024 (UTC, the project's time zone)."""
    return datetime.datetime(2024, 1, day, hour, minute, tzinfo=datetime.UTC)


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def changelist_rows(response):
    return list(response.context["cl"].result_list)


def _departments(member, administrator):
    """Acme › Sales, with ``member`` in Sales and ``administrator`` managing Acme."""
    acme = Department.objects.create(name="Acme", code="ACME")
    sales = Department.objects.create(name="Sales", parent=acme)
    sales.members.add(member)
    acme.administrators.add(administrator)
    return sales


def one_of_each():
    """One object of every model, linked the way the product links them: alice's completed
    attempt (started on the 15th at noon) at the Midterm of Optics 101, taught by
    ``instructor``, with one answer and one event; the subject tree Root › Child › Leaf."""
    instructor = StaffFactory(username="instructor")
    root = SubjectFactory(name="Root")
    child = SubjectFactory(name="Child", parent=root)
    leaf = SubjectFactory(name="Leaf", parent=child)
    course = CourseFactory(title="Optics 101", slug="optics-101", instructors=[instructor])
    alice = UserFactory(username="alice", email="alice@example.com")
    enrollment = EnrollmentFactory(user=alice, course=course)
    exam = ExamFactory(course=course, title="Midterm")
    section = SectionFactory(exam=exam, title="Part A")
    question = QuestionFactory(subject=leaf, text_html="<p>What bends <b>light</b>?</p>")
    choice = AnswerChoiceFactory(question=question, text_html="<p>A lens</p>", is_correct=True)
    exam_question = ExamQuestionFactory(section=section, question=question)
    attempt = AttemptFactory(
        user=alice, exam=exam, state=Attempt.State.COMPLETED, started_at=at(15)
    )
    answer = UserAnswerFactory(attempt=attempt, exam_question=exam_question, result="correct")
    answer.selected_choices.add(choice)
    group = Group.objects.create(name="Reviewers")
    event = AttemptEvent.objects.create(
        attempt=attempt,
        kind=AttemptEvent.Kind.SUBMITTED,
        state_before=Attempt.State.RUNNING,
        state_after=Attempt.State.COMPLETED,
        score_before=Decimal("0"),
        score_after=Decimal("1"),
        at=at(15, 13),
        actor=alice,
    )
    regrade = Regrade.objects.create(
        exam=exam, reason="Key fixed", actor=instructor, status="done", total=1, done=1
    )
    export_job = ExportJob.objects.create(
        requested_by=instructor, exam=exam, format="xlsx", rows_total=1, rows_done=1
    )
    mark_change = MarkChange.objects.create(
        answer=answer,
        attempt=attempt,
        source=MarkChange.Source.REGRADE,
        result_before="incorrect",
        marks_before=Decimal("0"),
        result_after="correct",
        marks_after=Decimal("1"),
        at=at(15, 13),
        actor=instructor,
        comment="Key fixed",
        regrade=regrade,
    )
    accommodation = Accommodation.objects.create(
        user=alice, exam=exam, time_multiplier=Decimal("1.5"), granted_by=instructor
    )
    endpoint = Endpoint.objects.create(owner=instructor, url="https://hooks.example.com/lms")
    message = Message.objects.create(
        endpoint=endpoint, event=event, event_type="attempt.completed", payload={"type": "x"}
    )
    delivery = DeliveryAttempt.objects.create(
        message=message, endpoint=endpoint, at=at(15, 13), status_code=200, succeeded=True
    )
    axes_record = {"username": "alice", "ip_address": "10.0.0.1", "user_agent": "test"}
    axes_time = {"attempt_time": at(15, 14)}
    recount(exam.pk)  # the pick added above, into the stored sums
    objects = {
        ExamTally: ExamTally.objects.filter(exam=exam).first(),
        QuestionTally: QuestionTally.objects.filter(exam=exam).first(),
        ChoiceTally: ChoiceTally.objects.filter(exam=exam).first(),
        AccessAttempt: AccessAttempt.objects.create(
            **axes_record, **axes_time, failures_since_start=5, get_data="", post_data=""
        ),
        AccessLog: AccessLog.objects.create(**axes_record, **axes_time),
        AccessFailureLog: AccessFailureLog.objects.create(**axes_record, **axes_time),
        User: alice,
        Group: group,
        Course: course,
        Enrollment: enrollment,
        Subject: leaf,
        Department: _departments(alice, instructor),
        Exam: exam,
        Section: section,
        Question: question,
        AnswerChoice: choice,
        ExamQuestion: exam_question,
        Attempt: attempt,
        UserAnswer: answer,
        AttemptEvent: event,
        IdempotencyKey: IdempotencyKey.objects.create(
            user=alice, key="retry-1", fingerprint="0" * 64, response_status=201
        ),
        ApiClient: ApiClient.issue(user=instructor, name="HR sync")[0],
        Regrade: regrade,
        ExportJob: export_job,
        MarkChange: mark_change,
        Accommodation: accommodation,
        Endpoint: endpoint,
        Message: message,
        DeliveryAttempt: delivery,
    }
    return SimpleNamespace(objects=objects, **{m.__name__.lower(): o for m, o in objects.items()})
