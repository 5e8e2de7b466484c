"""``GET /api/v2.5/admin/attempts/``: the fields of a row, ordering, filters, paging and
bad input, as Testpress documents them.
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework import serializers as drf
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from assessments.models import Exam
from attempts.api.testpress.serializers import AdminAttemptSerializer
from attempts.models import Attempt
from tests import play
from tests.attempts.api.testpress.contract import LIST_FIELDS, LIST_URL, jwt_client, listed_ids
from tests.attempts.api.testpress.scenarios import State, at, hand_built, thirteen_of_24
from tests.attempts.conftest import NOW
from tests.factories import ExamFactory, UserFactory

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
        kit.start()
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert row["state"] == "Running"
        assert row["time_taken"] == "0:10:00"
        assert row["remaining_time"] == "0:50:00"
        assert row["result"] == "Not taken"

    def test_result_is_fail_below_the_pass_mark(self, kit, staff):
        # single +4 only: 4 / 24 = 16.67 % < 50 %.
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])
        play.submit(attempt, now=NOW + timedelta(minutes=3))
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["score"], row["percentage"], row["result"]) == ("4.00", 16.67, "Fail")

    def test_result_is_na_when_the_exam_has_no_pass_mark(self, kit, staff):
        Exam.objects.filter(pk=kit.exam.pk).update(pass_percentage=None)
        kit.exam.refresh_from_db()
        thirteen_of_24(kit)
        row = jwt_client(staff).get(LIST_URL).json()["results"][0]
        assert (row["state"], row["result"]) == ("Completed", "NA")

    def test_result_is_not_taken_while_pending_evaluation(self, kit, staff):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])
        kit.answer(attempt, "essay", text="Because gravity.")
        play.submit(attempt, now=NOW + timedelta(minutes=3))
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
            ("ordering=%2C", "ordering"),  # only separators: was a FieldError, an HTML 500
            ("ordering=date,", "ordering"),
            # An empty value is no value of the documented type: the schema says integer or
            # a date pattern, so the server refuses it rather than ignore it.
            ("date_0=", "date_0"),
            ("date_1=", "date_1"),
            ("per_page=", "per_page"),
            ("page=", "page"),
            ("page=2147483648", "page"),  # past the schema's maximum
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


class TestListFastPath:
    """The list serializer builds rows directly for speed; DRF's generic rendering of the
    declared fields (what the OpenAPI schema documents) must give the same output."""

    def test_fast_rows_equal_the_declared_fields(self, kit, rf):
        finished = kit.start()
        kit.answer(finished, "single", choices=[0])
        play.submit(finished, now=NOW + timedelta(minutes=7))
        kit.start(kit.enrol("bo", email="", display_name=""))  # running, no answers
        request = Request(rf.get("/api/v2.5/admin/attempts/"))
        context = {"request": request, "now": NOW + timedelta(minutes=20)}
        for attempt in Attempt.objects.for_listing():
            serializer = AdminAttemptSerializer(context=context)
            fast = serializer.to_representation(attempt)
            generic = drf.ModelSerializer.to_representation(serializer, attempt)
            assert list(fast) == list(generic)  # same keys, same order
            render = JSONRenderer().render
            assert render(fast) == render(generic)  # the same JSON, byte for byte
