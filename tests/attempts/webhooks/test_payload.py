"""The AttemptStatus payload: every property of the seed, computed by hand on the kit's exam
(tests/attempts/conftest.py: 6 questions worth 4, negative 1, pass mark 50 %)."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from attempts import services
from attempts.models import Attempt
from attempts.webhooks import payload
from attempts.webhooks.relay import load_statuses
from tests import play
from tests.play import NOW

pytestmark = pytest.mark.django_db

SUBMIT = NOW + timedelta(minutes=30)


def played(kit):
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[0], time_spent_seconds=40)  # +4
    kit.answer(attempt, "multiple", choices=[0, 1], time_spent_seconds=30)  # partial: +2
    kit.answer(attempt, "true_false", choices=[1], time_spent_seconds=5)  # wrong: -1
    kit.answer(attempt, "numeric", number=Decimal("9.8"))  # within 0.05: +4
    kit.answer(attempt, "short", text="Paris")  # +4
    kit.answer(attempt, "essay", text="Light bends.")  # awaits marks: 0
    return play.submit(attempt, now=SUBMIT)


def test_every_property_of_a_submitted_attempt(kit, settings, django_assert_num_queries):
    settings.WEBHOOK_CLIENT_ID = "companyxyz"
    attempt = played(kit)
    # 1 attempts, 2 answers, 3 chosen choices, 4 keys, 5 lowest scores
    with django_assert_num_queries(5):
        status = load_statuses([attempt.pk])[attempt.pk]
    assert attempt.state == Attempt.State.PENDING_EVALUATION
    assert attempt.score == Decimal("13")  # 4 + 2 - 1 + 4 + 4 + 0
    course, exam, learner = kit.course, kit.exam, kit.learner
    interactions = status.pop("interactions")
    assert status == {
        "clientId": "companyxyz",
        "user": {"id": str(learner.uuid), "username": "ada"},
        "activity": {
            "id": str(course.uuid),
            "title": course.title,
            "type": "course",
            "externalId": None,  # blank external_id
        },
        "item": {
            "id": str(exam.uuid),
            "title": exam.title,
            "type": "assessment",
            "externalId": None,  # blank external_id
        },
        "attemptId": str(attempt.uuid),
        "attemptNumber": 1,
        "status": "completed",  # an essay awaits marks: neither passed nor failed yet
        "scoreScaled": 0.5417,  # 13 / 24
        "scoreRaw": 13.0,
        "scoreMinimum": -6.0,  # six questions of negative 1
        "scoreMaximum": 24.0,
        "startedDateTime": "2026-10-01T09:00:00",
        "completedDateTime": "2026-10-01T09:30:00",
        "durationSeconds": 1800.0,
        "dataSource": "online",
    }
    choices = {name: [str(c.pk) for c in kit.choices[name]] for name in kit.choices}
    want = [
        ("choice", choices["single"][0], choices["single"][0], "correct", 40),
        (
            "choice",
            "[,]".join(choices["multiple"][:2]),
            "[,]".join(choices["multiple"][:3]),
            "incorrect",  # partly correct
            30,
        ),
        ("true-false", choices["true_false"][1], choices["true_false"][0], "incorrect", 5),
        ("numeric", "9.8", "9.76[:]9.86", "correct", 0),
        ("fill-in", "Paris", "Paris", "correct", 0),
        ("long-fill-in", "Light bends.", None, "neutral", 0),
    ]
    got = [
        (
            i["questionType"],
            i["learnerResponse"],
            i["correctResponse"],
            i["result"],
            i["latencySeconds"],
        )
        for i in interactions
    ]
    assert got == want
    names = ["single", "multiple", "true_false", "numeric", "short", "essay"]
    for number, (item, name) in enumerate(zip(interactions, names, strict=True)):
        question = kit.eq[name].question
        assert item["number"] == number
        assert item["id"] == str(question.uuid)
        assert item["description"] == payload.html_excerpt(question.text_html, 250)
        assert item["weighting"] == 4.0
        assert item["timestamp"] == "2026-10-01T09:00:00"


def test_passed_and_failed_once_marked(kit):
    attempt = played(kit)
    essay = attempt.answers.get(exam_question=kit.eq["essay"])
    services.answer_evaluate(
        answer=essay, marks=Decimal("4"), evaluator=kit.instructor, now=SUBMIT + timedelta(hours=1)
    )
    status = load_statuses([attempt.pk])[attempt.pk]
    assert (status["status"], status["scoreRaw"], status["scoreScaled"]) == ("passed", 17.0, 0.7083)
    assert status["interactions"][5]["result"] == "correct"


def test_a_running_attempt_has_no_scores_and_unanswered_is_neutral(kit):
    attempt = kit.start()
    status = load_statuses([attempt.pk])[attempt.pk]
    assert status["status"] == "inProgress"
    assert [status[k] for k in ("scoreScaled", "scoreRaw", "scoreMinimum", "scoreMaximum")] == [
        None
    ] * 4
    assert (status["completedDateTime"], status["durationSeconds"]) == (None, None)


@pytest.mark.parametrize(
    ("state", "passed", "expected"),
    [
        (Attempt.State.NOT_STARTED, None, "notStarted"),
        (Attempt.State.RUNNING, None, "inProgress"),
        (Attempt.State.PENDING_EVALUATION, None, "completed"),
        (Attempt.State.COMPLETED, None, "completed"),  # no pass mark
        (Attempt.State.COMPLETED, True, "passed"),
        (Attempt.State.COMPLETED, False, "failed"),
    ],
)
def test_status_mapping(state, passed, expected):
    assert payload.status_of(SimpleNamespace(state=state, passed=passed)) == expected


def test_true_false_says_true_or_false_when_its_options_do():
    yes, no = (
        SimpleNamespace(pk=1, text_html="<p>True</p>"),
        SimpleNamespace(pk=2, text_html="False"),
    )
    question = SimpleNamespace(type="true_false")
    assert payload.responses(question, [no], [yes]) == ("false", "true")


def test_envelope_and_utc_times():
    at = NOW.astimezone(ZoneInfo("Asia/Kolkata"))
    env = payload.envelope(
        event_type="attempt.completed", message_id="msg_1", sequence=7, at=at, data={}
    )
    assert env == {
        "type": "attempt.completed",
        "id": "msg_1",
        "sequence": 7,
        "timestamp": "2026-10-01T09:00:00",
        "data": {},
    }


def test_external_ids_are_the_course_and_exam_external_ids(kit):
    kit.course.external_id = "HR-COURSE-7"
    kit.course.save(update_fields=["external_id"])
    kit.exam.external_id = "HR-EXAM-42"
    kit.exam.save(update_fields=["external_id"])
    attempt = played(kit)
    status = load_statuses([attempt.pk])[attempt.pk]
    assert status["activity"]["externalId"] == "HR-COURSE-7"
    assert status["item"]["externalId"] == "HR-EXAM-42"
    assert status["dataSource"] == "online"
