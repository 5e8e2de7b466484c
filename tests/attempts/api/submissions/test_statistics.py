"""``GET /api/v1/assessments/<id>/statistics`` (``attempts.api.submissions.statistics``): access, parameters, and a payload equal to
the item analysis at full precision (the figures are checked on their own in
``tests/attempts/statistics``)."""

import uuid

import pytest
from django.urls import reverse

from attempts.api.tokens import VersionedSlidingToken
from attempts.statistics.item_inputs import Which, exam_item_analysis
from tests.attempts.api.submissions.conftest import asmnt, chc, qstn
from tests.attempts.statistics.test_item_inputs import SHEETS, sit
from tests.factories import CourseFactory, StaffFactory, UserFactory


@pytest.fixture
def played(kit):
    learners = [kit.learner] + [kit.enrol(f"learner{i}") for i in range(1, 5)]
    for learner, sheet in zip(learners, SHEETS[:5], strict=True):
        sit(kit, learner, sheet)
    return kit


def url(exam_or_id):
    """The path of an exam (by its ``asmnt_`` id) or of a raw id."""
    if isinstance(exam_or_id, str):
        return reverse("api:assessment-statistics", args=[exam_or_id])
    return reverse("api:assessment-statistics", args=[asmnt(exam_or_id)])


def auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {VersionedSlidingToken.for_user(user)}"}


def test_the_payload_is_the_analysis_at_full_precision(client, played):
    response = client.get(url(played.exam) + "?attempts=all", **auth(played.instructor))
    assert response.status_code == 200
    body = response.json()
    expected = exam_item_analysis(played.exam, Which.ALL).analysis

    assert (body["assessment_id"], body["attempts"], body["n"]) == (
        asmnt(played.exam),
        "all",
        5,
    )
    assert set(body["test"]) >= {
        "n", "mean", "median", "sd", "skewness", "kurtosis", "cic", "error_ratio",
        "standard_error", "min", "max", "max_score",
    }  # fmt: skip
    assert body["test"]["mean"] == expected.test.mean
    assert body["test"]["cic"] == expected.test.cic
    first = body["questions"][0]
    assert first["question_id"] == qstn(played.eq["single"])
    assert [o["choice_id"] for o in first["options"]] == [
        chc(choice) for choice in played.choices["single"]
    ]
    assert (first["slot"], first["n"], first["max_mark"]) == (1, 5, "4.00")
    assert first["facility"] == expected.questions[0].facility
    assert first["discrimination_index"] == expected.questions[0].discrimination_index
    assert [o["count"] for o in first["options"]] == [3, 1, 1, 0]
    assert "dead_distractor" in first["flags"]
    # A numeric question: no options, no random guess score (null, not 0).
    numeric = body["questions"][3]
    assert (numeric["options"], numeric["random_guess_score"]) == ([], None)


def test_default_is_the_rank_policy(client, played):
    body = client.get(url(played.exam), **auth(played.instructor)).json()
    assert body["attempts"] == played.exam.rank_policy


def test_a_bad_attempts_value_is_a_400_keyed_by_the_parameter(client, played):
    response = client.get(url(played.exam) + "?attempts=most", **auth(played.instructor))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "attempts" in response.json()["errors"]


@pytest.mark.parametrize("bad_id", ["not-an-id", "asmnt_0", str(uuid.uuid4())])
def test_an_unknown_id_is_a_404(client, played, bad_id):
    response = client.get(url(bad_id), **auth(played.instructor))
    assert response.status_code == 404


def test_another_courses_instructor_gets_404(client, played):
    other = UserFactory()
    CourseFactory(instructors=[other])
    assert client.get(url(played.exam), **auth(other)).status_code == 404


def test_an_admin_gets_any_exam(client, played):
    assert client.get(url(played.exam), **auth(StaffFactory())).status_code == 200


def test_a_learner_gets_403(client, played):
    assert client.get(url(played.exam), **auth(played.learner)).status_code == 403


def test_anonymous_gets_401(client, played):
    response = client.get(url(played.exam))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_query_budget(client, played, django_assert_num_queries):
    headers = auth(played.instructor)
    client.get(url(played.exam), **headers)  # computed and cached
    # token user; the assessment among those the caller sees; does the caller teach its
    # course; the cache stamp; the questions' uuids (their public ids)
    with django_assert_num_queries(5):
        assert client.get(url(played.exam), **headers).status_code == 200
