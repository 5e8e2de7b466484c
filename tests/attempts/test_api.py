"""Contract tests of the admin attempts API, field for field as Testpress documents it
(/work/shared/seeds/testpress-admin-attempts.txt).

Attempts whose numbers matter are built through the services on the kit exam
(tests/attempts/conftest.py: 6 questions × 4 marks, max 24, negative 1, pass mark 50 %,
60 minutes); lists that only sort and filter are built by hand with ``AttemptFactory``.
Expected values are computed by hand in the comments next to them.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers as drf
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import SlidingToken

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question
from attempts import services
from attempts.models import Attempt
from attempts.serializers import AdminAttemptSerializer
from lms.models import Enrollment
from tests.attempts.conftest import NOW
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    SectionFactory,
    StaffFactory,
    SubjectFactory,
    UserFactory,
)

D = Decimal
State = Attempt.State

LIST_URL = "/api/v2.5/admin/attempts/"
TOKEN_URL = "/api/v2.5/auth-token/"
REFRESH_URL = "/api/v2.5/auth-token/refresh/"
VERIFY_URL = "/api/v2.5/auth-token/verify/"

# The fields of one attempt in the seed's list example, in its order.
LIST_FIELDS = [
    "id",
    "date",
    "exam_id",
    "user_id",
    "email",
    "name",
    "phone",
    "correct_answers_count",
    "incorrect_answers_count",
    "unanswered_count",
    "score",
    "percentage",
    "time_taken",
    "remaining_time",
    "result",
    "state",
    "last_started_time",
    "last_answer_updated_time",
    "speed",
    "exam_url",
    "user_url",
]
DETAIL_EXTRA_FIELDS = [
    "username",
    "percentile",
    "rank",
    "sections",
    "subject_stats",
    "difficulty_level_stats",
    "institute_attempt_id",
]
SECTION_FIELDS = {
    "id",
    "order",
    "section_id",
    "time_taken",
    "correct_answers_count",
    "incorrect_answers_count",
    "unanswered_count",
    "score",
}
SUBJECT_FIELDS = {
    "subject_id",
    "subject_name",
    "total_count",
    "correct_answers_count",
    "unanswered_count",
    "incorrect_answers_count",
    "parent_subject_id",
    "is_leaf",
    "score",
    "partial_correct_answers_count",
}
DIFFICULTY_FIELDS = {
    "correct_answers_count",
    "incorrect_answers_count",
    "partial_correct_answers_count",
    "unanswered_count",
    "total_count",
}
USER_ANSWER_FIELDS = {
    "id",
    "exam_question_id",
    "selected_answers",
    "result",
    "duration",
    "review",
    "guessed",
}
EXAM_QUESTION_FIELDS = [
    "id",
    "question_id",
    "section_id",
    "question_html",
    "type",
    "marks",
    "negative_marks",
    "partial_marks",
    "direction",
    "answers",
    "difficulty_level",
    "order",
    "is_bonus",
    "exam_id",
]
ORDERING_PARAMS = [
    "date",
    "-date",
    "correct_answers_count",
    "-correct_answers_count",
    "incorrect_answers_count",
    "-incorrect_answers_count",
    "unanswered_count",
    "-unanswered_count",
]

# "Now" for the API while a test runs with the ``clock`` fixture: 10 minutes into an attempt
# started at NOW.
CLOCK = NOW + timedelta(minutes=10)


def detail_url(pk):
    return f"/api/v2.5/admin/attempts/{pk}/"


def answers_url(pk):
    return f"/api/v3/admin/attempts/{pk}/user_answers/"


def exam_url(pk):
    return f"/api/v2.5/admin/exams/{pk}/"


def user_url(pk):
    return f"/api/v2.5/admin/users/{pk}/"


def jwt_client(user, scheme="JWT") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {SlidingToken.for_user(user)}")
    return client


def listed_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# ------------------------------------------------------------------ building attempts


def start(kit, user=None, now=NOW):
    return services.attempt_start(user=user or kit.learner, exam=kit.exam, now=now)


def answer(kit, attempt, name, *, choices=(), now=NOW, **kwargs):
    ids = [kit.choices[name][i].pk for i in choices]
    return services.attempt_save_answer(
        attempt=attempt, exam_question=kit.eq[name], choice_ids=ids, now=now, **kwargs
    )


def submit(attempt, now):
    return services.attempt_submit(attempt=attempt, now=now)


def enrolled_learner(kit, username):
    learner = UserFactory(username=username)
    EnrollmentFactory(user=learner, course=kit.course, enrolled_at=NOW - timedelta(days=2))
    return learner


def thirteen_of_24(kit, user=None, *, minutes=10):
    """Answers 5 of the 6 questions (not the essay) and submits ``minutes`` after NOW.

    single +4, multiple 2 of 3 keys +2 (partial), true/false wrong -1, numeric +4, short +4:
    score 13 of 24 = 54.17 % (pass mark 50 %); correct 3, incorrect 1, partial 1,
    unanswered 1 (the essay, so nothing is pending and the attempt completes).
    """
    attempt = start(kit, user)
    answered_at = NOW + timedelta(minutes=5)
    answer(kit, attempt, "single", choices=[0], now=answered_at)
    answer(kit, attempt, "multiple", choices=[0, 1], now=answered_at)
    answer(kit, attempt, "true_false", choices=[1], now=answered_at)
    answer(kit, attempt, "numeric", number=D("9.81"), now=answered_at)
    answer(kit, attempt, "short", text="Paris", now=answered_at)
    return submit(attempt, NOW + timedelta(minutes=minutes))


def hand_built(exam, *, started_at, correct=0, incorrect=0, unanswered=0, **fields):
    """A completed attempt with the given counts (their sum is ``total_questions``, as the
    ``attempt_counts_add_up`` check constraint requires)."""
    fields.setdefault("state", State.COMPLETED)
    if "user" not in fields:
        fields["user"] = UserFactory()
    return AttemptFactory(
        exam=exam,
        started_at=started_at,
        total_questions=correct + incorrect + unanswered,
        correct_count=correct,
        incorrect_count=incorrect,
        unanswered_count=unanswered,
        **fields,
    )


def at(day, hms="10:00:00"):
    return datetime.fromisoformat(f"2026-10-{day:02d}T{hms}").replace(tzinfo=UTC)


# -------------------------------------------------------------------------- fixtures


@pytest.fixture
def staff(db):
    return StaffFactory(username="root")


@pytest.fixture
def clock(monkeypatch):
    """Freeze the API's clock at CLOCK: running attempts' time taken and remaining time are
    computed from ``timezone.now()`` in the view (list) and the serializer (detail)."""
    frozen = SimpleNamespace(now=lambda: CLOCK)
    monkeypatch.setattr("attempts.api.timezone", frozen)
    monkeypatch.setattr("attempts.serializers.timezone", frozen)
    return CLOCK


@pytest.fixture
def other_course_attempt(db):
    """An attempt in a course that the kit's instructor does not teach."""
    other_learner = UserFactory(username="grace")
    course = CourseFactory()
    EnrollmentFactory(user=other_learner, course=course)
    return AttemptFactory(user=other_learner, exam=ExamFactory(course=course))


# ===================================================================== authentication


class TestAuthToken:
    def test_username_and_password_give_exactly_a_token(self, staff):
        response = APIClient().post(
            TOKEN_URL, {"username": "root", "password": "pass"}, format="json"
        )
        assert response.status_code == 200
        assert list(response.json()) == ["token"]
        assert response.json()["token"].count(".") == 2  # header.payload.signature

    def test_wrong_password_is_401(self, staff):
        response = APIClient().post(
            TOKEN_URL, {"username": "root", "password": "wrong"}, format="json"
        )
        assert response.status_code == 401
        assert "token" not in response.json()

    @pytest.mark.parametrize(
        ("payload", "missing"),
        [
            ({"username": "root"}, {"password"}),
            ({"password": "pass"}, {"username"}),
            ({}, {"username", "password"}),
        ],
    )
    def test_missing_field_is_400_keyed_by_field(self, staff, payload, missing):
        response = APIClient().post(TOKEN_URL, payload, format="json")
        assert response.status_code == 400
        assert set(response.json()) == missing
        for field in missing:
            assert response.json()[field] == ["This field is required."]

    @pytest.mark.parametrize("scheme", ["JWT", "Bearer"])
    def test_obtained_token_authenticates_with_jwt_and_bearer_schemes(self, staff, scheme):
        token = (
            APIClient()
            .post(TOKEN_URL, {"username": "root", "password": "pass"}, format="json")
            .json()["token"]
        )
        response = APIClient().get(LIST_URL, HTTP_AUTHORIZATION=f"{scheme} {token}")
        assert response.status_code == 200

    def test_refresh_returns_a_token_that_authenticates(self, staff):
        client = APIClient()
        token = client.post(
            TOKEN_URL, {"username": "root", "password": "pass"}, format="json"
        ).json()["token"]

        response = client.post(REFRESH_URL, {"token": token}, format="json")

        assert response.status_code == 200
        assert list(response.json()) == ["token"]
        refreshed = response.json()["token"]
        assert client.get(LIST_URL, HTTP_AUTHORIZATION=f"JWT {refreshed}").status_code == 200

    def test_verify_accepts_a_valid_token_and_rejects_a_forged_one(self, staff):
        client = APIClient()
        token = client.post(
            TOKEN_URL, {"username": "root", "password": "pass"}, format="json"
        ).json()["token"]

        valid = client.post(VERIFY_URL, {"token": token}, format="json")
        forged = client.post(VERIFY_URL, {"token": token[:-4] + "abcd"}, format="json")

        assert (valid.status_code, valid.json()) == (200, {})
        assert forged.status_code == 401

    def test_refresh_and_verify_require_the_token_field(self, staff):
        client = APIClient()
        for url in (REFRESH_URL, VERIFY_URL):
            response = client.post(url, {}, format="json")
            assert response.status_code == 400
            assert response.json() == {"token": ["This field is required."]}


class TestAuthentication:
    def test_session_login_works(self, client, staff):
        client.force_login(staff)
        assert client.get(LIST_URL).status_code == 200

    def test_anonymous_list_is_401_with_www_authenticate(self, db):
        response = APIClient().get(LIST_URL)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'JWT realm="api"'

    @pytest.mark.parametrize(
        "url", [detail_url(1), answers_url(1), exam_url(1), user_url(1)], ids=str
    )
    def test_anonymous_is_401_on_every_endpoint(self, db, url):
        response = APIClient().get(url)
        assert response.status_code == 401
        assert "WWW-Authenticate" in response

    def test_a_garbage_token_is_401(self, db):
        response = APIClient().get(LIST_URL, HTTP_AUTHORIZATION="JWT not-a-token")
        assert response.status_code == 401


# ============================================================================ roles


class TestRoles:
    def test_staff_sees_every_attempt(self, kit, other_course_attempt):
        # Given an attempt in the kit's course and one in another course,
        mine = AttemptFactory(user=kit.learner, exam=kit.exam)
        plain_staff = UserFactory(is_staff=True)  # staff, teaching nothing, not superuser
        # then staff list both.
        response = jwt_client(plain_staff).get(LIST_URL)
        assert sorted(listed_ids(response)) == sorted([mine.pk, other_course_attempt.pk])

    def test_instructor_lists_only_attempts_of_courses_they_teach(self, kit, other_course_attempt):
        mine = AttemptFactory(user=kit.learner, exam=kit.exam)
        response = jwt_client(kit.instructor).get(LIST_URL)
        assert listed_ids(response) == [mine.pk]
        assert response.json()["count"] == 1

    def test_instructor_reads_detail_and_answers_of_their_course(self, kit):
        attempt = thirteen_of_24(kit)
        client = jwt_client(kit.instructor)
        assert client.get(detail_url(attempt.pk)).status_code == 200
        assert client.get(answers_url(attempt.pk)).status_code == 200

    @pytest.mark.parametrize("url", [detail_url, answers_url])
    def test_instructor_gets_404_for_another_course_attempt(self, kit, other_course_attempt, url):
        response = jwt_client(kit.instructor).get(url(other_course_attempt.pk))
        assert response.status_code == 404

    @pytest.mark.parametrize("url", [detail_url, answers_url])
    def test_staff_gets_404_for_an_attempt_that_does_not_exist(self, staff, url):
        assert jwt_client(staff).get(url(999_999)).status_code == 404

    def test_learner_is_403_on_the_list(self, kit):
        AttemptFactory(user=kit.learner, exam=kit.exam)
        response = jwt_client(kit.learner).get(LIST_URL)
        assert response.status_code == 403

    @pytest.mark.parametrize("url", [detail_url, answers_url])
    def test_learner_is_403_even_on_their_own_attempt(self, kit, url):
        attempt = thirteen_of_24(kit)
        assert attempt.user == kit.learner
        assert jwt_client(kit.learner).get(url(attempt.pk)).status_code == 403

    @pytest.mark.parametrize("url", [detail_url, answers_url])
    def test_learner_is_403_not_404_for_an_unknown_id(self, kit, url):
        # A learner must not learn which ids exist.
        assert jwt_client(kit.learner).get(url(999_999)).status_code == 403


class TestLinkedResources:
    """The exam and user endpoints that ``exam_url`` and ``user_url`` point at."""

    def test_links_of_the_list_resolve_for_staff(self, kit, staff):
        thirteen_of_24(kit)
        client = jwt_client(staff)
        row = client.get(LIST_URL).json()["results"][0]

        exam = client.get(row["exam_url"])
        user = client.get(row["user_url"])

        assert (exam.status_code, exam.json()["id"]) == (200, kit.exam.pk)
        assert exam.json()["title"] == kit.exam.title
        assert exam.json()["duration"] == "1:00:00"
        assert (user.status_code, user.json()["id"]) == (200, kit.learner.pk)
        assert user.json()["username"] == "ada"

    def test_links_of_the_list_resolve_for_the_instructor(self, kit):
        thirteen_of_24(kit)
        client = jwt_client(kit.instructor)
        row = client.get(LIST_URL).json()["results"][0]
        assert client.get(row["exam_url"]).status_code == 200
        assert client.get(row["user_url"]).status_code == 200

    def test_instructor_gets_404_for_exam_and_user_of_another_course(
        self, kit, other_course_attempt
    ):
        client = jwt_client(kit.instructor)
        assert client.get(exam_url(other_course_attempt.exam_id)).status_code == 404
        assert client.get(user_url(other_course_attempt.user_id)).status_code == 404

    def test_staff_reads_any_exam_and_user(self, staff, other_course_attempt):
        client = jwt_client(staff)
        assert client.get(exam_url(other_course_attempt.exam_id)).status_code == 200
        assert client.get(user_url(other_course_attempt.user_id)).status_code == 200

    def test_learner_is_403_on_exam_and_user(self, kit):
        client = jwt_client(kit.learner)
        assert client.get(exam_url(kit.exam.pk)).status_code == 403
        assert client.get(user_url(kit.learner.pk)).status_code == 403

    def test_user_url_of_an_attempt_the_instructor_sees_resolves_after_unenrolment(self, kit):
        # Given an attempt of the kit learner, who is then removed from the course (the
        # admin can delete an Enrollment; the attempt stays and the instructor still sees it),
        attempt = thirteen_of_24(kit)
        Enrollment.objects.filter(user=kit.learner, course=kit.course).delete()
        client = jwt_client(kit.instructor)
        row = client.get(LIST_URL).json()["results"][0]
        assert row["id"] == attempt.pk
        # then the link the API handed out must work for the same caller.
        assert client.get(row["user_url"]).status_code == 200


# ================================================================== list: the contract


class TestListContract:
    def test_envelope_has_exactly_the_seed_keys_and_200_per_page(self, kit, staff):
        thirteen_of_24(kit)
        body = jwt_client(staff).get(LIST_URL).json()
        assert list(body) == ["count", "next", "previous", "per_page", "results"]
        assert (body["count"], body["next"], body["previous"], body["per_page"]) == (
            1,
            None,
            None,
            200,
        )

    def test_each_result_has_exactly_the_seed_fields(self, kit, staff):
        thirteen_of_24(kit)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert list(row) == LIST_FIELDS

    def test_completed_attempt_field_values(self, kit, staff):
        # Given 5 answered of 6 in 10 minutes, 13 of 24 marks (see thirteen_of_24),
        attempt = thirteen_of_24(kit)

        row = jwt_client(staff).get(LIST_URL).json()["results"][0]

        assert row == {
            "id": attempt.pk,
            "date": "2026-10-01T09:00:00Z",
            "exam_id": kit.exam.pk,
            "user_id": kit.learner.pk,
            "email": "ada@example.com",
            "name": "Ada",
            "phone": None,
            "correct_answers_count": 3,
            "incorrect_answers_count": 1,
            "unanswered_count": 1,
            "score": "13.00",
            "percentage": 54.17,  # 13 / 24 = 54.1666… → 54.17
            "time_taken": "0:10:00",
            "remaining_time": "0:00:00",  # timed exam, finished
            "result": "Pass",  # 54.17 >= 50
            "state": "Completed",
            "last_started_time": "2026-10-01T09:00:00Z",
            "last_answer_updated_time": "2026-10-01T09:05:00Z",
            "speed": 0.5,  # 5 answered / 10 minutes
            "exam_url": f"http://testserver/api/v2.5/admin/exams/{kit.exam.pk}/",
            "user_url": f"http://testserver/api/v2.5/admin/users/{kit.learner.pk}/",
        }

    def test_score_is_a_two_decimal_string_and_percentage_a_number(self, kit, staff):
        thirteen_of_24(kit)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert isinstance(row["score"], str)
        assert re.fullmatch(r"-?\d+\.\d\d", row["score"])
        assert isinstance(row["percentage"], int | float)
        assert isinstance(row["speed"], int | float)

    def test_speed_is_answered_questions_per_minute(self, kit, staff):
        # 5 answered in 20 minutes: 5 / 20 = 0.25 per minute.
        thirteen_of_24(kit, minutes=20)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["time_taken"], row["speed"]) == ("0:20:00", 0.25)

    def test_time_taken_counts_hours_past_24(self, staff):
        hand_built(
            ExamFactory(),
            started_at=NOW,
            completed_at=NOW + timedelta(hours=25),
        )
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert row["time_taken"] == "25:00:00"

    def test_remaining_time_is_null_for_an_untimed_exam(self, kit, staff):
        Exam.objects.filter(pk=kit.exam.pk).update(duration=None)
        kit.exam.refresh_from_db()
        thirteen_of_24(kit)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert row["remaining_time"] is None
        assert row["time_taken"] == "0:10:00"

    def test_running_attempt_shows_time_so_far_and_time_left(self, kit, staff, clock):
        # Started at NOW with a 60-minute deadline; the API's clock reads NOW + 10 minutes.
        start(kit)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert row["state"] == "Running"
        assert row["time_taken"] == "0:10:00"
        assert row["remaining_time"] == "0:50:00"
        assert row["result"] == "Not taken"

    def test_result_is_fail_below_the_pass_mark(self, kit, staff):
        # single +4 only: 4 / 24 = 16.67 % < 50 %.
        attempt = start(kit)
        answer(kit, attempt, "single", choices=[0])
        submit(attempt, NOW + timedelta(minutes=3))
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["score"], row["percentage"], row["result"]) == ("4.00", 16.67, "Fail")

    def test_result_is_na_when_the_exam_has_no_pass_mark(self, kit, staff):
        Exam.objects.filter(pk=kit.exam.pk).update(pass_percentage=None)
        kit.exam.refresh_from_db()
        thirteen_of_24(kit)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["state"], row["result"]) == ("Completed", "NA")

    def test_result_is_not_taken_while_pending_evaluation(self, kit, staff):
        attempt = start(kit)
        answer(kit, attempt, "single", choices=[0])
        answer(kit, attempt, "essay", text="Because gravity.")
        submit(attempt, NOW + timedelta(minutes=3))
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["state"], row["result"]) == ("Pending Evaluation", "Not taken")

    @pytest.mark.parametrize(
        ("state", "label"),
        [
            (State.RUNNING, "Running"),
            (State.COMPLETED, "Completed"),
            (State.PENDING_EVALUATION, "Pending Evaluation"),
            (State.NOT_STARTED, "Not Started"),
        ],
    )
    def test_state_labels(self, staff, state, label):
        hand_built(ExamFactory(), started_at=NOW, state=state)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert row["state"] == label

    def test_not_started_attempt_has_no_time_taken_nor_speed(self, staff):
        hand_built(ExamFactory(), started_at=NOW, state=State.NOT_STARTED)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["time_taken"], row["speed"], row["result"]) == (None, None, "Not taken")

    def test_blank_email_name_and_phone_are_null(self, staff):
        nobody = UserFactory(email="", display_name="", first_name="", last_name="", phone="")
        hand_built(ExamFactory(), started_at=NOW, user=nobody)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["email"], row["name"], row["phone"]) == (None, None, None)

    def test_name_falls_back_to_full_name_and_phone_is_shown(self, staff):
        user = UserFactory(display_name="", first_name="Ada", last_name="Lovelace", phone="+44 1")
        hand_built(ExamFactory(), started_at=NOW, user=user)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["name"], row["phone"]) == ("Ada Lovelace", "+44 1")

    def test_exam_and_user_urls_are_absolute(self, staff):
        attempt = hand_built(ExamFactory(), started_at=NOW)
        # The host is the request's (ALLOWED_HOSTS in tests: testserver, localhost, 127.0.0.1).
        row = jwt_client(staff).get(LIST_URL, HTTP_HOST="localhost:8000").json()["results"][0]
        host = "http://localhost:8000"
        assert row["exam_url"] == f"{host}/api/v2.5/admin/exams/{attempt.exam_id}/"
        assert row["user_url"] == f"{host}/api/v2.5/admin/users/{attempt.user_id}/"


# ============================================================================= detail


def file_questions_under_subjects(kit):
    """Science (root) › Physics: single and multiple under Physics, true/false under Science
    itself, numeric, short and essay without subject. Difficulties: single and multiple easy,
    true/false hard, numeric and short medium, essay unlabelled."""
    science = SubjectFactory(name="Science")
    physics = SubjectFactory(name="Physics", parent=science)
    filing = {
        "single": (physics, "easy"),
        "multiple": (physics, "easy"),
        "true_false": (science, "hard"),
        "numeric": (None, "medium"),
        "short": (None, "medium"),
        "essay": (None, None),
    }
    for name, (subject, difficulty) in filing.items():
        Question.objects.filter(pk=kit.eq[name].question_id).update(
            subject=subject, difficulty=difficulty
        )
    return science, physics


def nine_of_24(kit, user=None):
    """single +4 (30 s), multiple 2 of 3 keys +2 (20 s), true/false wrong -1 (10 s),
    numeric +4 (40 s); short and essay unanswered. Score 9, submitted after 30 minutes."""
    attempt = start(kit, user)
    answer(kit, attempt, "single", choices=[0], time_spent_seconds=30)
    answer(kit, attempt, "multiple", choices=[0, 1], time_spent_seconds=20)
    answer(kit, attempt, "true_false", choices=[1], time_spent_seconds=10)
    answer(kit, attempt, "numeric", number=D("9.80"), time_spent_seconds=40)
    return submit(attempt, NOW + timedelta(minutes=30))


class TestDetail:
    def test_has_the_list_fields_plus_the_seed_detail_fields(self, kit, staff):
        attempt = thirteen_of_24(kit)
        body = jwt_client(staff).get(detail_url(attempt.pk)).json()
        assert list(body) == LIST_FIELDS + DETAIL_EXTRA_FIELDS

    def test_list_fields_equal_the_list_row(self, kit, staff):
        attempt = thirteen_of_24(kit)
        client = jwt_client(staff)
        row = client.get(LIST_URL).json()["results"][0]
        body = client.get(detail_url(attempt.pk)).json()
        assert {field: body[field] for field in LIST_FIELDS} == row

    def test_username_and_institute_attempt_id(self, kit, staff):
        attempt = thirteen_of_24(kit)
        Attempt.objects.filter(pk=attempt.pk).update(institute_attempt_id=100101)
        body = jwt_client(staff).get(detail_url(attempt.pk)).json()
        assert (body["username"], body["institute_attempt_id"]) == ("ada", 100101)

    def test_rank_and_percentile_of_two_learners(self, kit, staff):
        # Given ada scoring 9 and bob scoring -1 (single wrong only),
        ada = nine_of_24(kit)
        bob_attempt = start(kit, enrolled_learner(kit, "bob"))
        answer(kit, bob_attempt, "single", choices=[1])
        bob_attempt = submit(bob_attempt, NOW + timedelta(minutes=5))
        assert (ada.score, bob_attempt.score) == (D("9.00"), D("-1.00"))
        client = jwt_client(staff)

        first = client.get(detail_url(ada.pk)).json()
        second = client.get(detail_url(bob_attempt.pk)).json()

        # rank = 1 + attempts scoring higher; percentile = share scoring <= it × 100:
        # ada: 1 + 0 = 1, 2 / 2 = 100.0; bob: 1 + 1 = 2, 1 / 2 = 50.0.
        assert (first["rank"], first["percentile"]) == (1, 100.0)
        assert (second["rank"], second["percentile"]) == (2, 50.0)

    def test_tied_scores_share_a_rank(self, kit, staff):
        # Scores 9, 9 and 4: ranks 1, 1, 3; percentiles 3/3, 3/3, 1/3 = 100.0, 100.0, 33.33.
        first = nine_of_24(kit)
        second = nine_of_24(kit, enrolled_learner(kit, "bob"))
        third = start(kit, enrolled_learner(kit, "cy"))
        answer(kit, third, "single", choices=[0])
        third = submit(third, NOW + timedelta(minutes=5))
        client = jwt_client(staff)

        standings = [
            (body["rank"], body["percentile"])
            for body in (client.get(detail_url(a.pk)).json() for a in (first, second, third))
        ]

        assert standings == [(1, 100.0), (1, 100.0), (3, 33.33)]

    def test_running_attempt_has_no_rank_nor_percentile(self, kit, staff, clock):
        attempt = start(kit)
        body = jwt_client(staff).get(detail_url(attempt.pk)).json()
        assert (body["rank"], body["percentile"]) == (None, None)
        assert (body["time_taken"], body["remaining_time"]) == ("0:10:00", "0:50:00")

    def test_sections_count_their_questions_score_and_time(self, kit, staff):
        attempt = nine_of_24(kit)
        sections = jwt_client(staff).get(detail_url(attempt.pk)).json()["sections"]
        one, two = sorted(kit.exam.sections.all(), key=lambda s: s.order)

        assert [set(section) >= SECTION_FIELDS for section in sections] == [True, True]
        # Section one: single (correct +4, 30 s), multiple (partial +2, 20 s),
        # true/false (incorrect -1, 10 s): score 5, 60 s.
        assert {key: sections[0][key] for key in SECTION_FIELDS} == {
            "id": one.pk,
            "order": 0,
            "section_id": one.pk,
            "time_taken": "0:01:00",
            "correct_answers_count": 1,
            "incorrect_answers_count": 1,
            "unanswered_count": 0,
            "score": "5.00",
        }
        assert sections[0]["partial_correct_answers_count"] == 1
        # Section two: numeric (correct +4, 40 s), short and essay unanswered: score 4, 40 s.
        assert {key: sections[1][key] for key in SECTION_FIELDS} == {
            "id": two.pk,
            "order": 1,
            "section_id": two.pk,
            "time_taken": "0:00:40",
            "correct_answers_count": 1,
            "incorrect_answers_count": 0,
            "unanswered_count": 2,
            "score": "4.00",
        }

    def test_subject_stats_parent_row_sums_its_subtree(self, kit, staff):
        science, physics = file_questions_under_subjects(kit)
        attempt = nine_of_24(kit)

        rows = jwt_client(staff).get(detail_url(attempt.pk)).json()["subject_stats"]

        assert all(set(row) >= SUBJECT_FIELDS for row in rows)
        picked = [{key: row[key] for key in SUBJECT_FIELDS} for row in rows]
        assert picked == [
            # Science: Physics' single (+4) and multiple (+2) plus its own true/false (-1).
            {
                "subject_id": science.pk,
                "subject_name": "Science",
                "total_count": 3,
                "correct_answers_count": 1,
                "partial_correct_answers_count": 1,
                "incorrect_answers_count": 1,
                "unanswered_count": 0,
                "parent_subject_id": None,
                "is_leaf": False,
                "score": "5.00",
            },
            {
                "subject_id": physics.pk,
                "subject_name": "Physics",
                "total_count": 2,
                "correct_answers_count": 1,
                "partial_correct_answers_count": 1,
                "incorrect_answers_count": 0,
                "unanswered_count": 0,
                "parent_subject_id": science.pk,
                "is_leaf": True,
                "score": "6.00",
            },
            # Numeric (+4), short and essay (unanswered) have no subject.
            {
                "subject_id": None,
                "subject_name": "No subject",
                "total_count": 3,
                "correct_answers_count": 1,
                "partial_correct_answers_count": 0,
                "incorrect_answers_count": 0,
                "unanswered_count": 2,
                "parent_subject_id": None,
                "is_leaf": True,
                "score": "4.00",
            },
        ]

    def test_difficulty_level_stats_are_keyed_by_level(self, kit, staff):
        file_questions_under_subjects(kit)
        attempt = nine_of_24(kit)

        stats = jwt_client(staff).get(detail_url(attempt.pk)).json()["difficulty_level_stats"]

        assert list(stats) == ["easy", "medium", "hard", "unlabelled"]
        assert all(set(row) >= DIFFICULTY_FIELDS for row in stats.values())
        picked = {
            level: {key: row[key] for key in DIFFICULTY_FIELDS} for level, row in stats.items()
        }
        assert picked == {
            # single correct, multiple partial
            "easy": {
                "correct_answers_count": 1,
                "incorrect_answers_count": 0,
                "partial_correct_answers_count": 1,
                "unanswered_count": 0,
                "total_count": 2,
            },
            # numeric correct, short unanswered
            "medium": {
                "correct_answers_count": 1,
                "incorrect_answers_count": 0,
                "partial_correct_answers_count": 0,
                "unanswered_count": 1,
                "total_count": 2,
            },
            # true/false wrong
            "hard": {
                "correct_answers_count": 0,
                "incorrect_answers_count": 1,
                "partial_correct_answers_count": 0,
                "unanswered_count": 0,
                "total_count": 1,
            },
            # essay unanswered
            "unlabelled": {
                "correct_answers_count": 0,
                "incorrect_answers_count": 0,
                "partial_correct_answers_count": 0,
                "unanswered_count": 1,
                "total_count": 1,
            },
        }


# ======================================================================= user_answers


def mixed_answers(kit):
    """One answer of each result, submitted after 10 minutes:

    single choice 0: Correct (25 s, flagged for review); multiple 0+1: Partially Correct
    (guessed); true/false choice 1: Incorrect (not guessed); numeric: never answered
    (Unanswered); short "Paris": Correct; essay: Pending.
    """
    attempt = start(kit)
    answer(kit, attempt, "single", choices=[0], time_spent_seconds=25, flagged=True)
    answer(kit, attempt, "multiple", choices=[0, 1], guessed=True)
    answer(kit, attempt, "true_false", choices=[1], guessed=False)
    answer(kit, attempt, "short", text="Paris")
    answer(kit, attempt, "essay", text="Because gravity.")
    return submit(attempt, NOW + timedelta(minutes=10))


class TestUserAnswers:
    def test_envelope_has_250_per_page_and_results_object(self, kit, staff):
        attempt = mixed_answers(kit)
        body = jwt_client(staff).get(answers_url(attempt.pk)).json()
        assert list(body) == ["count", "next", "previous", "per_page", "results"]
        assert (body["count"], body["next"], body["previous"], body["per_page"]) == (
            6,
            None,
            None,
            250,
        )
        assert list(body["results"]) == ["user_answers", "exam_questions"]

    def test_user_answer_fields_and_result_labels(self, kit, staff):
        attempt = mixed_answers(kit)
        answers = jwt_client(staff).get(answers_url(attempt.pk)).json()["results"]["user_answers"]

        assert all(set(row) >= USER_ANSWER_FIELDS for row in answers)
        picked = [{key: row[key] for key in USER_ANSWER_FIELDS - {"id"}} for row in answers]
        choice = {name: [c.pk for c in choices] for name, choices in kit.choices.items()}
        assert picked == [
            {
                "exam_question_id": kit.eq["single"].pk,
                "selected_answers": [choice["single"][0]],
                "result": "Correct",
                "duration": 25,
                "review": True,
                "guessed": None,
            },
            {
                "exam_question_id": kit.eq["multiple"].pk,
                "selected_answers": [choice["multiple"][0], choice["multiple"][1]],
                "result": "Partially Correct",
                "duration": 0,
                "review": False,
                "guessed": True,
            },
            {
                "exam_question_id": kit.eq["true_false"].pk,
                "selected_answers": [choice["true_false"][1]],
                "result": "Incorrect",
                "duration": 0,
                "review": False,
                "guessed": False,
            },
            {
                "exam_question_id": kit.eq["numeric"].pk,
                "selected_answers": [],
                "result": "Unanswered",
                "duration": 0,
                "review": False,
                "guessed": None,
            },
            {
                "exam_question_id": kit.eq["short"].pk,
                "selected_answers": [],
                "result": "Correct",
                "duration": 0,
                "review": False,
                "guessed": None,
            },
            {
                "exam_question_id": kit.eq["essay"].pk,
                "selected_answers": [],
                "result": "Pending",
                "duration": 0,
                "review": False,
                "guessed": None,
            },
        ]
        assert all(isinstance(row["id"], int) for row in answers)

    def test_exam_question_fields_and_formats(self, kit, staff):
        attempt = mixed_answers(kit)
        questions = (
            jwt_client(staff).get(answers_url(attempt.pk)).json()["results"]["exam_questions"]
        )

        assert [list(row) for row in questions] == [EXAM_QUESTION_FIELDS] * 6
        single, multiple = questions[0], questions[1]
        eq = kit.eq["single"]
        assert single == {
            "id": eq.pk,
            "question_id": eq.question_id,
            "section_id": eq.section_id,
            "question_html": eq.question.text_html,
            "type": "MCQ, Single Correct",
            "marks": "4.00",
            "negative_marks": "1.00",
            "partial_marks": None,
            "direction": None,
            "answers": [{"id": c.pk, "text_html": c.text_html} for c in kit.choices["single"]],
            "difficulty_level": "medium",
            "order": 0,
            "is_bonus": False,
            "exam_id": kit.exam.pk,
        }
        assert (multiple["type"], multiple["partial_marks"]) == ("MCQ, Multiple Correct", "1.00")
        assert [row["type"] for row in questions] == [
            "MCQ, Single Correct",
            "MCQ, Multiple Correct",
            "True or False",
            "Numerical",
            "Short Answer",
            "Essay",
        ]
        # Questions without choices list none.
        assert [len(row["answers"]) for row in questions] == [4, 4, 2, 0, 0, 0]

    def test_answers_never_reveal_the_key(self, kit, staff):
        attempt = mixed_answers(kit)
        questions = (
            jwt_client(staff).get(answers_url(attempt.pk)).json()["results"]["exam_questions"]
        )
        assert {key for row in questions for choice in row["answers"] for key in choice} == {
            "id",
            "text_html",
        }

    def test_per_page_splits_answers_and_lists_only_that_page_questions(self, kit, staff):
        attempt = mixed_answers(kit)
        client = jwt_client(staff)
        order = [kit.eq[name].pk for name in kit.eq]  # exam order: single … essay

        pages = [
            client.get(answers_url(attempt.pk), {"per_page": 2, "page": page}).json()
            for page in (1, 2, 3)
        ]

        for number, body in enumerate(pages):
            expected = order[2 * number : 2 * number + 2]
            results = body["results"]
            assert (body["count"], body["per_page"]) == (6, 2)
            assert [row["exam_question_id"] for row in results["user_answers"]] == expected
            assert [row["id"] for row in results["exam_questions"]] == expected
        assert pages[0]["previous"] is None
        assert pages[0]["next"].endswith(f"{answers_url(attempt.pk)}?page=2&per_page=2")
        assert pages[2]["next"] is None

    def test_running_attempt_without_answers_has_empty_lists(self, kit, staff):
        attempt = start(kit)
        body = jwt_client(staff).get(answers_url(attempt.pk)).json()
        assert body["count"] == 0
        assert body["results"] == {"user_answers": [], "exam_questions": []}


# ========================================================= ordering, filters, paging


@pytest.fixture
def five(db):
    """Five completed attempts of one exam, created a…e (so ids ascend a < b < … < e),
    10 questions each:

    ====  ==========  =======  =========  ==========
    name  started     correct  incorrect  unanswered
    ====  ==========  =======  =========  ==========
    a     10-01 10:00    5        2          3
    b     10-03 10:00    2        2          6
    c     10-02 10:00    5        4          1
    d     10-02 10:00    0        0         10
    e     09-30 10:00    1        3          6
    ====  ==========  =======  =========  ==========

    Ties: date c = d, correct a = c, incorrect a = b, unanswered b = e.
    """
    exam = ExamFactory()
    rows = {
        "a": (at(1), 5, 2, 3),
        "b": (at(3), 2, 2, 6),
        "c": (at(2), 5, 4, 1),
        "d": (at(2), 0, 0, 10),
        "e": (at(1) - timedelta(days=1), 1, 3, 6),
    }
    return {
        name: hand_built(
            exam, started_at=started, correct=correct, incorrect=incorrect, unanswered=unanswered
        ).pk
        for name, (started, correct, incorrect, unanswered) in rows.items()
    }


class TestOrdering:
    def test_default_is_newest_first_ties_by_id_descending(self, staff, five):
        # b (10-03), d and c (10-02, d has the higher id), a (10-01), e (09-30).
        expected = [five[name] for name in "bdcae"]
        assert listed_ids(jwt_client(staff).get(LIST_URL)) == expected

    @pytest.mark.parametrize(
        ("ordering", "names"),
        [
            ("date", "eacdb"),  # 09-30, 10-01, c = d (ids ascending), 10-03
            ("-date", "bdcae"),
            ("correct_answers_count", "debac"),  # 0, 1, 2, a = c (5)
            ("-correct_answers_count", "cabed"),
            ("incorrect_answers_count", "dabec"),  # 0, a = b (2), 3, 4
            ("-incorrect_answers_count", "cebad"),
            ("unanswered_count", "cabed"),  # 1, 3, b = e (6), 10
            ("-unanswered_count", "debac"),
        ],
    )
    def test_ordering_breaks_ties_by_id_in_the_same_direction(self, staff, five, ordering, names):
        response = jwt_client(staff).get(LIST_URL, {"ordering": ordering})
        assert listed_ids(response) == [five[name] for name in names]


class TestStateFilter:
    @pytest.mark.parametrize("state", [0, 1, 2, 3])
    def test_state_keeps_only_that_state(self, staff, state):
        exam = ExamFactory()
        by_state = {s: hand_built(exam, started_at=NOW, state=s).pk for s in State.values}
        response = jwt_client(staff).get(LIST_URL, {"state": state})
        assert listed_ids(response) == [by_state[state]]


class TestDateFilters:
    @pytest.fixture
    def edges(self, db):
        exam = ExamFactory()
        moments = {
            "before": at(1, "00:00:00") - timedelta(seconds=1),  # 09-30 23:59:59
            "first": at(1, "00:00:00"),  # date_0's midnight
            "last": at(3, "23:59:59"),  # date_1's last second
            "after": at(4, "00:00:01"),  # a second after the next midnight
        }
        return {name: hand_built(exam, started_at=moment).pk for name, moment in moments.items()}

    def test_days_include_both_whole_days(self, staff, edges):
        response = jwt_client(staff).get(LIST_URL, {"date_0": "2026-10-01", "date_1": "2026-10-03"})
        assert sorted(listed_ids(response)) == sorted([edges["first"], edges["last"]])

    def test_date_0_day_starts_at_midnight(self, staff, edges):
        response = jwt_client(staff).get(LIST_URL, {"date_0": "2026-10-01"})
        assert sorted(listed_ids(response)) == sorted(
            [edges["first"], edges["last"], edges["after"]]
        )

    def test_date_1_day_ends_at_its_last_second(self, staff, edges):
        response = jwt_client(staff).get(LIST_URL, {"date_1": "2026-10-03"})
        assert sorted(listed_ids(response)) == sorted(
            [edges["before"], edges["first"], edges["last"]]
        )

    @pytest.fixture
    def around_noon(self, db):
        exam = ExamFactory()
        moments = {
            "06:29:59": at(1, "06:29:59"),
            "06:30:00": at(1, "06:30:00"),
            "11:59:59": at(1, "11:59:59"),
            "12:00:00": at(1, "12:00:00"),
            "12:00:01": at(1, "12:00:01"),
        }
        return {name: hand_built(exam, started_at=moment).pk for name, moment in moments.items()}

    def test_date_0_iso_datetime_in_utc(self, staff, around_noon):
        response = jwt_client(staff).get(LIST_URL, {"date_0": "2026-10-01T12:00:00Z"})
        assert sorted(listed_ids(response)) == sorted(
            [around_noon["12:00:00"], around_noon["12:00:01"]]
        )

    def test_date_1_iso_datetime_is_inclusive(self, staff, around_noon):
        response = jwt_client(staff).get(
            LIST_URL, {"date_0": "2026-10-01T11:59:59Z", "date_1": "2026-10-01T12:00:00Z"}
        )
        assert sorted(listed_ids(response)) == sorted(
            [around_noon["11:59:59"], around_noon["12:00:00"]]
        )

    def test_iso_datetime_without_offset_is_utc(self, staff, around_noon):
        response = jwt_client(staff).get(LIST_URL, {"date_0": "2026-10-01T12:00:00"})
        assert sorted(listed_ids(response)) == sorted(
            [around_noon["12:00:00"], around_noon["12:00:01"]]
        )

    # 12:00 at +05:30 is 06:30 UTC.
    @pytest.mark.parametrize(
        "query",
        [
            "date_0=2026-10-01T12:00:00%2B05:30&date_1=2026-10-01T12:00:00Z",  # '+' encoded
            "date_0=2026-10-01T12:00:00+05:30&date_1=2026-10-01T12:00:00Z",  # '+' → space
        ],
        ids=["encoded-plus", "raw-plus"],
    )
    def test_iso_datetime_with_offset(self, staff, around_noon, query):
        response = jwt_client(staff).get(f"{LIST_URL}?{query}")
        assert sorted(listed_ids(response)) == sorted(
            around_noon[name] for name in ("06:30:00", "11:59:59", "12:00:00")
        )


class TestIdFilters:
    def test_users_takes_several_comma_separated_ids(self, staff):
        exam = ExamFactory()
        one, two, three = (hand_built(exam, started_at=NOW) for _ in range(3))
        response = jwt_client(staff).get(LIST_URL, {"users": f"{one.user_id},{three.user_id}"})
        assert sorted(listed_ids(response)) == sorted([one.pk, three.pk])
        assert two.pk not in listed_ids(response)

    def test_exams_takes_several_comma_separated_ids(self, staff):
        exams = ExamFactory.create_batch(3)
        attempts = [hand_built(exam, started_at=NOW) for exam in exams]
        response = jwt_client(staff).get(LIST_URL, {"exams": f"{exams[0].pk},{exams[2].pk}"})
        assert sorted(listed_ids(response)) == sorted([attempts[0].pk, attempts[2].pk])

    def test_a_single_id(self, staff):
        exams = ExamFactory.create_batch(2)
        attempts = [hand_built(exam, started_at=NOW) for exam in exams]
        response = jwt_client(staff).get(LIST_URL, {"exams": exams[1].pk})
        assert listed_ids(response) == [attempts[1].pk]

    def test_filters_combine_with_and(self, staff):
        # Given two learners × two exams, completed and running,
        ada, bob = UserFactory(), UserFactory()
        math, art = ExamFactory(), ExamFactory()
        wanted = hand_built(math, started_at=at(2), user=ada)
        hand_built(math, started_at=at(2), user=ada, attempt_number=2, state=State.RUNNING)
        hand_built(math, started_at=at(5), user=ada, attempt_number=3)  # after date_1
        hand_built(art, started_at=at(2), user=ada)
        hand_built(math, started_at=at(2), user=bob)
        query = {
            "users": str(ada.pk),
            "exams": f"{math.pk},{ExamFactory().pk}",
            "state": 1,
            "date_0": "2026-10-01T00:00:00Z",
            "date_1": "2026-10-03T00:00:00Z",
        }
        # then only ada's completed math attempt of 10-02 remains.
        assert listed_ids(jwt_client(staff).get(LIST_URL, query)) == [wanted.pk]

    def test_filters_never_widen_the_instructor_scope(self, kit, other_course_attempt):
        response = jwt_client(kit.instructor).get(
            LIST_URL,
            {"users": other_course_attempt.user_id, "exams": other_course_attempt.exam_id},
        )
        assert listed_ids(response) == []


class TestPaging:
    def test_pages_of_an_ordered_list_never_repeat_or_skip(self, staff, five):
        client = jwt_client(staff)
        everything = listed_ids(client.get(LIST_URL, {"ordering": "correct_answers_count"}))

        seen, url, params = [], LIST_URL, {"ordering": "correct_answers_count", "per_page": 2}
        while url:
            body = client.get(url, params).json()
            assert len(body["results"]) <= 2
            seen += [row["id"] for row in body["results"]]
            url, params = body["next"], None

        assert seen == everything == [five[name] for name in "debac"]

    def test_next_and_previous_links_carry_the_query(self, staff, five):
        client = jwt_client(staff)
        body = client.get(LIST_URL, {"per_page": 2, "page": 2, "ordering": "date"}).json()
        next_link, previous_link = urlsplit(body["next"]), urlsplit(body["previous"])
        assert (body["count"], body["per_page"]) == (5, 2)
        assert next_link[:3] == ("http", "testserver", LIST_URL)
        assert parse_qs(next_link.query) == {"page": ["3"], "per_page": ["2"], "ordering": ["date"]}
        # Page 1 is the URL without ``page``.
        assert parse_qs(previous_link.query) == {"per_page": ["2"], "ordering": ["date"]}

    def test_a_page_past_the_end_is_404(self, staff, five):
        assert jwt_client(staff).get(LIST_URL, {"page": 99}).status_code == 404


# ========================================================================== bad input


class TestBadInput:
    @pytest.mark.parametrize(
        ("query", "key"),
        [
            ("state=9", "state"),
            ("state=abc", "state"),
            ("date_0=2026-13-01", "date_0"),
            ("date_1=yesterday", "date_1"),
            ("date_0=2026-10-01T25:00:00Z", "date_0"),
            ("users=a,b", "users"),
            ("exams=1,x", "exams"),
            ("users=0", "users"),
            ("users=99999999999999999999", "users"),  # beyond bigint: never a 500
            ("exams=99999999999999999999", "exams"),
            ("page=0", "page"),
            ("page=abc", "page"),
            ("page=-1", "page"),
            ("per_page=0", "per_page"),
            ("per_page=1001", "per_page"),
            ("per_page=x", "per_page"),
            ("ordering=foo", "ordering"),
        ],
    )
    def test_is_400_keyed_by_the_parameter(self, staff, query, key):
        response = jwt_client(staff).get(f"{LIST_URL}?{query}")
        assert response.status_code == 400
        assert list(response.json()) == [key]
        assert isinstance(response.json()[key], list)
        assert response.json()[key]

    def test_invalid_date_message(self, staff):
        response = jwt_client(staff).get(LIST_URL, {"date_0": "2026-13-01"})
        assert response.json() == {"date_0": ["Enter a valid date."]}

    def test_unknown_ordering_names_the_valid_fields(self, staff):
        response = jwt_client(staff).get(LIST_URL, {"ordering": "foo"})
        (message,) = response.json()["ordering"]
        assert "foo" in message
        listed = set(re.findall(r"-?[a-z_]+", message))
        assert set(ORDERING_PARAMS) <= listed, message
        # The model's own column names are not part of the API.
        assert not {"started_at", "correct_count", "incorrect_count"} & listed, message

    def test_1000_per_page_is_the_largest_allowed(self, staff, five):
        body = jwt_client(staff).get(LIST_URL, {"per_page": 1000}).json()
        assert (body["per_page"], body["count"]) == (1000, 5)


# ====================================================================== query budgets


def exam_with_questions(n, *, course, learner):
    """An exam of ``n`` single-choice questions (2 choices each, the first correct) filed
    under two subjects, with one completed attempt of ``learner`` who answered 3 of them."""
    exam = ExamFactory(course=course)
    section = SectionFactory(exam=exam)
    science = SubjectFactory()
    physics = SubjectFactory(parent=science)
    questions = Question.objects.bulk_create(
        Question(
            type=Question.Type.SINGLE,
            text_html=f"<p>Q{i}</p>",
            subject=physics if i % 2 else science,
            difficulty=Question.Difficulty.values[i % 3],
        )
        for i in range(n)
    )
    AnswerChoice.objects.bulk_create(
        AnswerChoice(question=q, text_html=f"<p>{k}</p>", is_correct=k == 0, order=k)
        for q in questions
        for k in range(2)
    )
    placed = ExamQuestion.objects.bulk_create(
        ExamQuestion(exam=exam, section=section, question=q, order=i)
        for i, q in enumerate(questions)
    )
    attempt = services.attempt_start(user=learner, exam=exam, now=NOW)
    for eq in placed[:3]:
        choice = AnswerChoice.objects.filter(question_id=eq.question_id).first()
        services.attempt_save_answer(
            attempt=attempt, exam_question=eq, choice_ids=[choice.pk], now=NOW
        )
    return services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=5))


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


class TestQueryBudgets:
    """Measured with CaptureQueriesContext (SQLite and PostgreSQL alike):

    list: staff 3, instructor 4, at 1 row and at 200 rows;
    detail: 7 for staff and instructor, at 5 and at 60 questions;
    user_answers: 6 for staff and instructor, at 5 and at 60 questions.
    """

    @staticmethod
    def completed_attempts_of_kit_course(kit, n):
        """``n`` completed attempts of the kit course, spread over 20 learners and 2 exams so
        that a lookup per row would show."""
        exams = [kit.exam, ExamFactory(course=kit.course)]
        learners = UserFactory.create_batch(20)
        Attempt.objects.bulk_create(
            Attempt(
                user=learners[i % 20],
                exam=exams[i % 2],
                attempt_number=i + 1,
                state=State.COMPLETED,
                started_at=NOW + timedelta(minutes=i),
                completed_at=NOW + timedelta(minutes=i + 30),
                deadline_at=NOW + timedelta(minutes=i + 60),
            )
            for i in range(n)
        )

    @pytest.mark.parametrize("rows", [1, 200])
    def test_list_for_staff(self, kit, staff, rows, django_assert_max_num_queries):
        self.completed_attempts_of_kit_course(kit, rows)
        client = jwt_client(staff)
        # 1. the token's user, 2. count of the attempts,
        # 3. the page of attempts joined with their user and exam.
        with django_assert_max_num_queries(3):
            response = client.get(LIST_URL)
        assert len(response.json()["results"]) == rows

    @pytest.mark.parametrize("rows", [1, 200])
    def test_list_for_instructor(self, kit, rows, django_assert_max_num_queries):
        self.completed_attempts_of_kit_course(kit, rows)
        client = jwt_client(kit.instructor)
        # 1. the token's user, 2. "is a reviewer" (teaches a course: EXISTS),
        # 3. count of the attempts of the courses taught, 4. the page joined with user and exam.
        with django_assert_max_num_queries(4):
            response = client.get(LIST_URL)
        assert len(response.json()["results"]) == rows

    @pytest.mark.parametrize("who", ["staff", "instructor"])
    def test_detail_does_not_grow_with_the_exam(
        self, kit, staff, who, django_assert_max_num_queries
    ):
        small = exam_with_questions(5, course=kit.course, learner=kit.learner)
        large = exam_with_questions(60, course=kit.course, learner=kit.learner)
        client = jwt_client(staff if who == "staff" else kit.instructor)

        # 1. the token's user, 2. the attempt joined with user and exam (scoped to the
        # reviewer: a hit proves the right, no separate "is reviewer" query),
        # 3. the exam's questions with subject and difficulty, 4. the attempt's answers,
        # 5. the exam's sections, 6. the subjects and their ancestors, 7. rank and
        # percentile (one aggregate).
        with django_assert_max_num_queries(10):
            client.get(detail_url(large.pk))
        assert count_queries(client, detail_url(small.pk)) == count_queries(
            client, detail_url(large.pk)
        )

    @pytest.mark.parametrize("who", ["staff", "instructor"])
    def test_user_answers_does_not_grow_with_the_exam(
        self, kit, staff, who, django_assert_max_num_queries
    ):
        small = exam_with_questions(5, course=kit.course, learner=kit.learner)
        large = exam_with_questions(60, course=kit.course, learner=kit.learner)
        client = jwt_client(staff if who == "staff" else kit.instructor)

        # 1. the token's user, 2. the attempt (scoped to the reviewer), 3. count of its
        # answers, 4. the page of answers joined with exam question and question,
        # 5. their selected choices, 6. the choices of the page's questions.
        with django_assert_max_num_queries(6):
            response = client.get(answers_url(large.pk))
        assert len(response.json()["results"]["user_answers"]) == 60
        assert count_queries(client, answers_url(small.pk)) == count_queries(
            client, answers_url(large.pk)
        )


class TestListFastPath:
    """The list serializer builds rows directly for speed; DRF's generic rendering of the
    declared fields (what the OpenAPI schema documents) must give the same output."""

    def test_fast_rows_equal_the_declared_fields(self, kit, rf):
        finished = services.attempt_start(user=kit.learner, exam=kit.exam, now=NOW)
        services.attempt_save_answer(
            attempt=finished,
            exam_question=kit.eq["single"],
            choice_ids=[kit.choices["single"][0].pk],
            now=NOW,
        )
        services.attempt_submit(attempt=finished, now=NOW + timedelta(minutes=7))
        other = UserFactory(username="bo", email="", display_name="")
        EnrollmentFactory(user=other, course=kit.course, enrolled_at=NOW - timedelta(days=1))
        services.attempt_start(user=other, exam=kit.exam, now=NOW)  # running, no answers
        request = Request(rf.get("/api/v2.5/admin/attempts/"))
        context = {"request": request, "now": NOW + timedelta(minutes=20)}
        for attempt in Attempt.objects.for_listing():
            serializer = AdminAttemptSerializer(context=context)
            fast = serializer.to_representation(attempt)
            generic = drf.ModelSerializer.to_representation(serializer, attempt)
            assert list(fast) == list(generic)  # same keys, same order
            render = JSONRenderer().render
            assert render(fast) == render(generic)  # the same JSON, byte for byte
