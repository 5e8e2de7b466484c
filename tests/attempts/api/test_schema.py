"""The served OpenAPI schema, checked against the app by schemathesis (WSGI, no server).

Every operation of ``/api/schema/`` is fuzzed with a real JWT of a staff user (from
``POST /api/v2.5/auth-token/``), or the staff user's API key on the operations that take only
keys (Thought Industries' ``/incoming/``): no server error, and the status code, content type and body
of each response as the schema documents them.

The data (a course with an instructor, an exam of two sections, attempts in every state made
through ``attempts.services``) and the token are made once for the module, in a transaction
rolled back after its last test; each test runs in a savepoint of it, and its examples only
read the data (the token endpoints write nothing: ``UPDATE_LAST_LOGIN`` is off).
Generated ids are mixed with ids that exist, so detail operations answer 200 too.

The fuzzer cannot reach everything: the schema does not constrain the list filters (``page``
is any integer, ``date_0`` any string), so most generated list queries get a 400. The small
tests after the fuzzing call each detail operation with every existing id, the list
operation with every valid value of each filter, the date filters with the ends of the
calendar, and the token operations with a real login. The last ones check that each
contract has its own tag and that the global API settings name no contract.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    status_code_conformance,
)
from werkzeug.test import Client

from assessments.models import Exam, Question
from attempts import services
from attempts.api.thoughtindustries import filters as ti_filters
from attempts.api.thoughtindustries import pagination as ti_pagination
from attempts.models import Attempt, UserAnswer
from lms.models import ApiClient, Course, User
from lms.wsgi import application
from tests import play
from tests.attempts.api.fuzzing import CHECKS, FUZZ_SETTINGS, SCHEMA_PATH, shared_data
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
    UserFactory,
)

TOKEN_PATH = "/api/v2.5/auth-token/"
PASSWORD = "schemathesis-staff-pass"


def _choice_question(exam, section, kind, correct, *, order, n=4, **question):
    q = QuestionFactory(type=kind, **question)
    choices = [AnswerChoiceFactory(question=q, is_correct=i in correct, order=i) for i in range(n)]
    eq = ExamQuestionFactory(
        exam=exam,
        section=section,
        question=q,
        order=order,
        marks=Decimal("4"),
        negative_marks=Decimal("1"),
        partial_marks=Decimal("1") if kind == Question.Type.MULTIPLE else None,
    )
    return eq, choices


api_data, _db = shared_data(lambda: build_api_data())


def build_api_data():
    """A course with an instructor; an exam of two sections (single, multiple, numeric, essay;
    subjects and difficulties, one unlabelled); attempts made through the services: running
    with an answer, running just started, completed with answers, pending evaluation,
    completed after evaluation; and one not started (no service leaves one in that state).

    The completed attempt's learner has no email, name or phone, as Django allows."""
    now = timezone.now()
    staff = StaffFactory(username="schema-admin", password=PASSWORD)
    instructor = UserFactory(username="schema-teacher")
    course = CourseFactory(instructors=[instructor])
    exam = ExamFactory(
        course=course,
        pass_percentage=Decimal("50"),
        duration=timedelta(minutes=60),
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=30),
    )
    algebra = SubjectFactory(name="Algebra", parent=SubjectFactory(name="Maths"))
    one, two = SectionFactory(exam=exam, order=0), SectionFactory(exam=exam, order=1)
    single, single_choices = _choice_question(
        exam, one, Question.Type.SINGLE, {0}, order=0, subject=algebra
    )
    multiple, multiple_choices = _choice_question(
        exam, one, Question.Type.MULTIPLE, {0, 1, 2}, order=1, difficulty=None
    )
    numeric = ExamQuestionFactory(
        exam=exam,
        section=two,
        order=2,
        marks=Decimal("4"),
        question=QuestionFactory(
            type=Question.Type.NUMERIC,
            numeric_answer=Decimal("9.81"),
            numeric_tolerance=Decimal("0.05"),
            difficulty=Question.Difficulty.HARD,
        ),
    )
    essay = ExamQuestionFactory(
        exam=exam,
        section=two,
        order=3,
        marks=Decimal("4"),
        question=QuestionFactory(type=Question.Type.ESSAY, difficulty=Question.Difficulty.EASY),
    )
    learners = [UserFactory(username=f"schema-learner{n}", phone="+911234567890") for n in range(6)]
    User.objects.filter(pk=learners[1].pk).update(email="", display_name="", phone="")
    for learner in learners:
        EnrollmentFactory(user=learner, course=course, enrolled_at=now - timedelta(days=2))

    started = now - timedelta(minutes=10)
    running = play.start(exam, learners[0], now=started)
    play.answer(running, single, now=started, choices=[single_choices[1]], time_spent_seconds=30)

    just_started = play.start(exam, learners[5], now=now - timedelta(minutes=1))

    started = now - timedelta(hours=3)
    completed = play.start(exam, learners[1], now=started)
    play.answer(completed, single, now=started, choices=[single_choices[0]], time_spent_seconds=40)
    play.answer(
        completed,
        multiple,
        now=started,
        choices=[multiple_choices[0], multiple_choices[1]],
        flagged=True,
        guessed=True,
    )
    play.answer(completed, numeric, now=started, number=Decimal("3.14"))
    play.submit(completed, now=started + timedelta(minutes=25))

    started = now - timedelta(hours=2)
    pending = play.start(exam, learners[2], now=started)
    play.answer(pending, single, now=started, choices=[single_choices[0]])
    play.answer(pending, essay, now=started, text="Because gravity.")
    play.submit(pending, now=started + timedelta(minutes=40))

    started = now - timedelta(hours=1, minutes=30)
    evaluated = play.start(exam, learners[3], now=started)
    play.answer(evaluated, essay, now=started, text="An answer.")
    play.answer(evaluated, numeric, now=started, number=Decimal("9.80"))
    play.submit(evaluated, now=started + timedelta(minutes=50))
    services.answer_evaluate(
        answer=UserAnswer.objects.get(attempt=evaluated, exam_question=essay),
        evaluator=instructor,
        marks=Decimal("3"),
        comment="Good",
        now=now,
    )

    not_started = AttemptFactory(user=learners[4], exam=exam, state=Attempt.State.NOT_STARTED)

    attempts = [running, just_started, completed, pending, evaluated, not_started]
    states = {a.state for a in Attempt.objects.filter(pk__in=[a.pk for a in attempts])}
    assert states == set(Attempt.State.values)
    client, secret = ApiClient.issue(user=staff, name="schemathesis")
    return {"staff": staff, "attempts": attempts, "api_key": client.api_key(secret)}


EXISTING = {"/attempts/": Attempt, "/exams/": Exam, "/users/": User}


def existing_ids(path):
    """The ids in the database of the model that the ``{id}`` of ``path`` names."""
    for fragment, model in EXISTING.items():
        if fragment in path:
            return sorted(model.objects.values_list("pk", flat=True))
    raise AssertionError(f"Which model does the id of {path} name? Add it to EXISTING.")


@pytest.fixture(scope="module")
def staff_token(api_data, keep_test_connection):
    """A real token: the staff user logs in through the token endpoint of the app."""
    response = Client(application).post(
        TOKEN_PATH, json={"username": api_data["staff"].username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["token"]


# Loaded when the module is collected: serving the schema needs no database. (A lazy
# `schemathesis.pytest.from_fixture` schema fails on pytest 9.2: it sets `Node._nodeid`.)
# Testpress's and Thought Industries' operations: the submissions contract has its own data,
# token header and checks (tests/attempts/api/submissions/test_schema.py).
TESTPRESS_TAG = "Testpress admin API"
THOUGHT_INDUSTRIES_TAG = "Thought Industries API"
schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application).include(
    tag=[TESTPRESS_TAG, THOUGHT_INDUSTRIES_TAG]
)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the well-formed ids are replaced by ids that exist, so that detail operations
    answer 200 too and their bodies are validated; malformed ids are left as generated."""
    value = (path_parameters or {}).get("id")
    if not isinstance(value, int) or isinstance(value, bool):
        return st.just(path_parameters)
    ids = existing_ids(context.operation.path)
    if not ids:
        return st.just(path_parameters)
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from(ids).map(lambda pk: {**path_parameters, "id": pk}),
    )


def operations():
    return [result.ok() for result in schema.get_all_operations()]


# Operations whose clients authenticate with an API key only (their paths start so).
KEY_ONLY_PATHS = ("/incoming/",)


@pytest.fixture(scope="module")
def auth(api_data, staff_token):
    """``auth(path)``: the staff user's credentials as the operation at ``path`` takes them."""

    def headers(path):
        if path.startswith(KEY_ONLY_PATHS):
            return {"Authorization": f"Bearer {api_data['api_key']}"}
        return {"Authorization": f"JWT {staff_token}"}

    return headers


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema(case, auth):
    """No 5xx; every status code, content type and body as documented."""
    case.call_and_validate(headers=auth(case.operation.path), checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_has_no_server_error_and_documented_bodies(case, auth):
    """The same without the status code check: an undocumented 400/401/404 ends the search
    of the test above at its first example, and must hide no 5xx and no body that
    contradicts its documented schema."""
    case.call_and_validate(
        headers=auth(case.operation.path),
        checks=[check for check in CHECKS if check is not status_code_conformance],
    )


def test_the_fuzzing_generates_valid_and_invalid_requests():
    """Both of schemathesis's modes run over every operation above: positive (requests the
    schema allows: none may be refused or fail) and negative (requests it forbids: each must
    be a documented 4xx, never a 5xx)."""
    assert set(schema.config.generation.modes) == {
        GenerationMode.POSITIVE,
        GenerationMode.NEGATIVE,
    }


def test_every_schema_reference_resolves():
    """A ``$ref`` to a missing component makes schemathesis skip the response validation of
    every operation that uses it, silently: the fuzzing above would prove nothing there."""
    components = schema.raw_schema.get("components", {})

    def refs(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    yield value, where
                else:
                    yield from refs(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from refs(item, f"{where}/{i}")

    def resolves(ref):
        if not ref.startswith("#/components/"):
            return False
        node = components
        for part in ref.removeprefix("#/components/").split("/"):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    dangling = sorted(
        {f"{ref} (at {where})" for ref, where in refs(schema.raw_schema, "#") if not resolves(ref)}
    )
    assert not dangling, "Unresolvable $ref:\n" + "\n".join(dangling)


def _failures(case, expected_status, **kwargs):
    """Call and validate: ``(input, problem)`` pairs, to report them all rather than raise."""
    sent = case.path_parameters or case.query or case.body
    try:
        response = case.call_and_validate(checks=CHECKS, **kwargs)
    except FailureGroup as group:
        problems = []
        for failure in group.exceptions:
            lines = [line.strip() for line in failure.message.splitlines() if line.strip()]
            where = [line for line in lines if line.startswith("Schema at ")]
            detail = "; ".join(lines[:1] + where[:1])
            problems.append((sent, f"{failure.code} {failure.title}: {detail}"))
        return problems
    if response.status_code != expected_status:
        return [(sent, f"{response.status_code} {response.text[:300]}")]
    return []


def _report(failures):
    """One line per distinct problem, with how many inputs showed it and the first of them."""
    seen = {}
    for label, sent, problem in failures:
        seen.setdefault((label, problem), []).append(sent)
    return "\n".join(
        f"{label}: {problem} [{len(inputs)} input(s), e.g. {inputs[0]}]"
        for (label, problem), inputs in seen.items()
    )


def test_detail_operations_answer_200_for_existing_ids(staff_token):
    """Every operation with an ``{id}`` answers 200 with a conforming body for each id in the
    database (the fuzzer is likely, not certain, to hit one)."""
    headers = {"Authorization": f"JWT {staff_token}"}
    detail = [op for op in operations() if "{id}" in op.path]
    assert len(detail) >= 4, [op.label for op in detail]
    failures = [
        (operation.label, *failure)
        for operation in detail
        for pk in existing_ids(operation.path)
        for failure in _failures(operation.Case(path_parameters={"id": pk}), 200, headers=headers)
    ]
    assert not failures, _report(failures)


# Valid values of the list filters that the schema does not constrain enough to generate.
QUERY_VALUES = {
    "users": lambda: [list(User.objects.values_list("pk", flat=True))],
    "exams": lambda: [list(Exam.objects.values_list("pk", flat=True))],
    "date_0": lambda: [timezone.now().date().isoformat(), "2000-01-01T00:00:00Z"],
    "date_1": lambda: [timezone.now().date().isoformat(), "2100-01-01T00:00:00+05:30"],
    "page": lambda: [1],
    "per_page": lambda: [1, 1000],
    "after": lambda: ["not-a-key"],  # ignored: the page is read by offset
    # Thought Industries' parameters.
    "cursor": lambda: [first_cursor()],
    "startDate": lambda: ["2000-01-01T00:00:00Z", timezone.now().date().isoformat()],
    "endDate": lambda: ["2100-01-01T00:00:00+05:30", timezone.now().isoformat()],
    "courseId": lambda: [str(pk) for pk in Course.objects.values_list("uuid", flat=True)],
    "userId": lambda: [str(pk) for pk in User.objects.values_list("uuid", flat=True)],
    "perPage": lambda: [1, ti_filters.MAX_PER_PAGE],
}


def first_cursor():
    """A cursor after the first listed attempt, as a first page without filters issues it."""
    first = Attempt.objects.exclude(state=Attempt.State.NOT_STARTED).order_by(*ti_pagination.ORDER)
    return ti_pagination.encode_cursor(
        last=first.first(), total=5, fingerprint=ti_filters.fingerprint({})
    )


def test_list_operations_answer_200_for_each_valid_filter(auth):
    """Random query strings mostly get a 400 (``page=0``, ``date_0=xyz``): every valid value
    of each query parameter of the list operations, alone, must answer 200 and conform."""
    lists = [op for op in operations() if op.method.upper() == "GET" and "{" not in op.path]
    assert lists, "no list operation in the schema"
    failures = []
    for operation in lists:
        parameters = schema.raw_schema["paths"][operation.path]["get"].get("parameters", [])
        for parameter in (p for p in parameters if p["in"] == "query"):
            name, spec = parameter["name"], parameter["schema"]
            if "enum" in spec:
                values = spec["enum"]
            elif "enum" in spec.get("items", {}):
                values = [[value] for value in spec["items"]["enum"]] + [spec["items"]["enum"]]
            elif name in QUERY_VALUES:
                values = QUERY_VALUES[name]()
            else:
                raise AssertionError(
                    f"{operation.label}: add valid values of {name} to QUERY_VALUES"
                )
            for value in values:
                case = operation.Case(query={name: value})
                headers = auth(operation.path)
                failures += [
                    (operation.label, *failure) for failure in _failures(case, 200, headers=headers)
                ]
    assert not failures, _report(failures)


def test_paging_parameters_document_the_limits_the_server_enforces():
    """``page`` and ``per_page`` of every operation carry the bounds outside which the
    paginator answers 400, so that the fuzzer's "valid" values are valid."""
    found = []
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            if operation["tags"] not in ([TESTPRESS_TAG], [THOUGHT_INDUSTRIES_TAG]):
                continue
            for parameter in operation.get("parameters", []):
                if parameter["name"] in ("page", "per_page"):
                    spec = parameter["schema"]
                    found.append((method, path, parameter["name"]))
                    assert spec["type"] == "integer", (path, parameter)
                    assert spec["minimum"] == 1, (path, parameter)
                    assert spec["maximum"] == (
                        2**31 - 1 if parameter["name"] == "page" else 1000
                    ), (path, parameter)
    # The attempt list and the user answers, two each; Thought Industries' page (its page
    # size is perPage, with its own maximum).
    assert len(found) == 5, found


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v2.5/admin/attempts/", {"date_0": ""}),
        ("/api/v2.5/admin/attempts/", {"date_1": ""}),
        ("/api/v2.5/admin/attempts/", {"per_page": ""}),
        ("/api/v2.5/admin/attempts/", {"page": ""}),
        ("/api/v2.5/admin/attempts/", {"page": 2**31}),
    ],
)
def test_values_outside_the_schema_are_a_documented_400(staff_token, path, query):
    """What schemathesis found accepted although the schema excludes it: an empty value of
    a typed parameter, a page past the documented maximum."""
    case = schema[path]["GET"].Case(query=query)
    response = case.call(headers={"Authorization": f"JWT {staff_token}"})
    assert response.status_code == 400, response.text[:300]
    case.validate_response(response, checks=CHECKS)


# Days and instants at the ends of the calendar, each valid ISO 8601 that the date filters
# accept; in UTC (how the database gets them) the last two fall outside years 1 to 9999.
CALENDAR_ENDS = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "0001-01-01T00:00:00+10:00",
    "9999-12-31T23:59:59-14:00",
]


@pytest.mark.parametrize("value", CALENDAR_ENDS)
@pytest.mark.parametrize("name", ["date_0", "date_1"])
def test_date_filters_at_the_ends_of_the_calendar_are_no_server_error(staff_token, name, value):
    """The fuzzer rarely makes a valid date of a plain string parameter: try the extremes."""
    case = schema["/api/v2.5/admin/attempts/"]["GET"].Case(query={name: value})
    response = case.call(headers={"Authorization": f"JWT {staff_token}"})
    assert response.status_code in (200, 400), response.text[:300]


def test_token_endpoints_answer_200_for_a_real_login(api_data, keep_test_connection):
    """The token operations with valid input: a login, then a refresh and a verify."""
    body = {"username": api_data["staff"].username, "password": PASSWORD}
    case = schema[TOKEN_PATH]["POST"].Case(body=body, media_type="application/json")
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    for path in (f"{TOKEN_PATH}refresh/", f"{TOKEN_PATH}verify/"):
        case = schema[path]["POST"].Case(body={"token": token}, media_type="application/json")
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == 200, (path, response.text)


def test_a_wrong_password_is_a_documented_401(api_data, keep_test_connection):
    body = {"username": api_data["staff"].username, "password": "not-the-password"}
    case = schema[TOKEN_PATH]["POST"].Case(body=body, media_type="application/json")
    response = case.call()
    assert response.status_code == 401, response.text
    case.validate_response(response, checks=CHECKS)


# ------------------------------------------------------------------ one tag per contract

# The contracts the schema documents: their tag, and a path each of their operations has.
CONTRACTS = {
    # Declared first: its urls come before /api/'s catch-all (lms.urls).
    "iSpring Learn API": ("/api/v3/token", "/learners/"),
    "Testpress admin API": ("/api/v2.5/", "/api/v3/"),
    "Assessments and submissions API": ("/api/v1/",),
    "Thought Industries API": ("/incoming/v2/",),
}


def test_each_contract_has_one_tag_with_its_description():
    """Every operation carries exactly one tag, its contract's; the schema lists each
    contract's tag once, with the description the docs show above its operations."""
    tags = {tag["name"]: tag.get("description", "") for tag in schema.raw_schema["tags"]}
    assert list(tags) == list(CONTRACTS)
    testpress = tags["Testpress admin API"]
    assert "compatible with Testpress" in testpress
    assert "`Authorization: JWT <token>`" in testpress
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            (tag,) = operation["tags"]
            assert path.startswith(CONTRACTS[tag]), (method, path, tag)


def test_the_testpress_security_scheme_documents_both_prefixes():
    scheme = schema.raw_schema["components"]["securitySchemes"]["testpressJWT"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`JWT <token>` or `Bearer <token>`, the token from "
        "`POST /api/v2.5/auth-token/`.",
    }


# Words and values that are Testpress's: its name, its paths, its header prefix, its paging.
TESTPRESS_MARKERS = ["testpress", "/v2.5/", "/v3/", "jwt <token>", "'jwt'", "per_page"]


def test_global_api_settings_carry_no_testpress_value(settings):
    """REST_FRAMEWORK, SIMPLE_JWT and SPECTACULAR_SETTINGS are the product's: the Testpress
    package sets its authentication, paging, decimals, error statuses and tag itself."""
    for name in ("REST_FRAMEWORK", "SIMPLE_JWT", "SPECTACULAR_SETTINGS"):
        text = repr(getattr(settings, name)).lower()
        found = [marker for marker in TESTPRESS_MARKERS if marker in text]
        assert not found, f"{name} mentions {found}"
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "attempts.api.authentication.VersionedJWTAuthentication",  # simplejwt + revocation
        "rest_framework.authentication.SessionAuthentication",
    ]
    assert "COERCE_DECIMAL_TO_STRING" not in settings.REST_FRAMEWORK
    assert "DEFAULT_PAGINATION_CLASS" not in settings.REST_FRAMEWORK
    assert settings.SIMPLE_JWT["AUTH_HEADER_TYPES"] == ("Bearer",)
    assert "TAGS" not in settings.SPECTACULAR_SETTINGS
