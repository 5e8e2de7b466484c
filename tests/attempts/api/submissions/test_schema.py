"""The submissions contract's operations in the served OpenAPI schema, checked against the
app by schemathesis (WSGI, no server): no server error, and every status code, content type
and body as documented.

The data (a course with an instructor and a learner, an open assessment of every kind of
question, a submission) and the tokens are made once for the module, in a transaction
rolled back after its last test. The fuzzer calls as an admin with a Bearer token; half of
the well-formed path ids are replaced by ids that exist, so detail operations answer 200
too. The tests after it submit as the learner, read each object back and check the
documented statuses the fuzzer reaches rarely.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import strategies as st
from werkzeug.test import Client

from assessments.models import Exam, Question
from attempts import services
from attempts.api.submissions import public_ids as ids
from attempts.models import Attempt
from lms.wsgi import application
from tests.attempts.api.fuzzing import CHECKS, FUZZ_SETTINGS, SCHEMA_PATH, shared_data
from tests.factories import (
    AnswerChoiceFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    StaffFactory,
    UserFactory,
)

TOKEN_PATH = "/api/v2.5/auth-token/"
PASSWORD = "schemathesis-pass"
TAG = "Assessments and submissions API"


api_data, _db = shared_data(lambda: build_api_data())


def build_api_data():
    """An open assessment with a question of every kind and a learner's submission."""
    now = timezone.now()
    admin = StaffFactory(username="submissions-admin", password=PASSWORD)
    instructor = UserFactory(username="submissions-teacher", password=PASSWORD)
    learner = UserFactory(username="submissions-learner", password=PASSWORD)
    course = CourseFactory(instructors=[instructor])
    EnrollmentFactory(user=learner, course=course, enrolled_at=now - timedelta(days=1))
    exam = ExamFactory(course=course, pass_percentage=Decimal("50"), duration=timedelta(hours=1))
    section = SectionFactory(exam=exam)
    kinds = [
        (Question.Type.SINGLE, {}),
        (Question.Type.MULTIPLE, {}),
        (Question.Type.TRUE_FALSE, {}),
        (Question.Type.NUMERIC, {"numeric_answer": Decimal("9.81")}),
        (Question.Type.SHORT_TEXT, {"accepted_answers": ["Paris"]}),
        (Question.Type.ESSAY, {}),
    ]
    answers = []
    for order, (kind, fields) in enumerate(kinds):
        question = QuestionFactory(type=kind, explanation_html="<p>Why</p>", **fields)
        choices = []
        if kind in (Question.Type.SINGLE, Question.Type.MULTIPLE, Question.Type.TRUE_FALSE):
            choices = [AnswerChoiceFactory(question=question, is_correct=i == 0) for i in range(2)]
        ExamQuestionFactory(
            exam=exam,
            section=section,
            question=question,
            order=order,
            negative_marks=Decimal("1"),
            partial_marks=Decimal("0.5") if kind == Question.Type.MULTIPLE else None,
        )
        answers.append(
            services.GivenAnswer(
                question=question.uuid,
                choice_ids=(choices[1].pk,) if choices else (),
                text="Because." if kind == Question.Type.ESSAY else "",
            )
        )
    submission = services.attempt_submit_answers(user=learner, exam=exam, answers=answers)
    ExamFactory(course=course, status=Exam.Status.DRAFT, title="Draft")
    return {
        "admin": admin,
        "learner": learner,
        "exam": exam,
        "submission": submission.attempt,
    }


def token_for(user) -> str:
    response = Client(application).post(
        TOKEN_PATH, json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["token"]


@pytest.fixture(scope="module")
def admin_token(api_data, keep_test_connection):
    return token_for(api_data["admin"])


@pytest.fixture(scope="module")
def learner_token(api_data, keep_test_connection):
    return token_for(api_data["learner"])


schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application).include(tag=TAG)


def existing_ids():
    exams = [ids.of_uuid(ids.ASSESSMENT, e.uuid) for e in Exam.objects.all()]
    attempts = [
        (ids.of_uuid(ids.ASSESSMENT, a.exam.uuid), ids.of_uuid(ids.SUBMISSION, a.uuid))
        for a in Attempt.objects.finished().select_related("exam")
    ]
    return exams, attempts


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the examples name objects that exist (a submission under its assessment)."""
    if not path_parameters or "assessment_id" not in path_parameters:
        return st.just(path_parameters)
    exams, attempts = existing_ids()
    if "submission_id" in path_parameters:
        real = st.sampled_from(attempts).map(
            lambda pair: {"assessment_id": pair[0], "submission_id": pair[1]}
        )
    else:
        real = st.sampled_from(exams).map(lambda pk: {**path_parameters, "assessment_id": pk})
    return st.one_of(st.just(path_parameters), real)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema(case, admin_token):
    """No 5xx; every status code, content type and body as documented."""
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)


def test_the_operations_are_the_contracts():
    found = sorted(
        (op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())
    )
    assert found == [
        ("GET", "/api/v1/assessments"),
        ("GET", "/api/v1/assessments/{assessment_id}"),
        ("GET", "/api/v1/assessments/{assessment_id}/questions"),
        ("GET", "/api/v1/assessments/{assessment_id}/statistics"),
        ("GET", "/api/v1/assessments/{assessment_id}/submissions/{submission_id}"),
        ("PATCH", "/api/v1/assessments/{assessment_id}"),
        ("POST", "/api/v1/assessments"),
        ("POST", "/api/v1/assessments/{assessment_id}/questions"),
        ("POST", "/api/v1/assessments/{assessment_id}/start"),
        ("POST", "/api/v1/assessments/{assessment_id}/submissions"),
    ]


def _call(path, method, token, **kwargs):
    case = schema[path][method].Case(**kwargs)
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=CHECKS)
    return response


def test_a_learners_submission_and_its_reading_conform(api_data, learner_token):
    exam = api_data["exam"]
    detail = _call(
        "/api/v1/assessments/{assessment_id}",
        "GET",
        learner_token,
        path_parameters={"assessment_id": ids.of_uuid(ids.ASSESSMENT, exam.uuid)},
    )
    assert detail.status_code == 200
    questions = detail.json()["questions"]
    body = {
        "answers": [
            {"question_id": q["id"], "choice_ids": [q["choices"][0]["id"]]}
            for q in questions
            if q["choices"]
        ]
    }
    path_parameters = {"assessment_id": ids.of_uuid(ids.ASSESSMENT, exam.uuid)}
    created = _call(
        "/api/v1/assessments/{assessment_id}/submissions",
        "POST",
        learner_token,
        path_parameters=path_parameters,
        body=body,
        media_type="application/json",
    )
    assert created.status_code == 201, created.text
    read = _call(
        "/api/v1/assessments/{assessment_id}/submissions/{submission_id}",
        "GET",
        learner_token,
        path_parameters={**path_parameters, "submission_id": created.json()["id"]},
    )
    assert read.json() == created.json()
    listed = _call("/api/v1/assessments", "GET", learner_token, query={"per_page": 100})
    assert [row["id"] for row in listed.json()["data"]] == [path_parameters["assessment_id"]]


def test_the_documented_refusals_conform(api_data, learner_token, admin_token):
    exam = api_data["exam"]
    path_parameters = {"assessment_id": ids.of_uuid(ids.ASSESSMENT, exam.uuid)}
    Exam.objects.filter(pk=exam.pk).update(max_attempts=1)
    limit = _call(
        "/api/v1/assessments/{assessment_id}/submissions",
        "POST",
        learner_token,
        path_parameters=path_parameters,
        body={"answers": []},
        media_type="application/json",
    )
    assert limit.status_code == 403
    assert limit.json()["attempts_used"] == 1
    reused = [
        _call(
            "/api/v1/assessments",
            "POST",
            admin_token,
            body={
                "course_id": ids.of_uuid(ids.COURSE, exam.course.uuid),
                "title": title,
                "passing_score": 50,
            },
            media_type="application/json",
            headers={"Idempotency-Key": "same"},
        ).status_code
        for title in ("First", "Second")
    ]
    assert reused == [201, 422]
    forbidden = _call(
        "/api/v1/assessments",
        "POST",
        learner_token,
        body={
            "course_id": ids.of_uuid(ids.COURSE, exam.course.uuid),
            "title": "Mine",
            "passing_score": 50,
        },
        media_type="application/json",
    )
    assert forbidden.status_code == 403


def test_every_schema_reference_resolves():
    text = str(schema.raw_schema)
    components = schema.raw_schema["components"]["schemas"]
    refs = set(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)", text))
    assert refs <= set(components), refs - set(components)
