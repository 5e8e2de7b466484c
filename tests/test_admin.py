"""The Django admin: one smoke test per page, the attempt list's filters, search and ordering,
and query budgets that must not grow with the number of rows."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from attempts.admin import AttemptAdmin, UserAnswerAdmin
from attempts.models import Attempt, AttemptEvent, UserAnswer
from lms.models import Course, Enrollment, Subject, User
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
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
# Axes' records (lockouts, sign-ins) come from sign-ins only.
READ_ONLY = {Attempt, UserAnswer, AttemptEvent, AccessAttempt, AccessLog, AccessFailureLog}


def at(day, hour=12, minute=0):
    """An aware datetime in January 2024 (UTC, the project's time zone)."""
    return datetime.datetime(2024, 1, day, hour, minute, tzinfo=datetime.UTC)


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def score_column_index(client):
    """The ``o`` index of the score column (the action checkbox column comes first)."""
    response = client.get(url(Attempt, "changelist"))
    return response.context["cl"].list_display.index("score")


def changelist_rows(response):
    return list(response.context["cl"].result_list)


@pytest.fixture
def data():
    """One object of every model, linked the way the product links them."""
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
    axes_record = {"username": "alice", "ip_address": "10.0.0.1", "user_agent": "test"}
    axes_time = {"attempt_time": at(15, 14)}
    objects = {
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
        Exam: exam,
        Section: section,
        Question: question,
        AnswerChoice: choice,
        ExamQuestion: exam_question,
        Attempt: attempt,
        UserAnswer: answer,
        AttemptEvent: event,
    }
    return SimpleNamespace(objects=objects, **{m.__name__.lower(): o for m, o in objects.items()})


def test_every_model_of_the_project_has_an_admin():
    for label in ("lms", "assessments", "attempts"):
        for model in apps.get_app_config(label).get_models():
            assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
class TestEveryAdminPageLoads:
    def test_changelist(self, admin_client, data, model):
        assert admin_client.get(url(model, "changelist")).status_code == 200

    def test_changelist_search(self, admin_client, data, model):
        assert admin_client.get(url(model, "changelist"), {"q": "something"}).status_code == 200

    def test_change_form(self, admin_client, data, model):
        response = admin_client.get(url(model, "change", data.objects[model].pk))
        assert response.status_code == 200

    def test_add_form(self, admin_client, data, model):
        # Attempts, answers and events come from learners through the services, never from
        # a blank form.
        expected = 403 if model in READ_ONLY else 200
        assert admin_client.get(url(model, "add")).status_code == expected


class TestAttemptChangelist:
    @pytest.fixture
    def attempts(self, data):
        """Attempts on the 10th at noon, the 15th at noon (data's), the 15th at 23:30 and
        the 20th at midnight, of two exams in two courses."""
        other_exam = ExamFactory(title="Final")
        bob = UserFactory(username="bob", email="bob@example.com")
        return {
            "10th": AttemptFactory(user=bob, exam=data.exam, started_at=at(10)),
            "15th": data.attempt,
            "15th late": AttemptFactory(
                exam=other_exam, state=Attempt.State.COMPLETED, started_at=at(15, 23, 30)
            ),
            "20th": AttemptFactory(exam=other_exam, started_at=at(20, 0)),
        }

    @staticmethod
    def rows(admin_client, attempts, **params):
        """The names of the attempts the changelist shows, in its order."""
        response = admin_client.get(url(Attempt, "changelist"), params)
        assert response.status_code == 200
        names = {attempt.pk: name for name, attempt in attempts.items()}
        return [names[attempt.pk] for attempt in changelist_rows(response)]

    def test_lists_newest_first(self, admin_client, attempts):
        assert self.rows(admin_client, attempts) == ["20th", "15th late", "15th", "10th"]

    def test_started_on_or_after_includes_the_whole_first_day(self, admin_client, attempts):
        rows = self.rows(admin_client, attempts, started_at__date__gte="2024-01-15")
        assert rows == ["20th", "15th late", "15th"]

    def test_started_on_or_before_includes_the_whole_last_day(self, admin_client, attempts):
        rows = self.rows(admin_client, attempts, started_at__date__lte="2024-01-15")
        assert rows == ["15th late", "15th", "10th"]

    def test_started_between_two_dates(self, admin_client, attempts):
        rows = self.rows(
            admin_client,
            attempts,
            started_at__date__gte="2024-01-11",
            started_at__date__lte="2024-01-19",
        )
        assert rows == ["15th late", "15th"]

    def test_date_range_is_an_indexable_range_on_started_at(self, admin_client, attempts):
        response = admin_client.get(
            url(Attempt, "changelist"),
            {"started_at__date__gte": "2024-01-11", "started_at__date__lte": "2024-01-19"},
        )
        # Plain comparisons of the column (no per-row date cast), end of range exclusive.
        where = response.context["cl"].queryset.query.where
        lookups = {(c.lhs.target.name, c.lookup_name): c.rhs for c in where.children}
        assert lookups == {("started_at", "gte"): at(11, 0), ("started_at", "lt"): at(20, 0)}

    def test_date_filter_renders_two_date_inputs_keeping_other_filters(
        self, admin_client, attempts
    ):
        response = admin_client.get(
            url(Attempt, "changelist"), {"state__exact": "1", "started_at__date__gte": "2024-01-11"}
        )
        html = response.content.decode()
        assert 'type="date" name="started_at__date__gte" value="2024-01-11"' in html
        assert 'type="date" name="started_at__date__lte"' in html
        assert '<input type="hidden" name="state__exact" value="1">' in html
        assert "Started on or before" in html

    def test_an_invalid_date_shows_the_unfiltered_list(self, admin_client, attempts):
        response = admin_client.get(url(Attempt, "changelist"), {"started_at__date__gte": "15/1"})
        assert response.status_code == 302
        assert response.url.endswith("?e=1")

    def test_state_filter(self, admin_client, attempts):
        rows = self.rows(admin_client, attempts, state__exact=Attempt.State.COMPLETED)
        assert rows == ["15th late", "15th"]

    def test_exam_filter(self, admin_client, attempts, data):
        assert self.rows(admin_client, attempts, exam__id__exact=data.exam.pk) == ["15th", "10th"]

    def test_course_filter(self, admin_client, attempts, data):
        rows = self.rows(admin_client, attempts, exam__course__id__exact=data.course.pk)
        assert rows == ["15th", "10th"]

    def test_search_finds_the_learner_by_exact_email_in_any_case(self, admin_client, attempts):
        assert self.rows(admin_client, attempts, q="ALICE@example.com") == ["15th"]
        assert self.rows(admin_client, attempts, q="bob") == ["10th"]

    def test_search_does_not_match_part_of_a_username_or_email(self, admin_client, attempts):
        assert self.rows(admin_client, attempts, q="alic") == []
        assert self.rows(admin_client, attempts, q="example.com") == []

    def test_sorts_by_the_stored_score(self, admin_client, attempts):
        scores = {"10th": "7.50", "15th": "2.00", "15th late": "-1.00", "20th": "0.00"}
        for name, score in scores.items():
            Attempt.objects.filter(pk=attempts[name].pk).update(score=Decimal(score))
        score_column = score_column_index(admin_client)

        ascending = self.rows(admin_client, attempts, o=str(score_column))
        descending = self.rows(admin_client, attempts, o=f"-{score_column}")

        assert ascending == ["15th late", "20th", "15th", "10th"]
        assert descending == list(reversed(ascending))

    def test_every_result_column_is_sortable(self, admin_client, attempts):
        response = admin_client.get(url(Attempt, "changelist"))
        sortable = {
            header["text"] for header in response.context["result_headers"] if header["sortable"]
        }
        stored = {
            "started at",
            "correct count",
            "incorrect count",
            "partial count",
            "unanswered count",
            "pending count",
            "score",
            "max score",
            "percentage",
            "passed",
        }
        assert stored <= sortable


def test_attempt_change_form_shows_its_answers_read_only(admin_client, data):
    response = admin_client.get(url(Attempt, "change", data.attempt.pk))

    answers, history = response.context["inline_admin_formsets"]
    assert [form.instance for form in answers.formset.forms] == [data.useranswer]
    assert [form.instance for form in history.formset.forms] == [data.attemptevent]
    html = response.content.decode()
    assert "A lens" in html  # the selected choice, as plain text
    assert url(UserAnswer, "change", data.useranswer.pk) in html  # show_change_link
    assert 'name="answers-0-result"' not in html  # read-only: no input
    assert 'name="score"' not in html


def test_exam_question_inline_offers_only_this_exams_sections(admin_client, data):
    SectionFactory(title="Elsewhere")  # of another exam

    response = admin_client.get(url(Exam, "change", data.exam.pk))

    formsets = {f.formset.model: f.formset for f in response.context["inline_admin_formsets"]}
    choices = list(formsets[ExamQuestion].forms[0].fields["section"].choices)
    assert choices == [("", "---------"), (data.section.pk, "Part A")]


def test_exam_add_form_asks_for_sections_before_questions(admin_client):
    response = admin_client.get(url(Exam, "add"))

    models = [f.formset.model for f in response.context["inline_admin_formsets"]]
    assert models == [Section]


def test_subject_changelist_shows_full_paths(admin_client, data):
    response = admin_client.get(url(Subject, "changelist"))

    assert "Root › Child › Leaf" in response.content.decode()
    paths = [subject.full_path for subject in changelist_rows(response)]
    assert paths == ["Root", "Root › Child", "Root › Child › Leaf"]


def test_subject_form_refuses_to_move_a_subject_below_itself(admin_client, data):
    root = Subject.objects.get(name="Root")

    response = admin_client.post(
        url(Subject, "change", root.pk), {"name": "Root", "parent": data.subject.pk}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "parent": ["A subject cannot move below itself."]
    }
    root.refresh_from_db()
    assert root.parent is None


def test_user_change_form_shows_the_profile_fields(admin_client, data):
    html = admin_client.get(url(User, "change", data.user.pk)).content.decode()

    assert str(data.user.uuid) in html  # read-only
    assert 'name="uuid"' not in html
    assert 'name="display_name"' in html
    assert 'name="phone"' in html


def test_question_list_shows_plain_text_excerpt(admin_client, data):
    html = admin_client.get(url(Question, "changelist")).content.decode()

    assert "What bends light?" in html


def count_queries(client, path, params=None):
    """Queries of a request once per-process caches (content types) are warm."""
    client.get(path, params or {})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(queries)


def make_attempts(count):
    exams = [ExamFactory() for _ in range(3)]
    for i in range(count):
        AttemptFactory(exam=exams[i % 3], started_at=at(1 + i % 28), score=Decimal(i))


class TestQueryBudgets:
    """Pages cost a fixed number of queries, whatever the number of rows they show."""

    def test_attempt_changelist(self, admin_client, django_assert_num_queries):
        make_attempts(3)
        with_3 = count_queries(admin_client, url(Attempt, "changelist"))
        make_attempts(27)
        with_30 = count_queries(admin_client, url(Attempt, "changelist"))
        assert with_30 == with_3

        # session, admin user, COUNT of the filtered attempts, the page of attempts joined
        # to user, exam and course, the exams and the courses of the two related filters.
        by_score = {"o": f"-{score_column_index(admin_client)}", "state__exact": "3"}
        with django_assert_num_queries(6):
            admin_client.get(url(Attempt, "changelist"), by_score)

    def test_attempt_search(self, admin_client, data, django_assert_num_queries):
        make_attempts(30)
        # As the list above plus the learner lookup by exact username or email.
        with django_assert_num_queries(7):
            admin_client.get(url(Attempt, "changelist"), {"q": "alice@example.com"})

    def test_subject_changelist(self, admin_client, django_assert_num_queries):
        parent = SubjectFactory()
        for _ in range(3):
            parent = SubjectFactory(parent=parent)
        with_4 = count_queries(admin_client, url(Subject, "changelist"))
        for _ in range(30):
            parent = SubjectFactory(parent=parent)
        with_34 = count_queries(admin_client, url(Subject, "changelist"))
        assert with_34 == with_4

        # session, admin user, COUNT of the filtered and of all subjects (the same here),
        # the page of subjects, the names of their ancestors.
        with django_assert_num_queries(6):
            admin_client.get(url(Subject, "changelist"))

    def test_user_answer_changelist(self, admin_client, data, django_assert_num_queries):
        with_1 = count_queries(admin_client, url(UserAnswer, "changelist"))
        for _ in range(10):
            UserAnswerFactory()
        assert count_queries(admin_client, url(UserAnswer, "changelist")) == with_1

        # session, admin user, COUNT, the page of answers joined to attempt, its user and
        # exam, and to the exam question and its exam.
        with django_assert_num_queries(4):
            admin_client.get(url(UserAnswer, "changelist"))

    def test_attempt_event_changelist(self, admin_client, data, django_assert_num_queries):
        with_1 = count_queries(admin_client, url(AttemptEvent, "changelist"))
        for _ in range(10):
            AttemptEvent.objects.create(
                attempt=AttemptFactory(), kind="started", state_after=0, score_after=0, at=at(2)
            )
        assert count_queries(admin_client, url(AttemptEvent, "changelist")) == with_1

        # session, admin user, COUNT, the page of events joined to the attempt, its user
        # and exam, and to the actor.
        with django_assert_num_queries(4):
            admin_client.get(url(AttemptEvent, "changelist"))

    def test_attempt_change_form(self, admin_client, data, django_assert_num_queries):
        path = url(Attempt, "change", data.attempt.pk)
        with_1 = count_queries(admin_client, path)
        for _ in range(10):
            answer = UserAnswerFactory(attempt=data.attempt)
            answer.selected_choices.add(AnswerChoiceFactory(question=answer.exam_question.question))
        assert count_queries(admin_client, path) == with_1

        # session, admin user, the attempt with its user, exam and course (read-only: no
        # raw-id inputs to label), the answers joined to what they print, their selected
        # choices, the history (events with their actors).
        with django_assert_num_queries(6):
            admin_client.get(path)


class TestVisibility:
    """The admin lists go through Attempt.objects.reviewable_by like every other list."""

    @pytest.fixture
    def instructor_request(self, data):
        request = RequestFactory().get("/")
        request.user = User.objects.get(username="instructor")
        request.user.is_staff = False  # an instructor, as reviewable_by sees them
        AttemptFactory()  # of another course
        return request

    def test_attempts_of_the_courses_an_instructor_teaches(self, data, instructor_request):
        queryset = AttemptAdmin(Attempt, admin.site).get_queryset(instructor_request)
        assert list(queryset) == [data.attempt]
        assert Attempt.objects.count() == 2

    def test_answers_of_the_courses_an_instructor_teaches(self, data, instructor_request):
        UserAnswerFactory()  # of another course
        queryset = UserAnswerAdmin(UserAnswer, admin.site).get_queryset(instructor_request)
        assert list(queryset) == [data.useranswer]
        assert UserAnswer.objects.count() == 2
