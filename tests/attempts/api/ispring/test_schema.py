"""The iSpring contract's operations in the served OpenAPI schema, checked against the app by
schemathesis (WSGI, no server): no server error, and every status code, content type and
body as documented. The fuzzer asks for JSON (``Accept: application/json``), the format
whose bodies the schema can check.

The data (a course with learners in every state, a department holding one of them) and the
token are made once for the module, in a transaction rolled back after its last test. The
fuzzer calls with an admin's token as the raw ``Authorization`` value (as iSpring sends
it); half of the generated id filters are replaced by ids that exist, so filtered pages
answer rows too. The tests after it reach what the fuzzer rarely does: a real token
request, a page with a ``nextPageToken`` followed to the end, and each refusal.
"""

import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.utils import timezone

from assessments.models import Exam
from attempts.api.ispring import tokens
from attempts.models import Attempt
from lms.models import ApiClient, Course, Department, Enrollment, User
from lms.wsgi import application
from tests.attempts.api.fuzzing import CHECKS, FUZZ_SETTINGS, SCHEMA_PATH, shared_data
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    StaffFactory,
    UserFactory,
)

RESULTS_PATH = "/learners/modules/results"
TOKEN_PATH = "/api/v3/token"
TAG = "iSpring Learn API"
JSON = {"Accept": "application/json"}


api_data, _db = shared_data(lambda: build_api_data())


def build_api_data():
    """A course of two published exams (one with a pass mark) and a draft; a learner per
    state of the representative attempt, one blocked, one overdue; a department below
    another holding one learner; an admin's API client and a learner's."""
    now = timezone.now()
    admin = StaffFactory(username="ispring-admin")
    course = CourseFactory(title="iSpring <course> & co")
    exam = ExamFactory(course=course, pass_percentage=Decimal("50"))
    ExamFactory(course=course, pass_percentage=None)
    ExamFactory(course=course, status=Exam.Status.DRAFT)
    learners = []
    for name, state, passed in [
        ("none", None, None),
        ("running", Attempt.State.RUNNING, None),
        ("pending", Attempt.State.PENDING_EVALUATION, None),
        ("passed", Attempt.State.COMPLETED, True),
        ("failed", Attempt.State.COMPLETED, False),
    ]:
        learner = UserFactory(username=f"ispring-{name}")
        EnrollmentFactory(
            user=learner, course=course, enrolled_at=now - timedelta(days=3), due_at=now
        )
        learners.append(learner)
        if state is not None:
            done = state == Attempt.State.COMPLETED
            AttemptFactory(
                user=learner,
                exam=exam,
                state=state,
                passed=passed,
                counts_for_rank=done,
                started_at=now - timedelta(hours=2),
                completed_at=now - timedelta(hours=1) if done else None,
            )
    User.objects.filter(pk=learners[0].pk).update(is_active=False)
    top = Department.objects.create(name="Top", code="T")
    Department.objects.create(name="Below", parent=top).members.add(learners[3])
    client, secret = ApiClient.issue(user=admin, name="schema")
    learner_client, _ = ApiClient.issue(user=learners[1], name="mine")
    return {
        "admin": admin,
        "client": client,
        "secret": secret,
        "learner_client": learner_client,
    }


@pytest.fixture(scope="module")
def admin_token(api_data):
    return tokens.issue(api_data["client"])


schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application).include(tag=TAG)

# The array filters whose values are ids of ours, and where each id comes from.
EXISTING = {
    "userIds[]": lambda: [str(u) for u in User.objects.values_list("uuid", flat=True)],
    "courseIds[]": lambda: [str(c) for c in Course.objects.values_list("uuid", flat=True)],
    "moduleIds[]": lambda: [str(e) for e in Exam.objects.values_list("uuid", flat=True)],
    "enrollmentIds[]": lambda: [str(pk) for pk in Enrollment.objects.values_list("pk", flat=True)],
    "departmentIds[]": lambda: [str(d) for d in Department.objects.values_list("uuid", flat=True)],
}


@schema.hook
def map_query(context, query):
    """Half of the time (by a checksum of the query: the same every run), the id filters
    name objects that exist."""
    if not query or zlib.crc32(repr(sorted(query.items())).encode()) % 2:
        return query
    for name, values in EXISTING.items():
        if name in query:
            existing = values()
            query[name] = [existing[zlib.crc32(repr(query[name]).encode()) % len(existing)]]
    return query


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema(case, admin_token, keep_test_connection):
    """No 5xx; every status code, content type and body as documented."""
    case.call_and_validate(headers={"Authorization": admin_token, **JSON}, checks=CHECKS)


def test_the_operations_are_the_contracts():
    found = sorted(
        (op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())
    )
    assert found == [("GET", RESULTS_PATH), ("POST", TOKEN_PATH)]


def _call(path, method, headers=None, **kwargs):
    case = schema[path][method].Case(**kwargs)
    response = case.call(headers={**JSON, **(headers or {})})
    case.validate_response(response, checks=CHECKS)
    return response


def test_a_token_request_and_a_walk_over_every_page_conform(api_data):
    granted = _call(
        TOKEN_PATH,
        "POST",
        body={
            "client_id": api_data["client"].client_id,
            "client_secret": api_data["secret"],
            "grant_type": "client_credentials",
        },
        media_type="application/x-www-form-urlencoded",
    )
    assert granted.status_code == 200
    token = granted.json()["access_token"]
    seen, query = [], {"pageSize": 2, "userStatuses[]": ["1", "3"]}
    while True:
        page = _call(RESULTS_PATH, "GET", {"Authorization": token}, query=query)
        assert page.status_code == 200
        body = page.json()
        seen += [(row["enrollmentId"], row["moduleId"]) for row in body["results"]]
        if "nextPageToken" not in body:
            break
        query = {**query, "pageToken": body["nextPageToken"]}
    # 5 learners (one blocked) × 2 published exams, each once.
    assert len(seen) == 10 == len(set(seen))


def test_the_documented_refusals_conform(api_data, admin_token):
    wrong = _call(
        TOKEN_PATH,
        "POST",
        body={
            "client_id": api_data["client"].client_id,
            "client_secret": "wrong",
            "grant_type": "client_credentials",
        },
        media_type="application/x-www-form-urlencoded",
    )
    assert wrong.status_code == 401
    bad_grant = _call(
        TOKEN_PATH,
        "POST",
        body={"client_id": "x", "client_secret": "y", "grant_type": "password"},
        media_type="application/x-www-form-urlencoded",
    )
    assert list(bad_grant.json()) == ["grant_type"]
    assert _call(RESULTS_PATH, "GET").status_code == 401
    learner = tokens.issue(api_data["learner_client"])
    assert _call(RESULTS_PATH, "GET", {"Authorization": learner}).status_code == 403
    bad = _call(RESULTS_PATH, "GET", {"Authorization": admin_token}, query={"pageSize": 0})
    assert (bad.status_code, list(bad.json())) == (400, ["pageSize"])
