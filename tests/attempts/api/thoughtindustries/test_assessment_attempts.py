"""``GET /incoming/v2/assessmentAttempts``: the envelope, every key provided with its value
checked by hand, the filters, both pagination modes and the query budget."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attempts import services
from attempts.api.thoughtindustries import seed_keys
from attempts.api.thoughtindustries.serializers import TiAssessmentAttemptSerializer
from attempts.models import Attempt, UserAnswer
from tests.attempts.api.thoughtindustries.conftest import key_for
from tests.factories import AttemptFactory, CourseFactory, ExamFactory
from tests.play import NOW

pytestmark = pytest.mark.django_db


def listed(response):
    assert response.status_code == 200, response.content
    return response.json()["data"]["AssessmentAttempts"]


@pytest.fixture
def marked(kit):
    """Ada's attempt: single right (+4), multiple 2 of 3 (+2 partial), true/false wrong (−1),
    numeric 9.80 (+4), short "paris" (+4), essay pending: 13 of 24 at submit (54.17 %), then
    the essay marked 3: 16 of 24 (66.67 %), passed (pass mark 50 %)."""
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[0])
    kit.answer(attempt, "multiple", choices=[0, 1])
    kit.answer(attempt, "true_false", choices=[1])
    kit.answer(attempt, "numeric", number=Decimal("9.80"))
    kit.answer(attempt, "short", text="paris")
    kit.answer(attempt, "essay", text="Light bends.")
    services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=25))
    essay = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"])
    services.answer_evaluate(
        answer=essay, evaluator=kit.instructor, marks=Decimal("3"), now=NOW + timedelta(hours=1)
    )
    return Attempt.objects.get(pk=attempt.pk)


def test_the_envelope_is_thought_industries(fetch, admin_key, marked):
    body = fetch(admin_key).json()
    assert list(body) == ["data"]
    assert list(body["data"]) == ["AssessmentAttempts"]
    page = body["data"]["AssessmentAttempts"]
    assert list(page) == ["pageInfo", "assessmentAttempts"]
    assert page["pageInfo"] == {"perPage": 100, "cursor": None, "total": 1, "hasMore": False}


def test_an_attempt_with_every_value_checked_by_hand(fetch, admin_key, kit, marked):
    (row,) = listed(fetch(admin_key))["assessmentAttempts"]
    exam, course, ada = kit.exam, kit.course, kit.learner
    assert row["id"] == str(marked.uuid)
    assert row["assessment"] == {
        "id": str(exam.uuid),
        "type": "test",
        "title": exam.title,
        "minPassingPercent": 50.0,
    }
    assert row["courseId"] == row["course"]["id"] == str(course.uuid)
    assert row["course"]["slug"] == course.slug
    assert row["course"]["status"] == "published"
    assert row["course"]["instructorEmails"] == ["teacher@example.com"]
    assert row["user"]["id"] == str(ada.uuid)
    assert row["user"]["email"] == "ada@example.com"
    assert row["user"]["name"] == "Ada"
    assert row["createdAt"] == "2026-10-01T09:00:00Z"
    assert row["updatedAt"] == "2026-10-01T10:00:00Z"  # the essay mark, the last event
    assert row["timeElapsedInSeconds"] == 25 * 60
    assert row["status"] == "completed"
    assert row["grade"] == 66.67  # 16 / 24
    assert row["originalGrade"] == 54.17  # 13 / 24, at submit, before the essay mark
    assert row["passed"] is True
    assert row["forgiven"] is False
    assert row["topicId"] == row["topic"]["id"] == str(exam.uuid)
    placed = [str(kit.eq[name].question.uuid) for name in kit.eq]
    assert row["topic"]["quizQuestions"] == placed
    # One answer and one question per question of the exam, in exam order.
    answers = {a["question"]: a for a in row["answers"]}
    assert [a["correct"] for a in row["answers"]] == [True, False, False, True, True, False]
    single = answers[kit.eq["single"].question.text_html]
    assert single["answer"] == kit.choices["single"][0].text_html
    assert single["hasDefaultGrade"] is True
    assert uuid.UUID(single["id"]).version == 5
    essay = answers[kit.eq["essay"].question.text_html]
    assert (essay["answer"], essay["hasDefaultGrade"]) == ("Light bends.", False)
    numeric = answers[kit.eq["numeric"].question.text_html]
    assert numeric["answer"] == "9.8"
    questions = {q["questionId"]: q for q in row["questions"]}
    multiple = questions[str(kit.eq["multiple"].question.uuid)]
    assert multiple["type"] == "selectBoxes"
    assert multiple["isSelectBoxes"] is True
    assert multiple["mustSelectAllCorrectChoices"] is True
    assert [c["correct"] for c in multiple["choices"]] == [True, True, True, False]
    assert multiple["selectedChoice"]["id"] == kit.choices["multiple"][0].pk
    assert multiple["gradedAsCorrect"] is False  # partly correct
    essay_q = questions[str(kit.eq["essay"].question.uuid)]
    assert essay_q["isEssay"] is True
    assert essay_q["isOpenEndedOrEssay"] is True
    assert essay_q["openEndedResponse"] == "Light bends."
    assert essay_q["selectedChoice"] is None
    assert essay_q["selectedChoiceOrNoChoiceAvailable"] is True


def _keys(node, prefix=""):
    """Dotted keys of a response object, ``[]`` for list items (as ``seed_keys`` has them)."""
    found = set()
    for key, value in node.items():
        name = f"{prefix}{key}"
        found.add(name)
        if isinstance(value, dict) and key != "selectedChoice":
            found |= _keys(value, f"{name}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict) and key != "choices":
            found |= _keys(value[0], f"{name}[].")
    return found


def test_every_key_provided_is_sent_and_none_other(fetch, admin_key, marked):
    """The keys of a response are those the mapping gives a source, and no key it says is
    not provided."""
    (row,) = listed(fetch(admin_key))["assessmentAttempts"]
    provided = {k for k, source in seed_keys.SOURCES.items() if source != seed_keys.NOT_PROVIDED}
    assert _keys(row) == provided


def test_the_documented_serializers_declare_exactly_the_keys_sent(fetch, admin_key, marked):
    """The view sends ``attempt_data``'s dicts; the serializers document them (schemathesis
    checks the types): the same keys at every level."""

    def declared(serializer, prefix=""):
        found = set()
        for name, field in serializer.fields.items():
            found.add(f"{prefix}{name}")
            child = getattr(field, "child", field)
            if hasattr(child, "fields") and name not in ("selectedChoice", "choices"):
                found |= declared(child, f"{prefix}{name}{'[].' if child is not field else '.'}")
        return found

    (row,) = listed(fetch(admin_key))["assessmentAttempts"]
    assert declared(TiAssessmentAttemptSerializer()) == _keys(row)


def test_the_schema_description_carries_the_mapping_table():
    table = seed_keys.markdown_table()
    from attempts.api.thoughtindustries.views import DESCRIPTION

    assert table in DESCRIPTION
    assert "| `assignmentSubmissionId` | not provided |" in table
    assert "| `originalGrade` |" in table


def test_original_grade_survives_a_rescore(fetch, admin_key, kit, marked):
    """A key change rescored the attempt: grade moves, originalGrade stays."""
    kit.choices["true_false"][0].is_correct = False
    kit.choices["true_false"][0].save()
    kit.choices["true_false"][1].is_correct = True
    kit.choices["true_false"][1].save()
    services.exam_rescore(exam=kit.exam)
    (row,) = listed(fetch(admin_key))["assessmentAttempts"]
    assert row["grade"] == 87.5  # 16 + 1 (no negative) + 4 = 21 of 24
    assert row["originalGrade"] == 54.17


def test_a_forgiven_attempt_says_so(fetch, admin_key, kit, marked):
    services.attempt_forgive(attempt=marked, actor=kit.instructor)
    (row,) = listed(fetch(admin_key))["assessmentAttempts"]
    assert row["forgiven"] is True


def test_a_running_attempt_is_started_without_original_grade(fetch, admin_key, kit):
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[0])
    (row,) = listed(fetch(admin_key))["assessmentAttempts"]
    assert (row["status"], row["originalGrade"], row["passed"]) == ("started", None, None)
    assert row["grade"] == 16.67  # 4 of 24 so far
    assert len(row["answers"]) == 1


def test_opened_attempts_are_not_listed(fetch, admin_key, kit):
    AttemptFactory(user=kit.learner, exam=kit.exam, state=Attempt.State.NOT_STARTED)
    assert listed(fetch(admin_key))["assessmentAttempts"] == []


# ------------------------------------------------------------------------------- filters


@pytest.fixture
def spread(kit):
    """Four finished attempts a day apart (Oct 1–4, 09:00), two learners, two courses."""
    other_course = CourseFactory()
    other_exam = ExamFactory(course=other_course)
    bob = kit.enrol("bob")
    rows = []
    for day, (user, exam) in enumerate(
        [(kit.learner, kit.exam), (bob, kit.exam), (kit.learner, other_exam), (bob, other_exam)]
    ):
        rows.append(
            AttemptFactory(
                user=user,
                exam=exam,
                state=Attempt.State.COMPLETED,
                started_at=NOW + timedelta(days=day),
                completed_at=NOW + timedelta(days=day, minutes=30),
            )
        )
    return rows


def ids(response):
    return [row["id"] for row in listed(response)["assessmentAttempts"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [0, 1, 2, 3]),
        ({"startDate": "2026-10-02T09:00:00Z"}, [1, 2, 3]),  # inclusive
        ({"endDate": "2026-10-02T09:00:00Z"}, [0, 1]),  # inclusive
        ({"startDate": "2026-10-02", "endDate": "2026-10-03T10:00:00+01:00"}, [1, 2]),
    ],
)
def test_date_filters(fetch, admin_key, spread, query, expected):
    assert ids(fetch(admin_key, **query)) == [str(spread[i].uuid) for i in expected]


def test_course_and_user_filters(fetch, admin_key, kit, spread):
    by_course = fetch(admin_key, courseId=str(kit.course.uuid))
    assert ids(by_course) == [str(spread[0].uuid), str(spread[1].uuid)]
    by_user = fetch(admin_key, userId=str(kit.learner.uuid))
    assert ids(by_user) == [str(spread[0].uuid), str(spread[2].uuid)]
    assert ids(fetch(admin_key, userId=str(uuid.uuid4()))) == []


def test_an_instructor_key_sees_their_courses_only(fetch, kit, spread):
    key = key_for(kit.instructor)
    assert ids(fetch(key)) == [str(spread[0].uuid), str(spread[1].uuid)]


# ---------------------------------------------------------------------------- pagination


def test_offset_pages(fetch, admin_key, spread):
    first = listed(fetch(admin_key, page=1, perPage=3))
    assert [r["id"] for r in first["assessmentAttempts"]] == [str(a.uuid) for a in spread[:3]]
    assert first["pageInfo"]["total"] == 4
    assert first["pageInfo"]["hasMore"] is True
    second = listed(fetch(admin_key, page=2, perPage=3))
    assert [r["id"] for r in second["assessmentAttempts"]] == [str(spread[3].uuid)]
    assert second["pageInfo"] == {"perPage": 3, "cursor": None, "total": 4, "hasMore": False}
    assert listed(fetch(admin_key, page=3, perPage=3))["assessmentAttempts"] == []


def test_a_cursor_walk_sees_each_attempt_once_while_the_table_grows(fetch, admin_key, kit, spread):
    """Two new attempts arrive after each page: the walk sees every row, old and new, once,
    in order; total stays what it was when the walk began."""
    seen, arrived, cursor = [], [], None
    for step in range(20):
        query = {"perPage": 2, **({"cursor": cursor} if cursor else {})}
        page = listed(fetch(admin_key, **query))
        assert page["pageInfo"]["total"] == 4
        seen += [row["id"] for row in page["assessmentAttempts"]]
        if step < 2:
            arrived += [
                AttemptFactory(
                    user=kit.learner,
                    exam=kit.exam,
                    attempt_number=10 + 2 * step + n,
                    state=Attempt.State.COMPLETED,
                    started_at=NOW + timedelta(days=10 + step, minutes=n),
                )
                for n in range(2)
            ]
        cursor = page["pageInfo"]["cursor"]
        if not page["pageInfo"]["hasMore"]:
            assert cursor is None
            break
    assert seen == [str(a.uuid) for a in spread + arrived]


def test_cursor_pages_count_nothing(fetch, admin_key, spread):
    """Only the walk's first page runs a COUNT."""
    with CaptureQueriesContext(connection) as first:
        cursor = listed(fetch(admin_key, perPage=1))["pageInfo"]["cursor"]
    with CaptureQueriesContext(connection) as then:
        listed(fetch(admin_key, perPage=1, cursor=cursor))
    assert sum("COUNT(" in q["sql"] for q in first.captured_queries) == 1
    assert not [q["sql"] for q in then.captured_queries if "COUNT(" in q["sql"]]


# -------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"courseId": "not-a-uuid"}, ["courseId"]),
        ({"userId": "42"}, ["userId"]),
        ({"startDate": "yesterday"}, ["startDate"]),
        ({"endDate": "2026-13-01"}, ["endDate"]),
        ({"startDate": "0001-01-01T00:00:00+10:00"}, ["startDate"]),  # before year 1 in UTC
        ({"perPage": "501"}, ["perPage"]),
        ({"perPage": "0"}, ["perPage"]),
        ({"perPage": ""}, ["perPage"]),
        ({"page": "0"}, ["page"]),
        ({"page": "x"}, ["page"]),
        ({"cursor": "not-ours"}, ["cursor"]),
        ({"cursor": "abc", "page": "2"}, ["cursor", "page"]),
    ],
)
def test_bad_parameters_are_a_400_naming_them(fetch, admin_key, query, names):
    response = fetch(admin_key, **query)
    assert response.status_code == 400, response.content
    assert sorted(response.json()) == names


def test_a_tampered_cursor_is_a_400(fetch, admin_key, spread):
    cursor = listed(fetch(admin_key, perPage=1))["pageInfo"]["cursor"]
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    response = fetch(admin_key, perPage=1, cursor=tampered)
    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_a_cursor_of_other_filters_is_a_400(fetch, admin_key, kit, spread):
    cursor = listed(fetch(admin_key, perPage=1))["pageInfo"]["cursor"]
    response = fetch(admin_key, perPage=1, cursor=cursor, courseId=str(kit.course.uuid))
    assert response.status_code == 400
    assert "other filters" in response.json()["cursor"][0]


# ------------------------------------------------------------------------- query budget


def _attempts(kit, n):
    """``n`` finished attempts of the kit's exam, each with its 6 answers (choices chosen)."""
    learners = [kit.enrol(f"budget{i}") for i in range(n)]
    for i, learner in enumerate(learners):
        attempt = kit.start(learner, now=NOW + timedelta(seconds=i))
        kit.answer(attempt, "multiple", choices=[0, 1])
        kit.answer(attempt, "essay", text="Text")
        services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=5))


@pytest.mark.parametrize("n", [1, 100])
def test_a_page_costs_the_same_queries_at_1_and_100_rows(
    fetch, admin_key, kit, n, django_assert_num_queries
):
    _attempts(kit, n)
    with django_assert_num_queries(9):
        # API client and its user; its last_used_at (first use); count (first page); the page
        # (attempts, learner, exam, course, last event); the exams' questions with their bank
        # questions; those questions' choices; the selected choices (id pairs); the answers;
        # the courses' instructors.
        page = listed(fetch(admin_key, perPage=100))
    assert len(page["assessmentAttempts"]) == n
    assert all(len(row["answers"]) == 6 for row in page["assessmentAttempts"])
