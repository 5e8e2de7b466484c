"""Every error of this contract as RFC 9457 problem details (``application/problem+json``).

``{"type", "title", "status", "detail"}``, plus ``errors`` (messages keyed by the field at
fault, e.g. ``{"answers[2].choice_ids": ["..."]}``) for a 400, and ``max_attempts`` and
``attempts_used`` when the retake limit refuses a submission. ``type`` is a relative URI
naming the kind of problem (``/api/v1/problems/attempt-limit-reached``): clients branch on
it; it is an identifier, not a page.

The shared handler (``attempts.api.errors``) decides the status (with ``ERROR_STATUSES`` for
domain refusals, DRF's for its own errors); this one only reshapes the body, for the views
of this contract alone (``SubmissionsView.get_exception_handler``).
"""

from http import HTTPStatus

from rest_framework import exceptions

from attempts.api.errors import exception_handler as shared_exception_handler
from attempts.errors import (
    AttemptError,
    AttemptLimitError,
    ConflictError,
    DeadlinePassedError,
    ExamNotOpenError,
    InvalidAnswerError,
    NotAllowedError,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "/api/v1/problems/"

ERROR_STATUSES = {
    AttemptError: 400,
    InvalidAnswerError: 400,
    # Refusals of a submission: who may submit, and when (the seed's retake limit is a 403).
    NotAllowedError: 403,
    ExamNotOpenError: 403,
    AttemptLimitError: 403,
    DeadlinePassedError: 403,
    # Another request changed the state meanwhile: try again.
    ConflictError: 409,
}


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_detail = (
        "This Idempotency-Key was used with another request: send a new key for a new request."
    )
    default_code = "idempotency_key_reused"


# The kind of each problem, most specific class first; else one per status.
PROBLEM_TYPES = [
    (AttemptLimitError, "attempt-limit-reached", "Attempt limit reached"),
    (DeadlinePassedError, "time-limit-passed", "Time limit passed"),
    (ExamNotOpenError, "assessment-not-open", "Assessment not open"),
    (NotAllowedError, "not-enrolled", "Not actively enrolled"),
    (InvalidAnswerError, "validation-error", "Invalid request"),
    (exceptions.ValidationError, "validation-error", "Invalid request"),
    (exceptions.ParseError, "malformed-request", "Malformed request"),
    (IdempotencyKeyReused, "idempotency-key-reused", "Idempotency-Key reused"),
    (ConflictError, "conflict", "Conflict"),
]


def _type_and_title(exc, status: int) -> tuple[str, str]:
    for kind, slug, title in PROBLEM_TYPES:
        if isinstance(exc, kind):
            return PROBLEM_BASE + slug, title
    phrase = HTTPStatus(status).phrase
    return PROBLEM_BASE + phrase.lower().replace(" ", "-").replace("'", ""), phrase


def _field_errors(data) -> dict[str, list[str]]:
    """DRF's nested error data flattened to ``{"answers[0].question_id": ["..."]}``."""
    flat: dict[str, list[str]] = {}

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                # DRF keys a list's errors by index: "answers": {0: {...}}.
                if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                    walk(value, f"{path}[{key}]")
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list) and node and all(isinstance(n, str) for n in node):
            flat.setdefault(path or "detail", []).extend(str(n) for n in node)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if value:
                    walk(value, f"{path}[{index}]")
        else:
            flat.setdefault(path or "detail", []).append(str(node))

    walk(data, "")
    return flat


def problem(exc, status: int, data) -> dict:
    kind, title = _type_and_title(exc, status)
    body = {"type": kind, "title": title, "status": status}
    if isinstance(exc, AttemptError):
        body["detail"] = exc.message
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        if isinstance(exc, AttemptLimitError):
            if exc.limit is not None:
                body["max_attempts"] = exc.limit
            if exc.used is not None:
                body["attempts_used"] = exc.used
    elif isinstance(data, dict) and set(data) == {"detail"}:
        body["detail"] = str(data["detail"])
    else:
        body["detail"] = "Some fields are not valid: see `errors`."
        body["errors"] = _field_errors(data)
    return body


def exception_handler(exc, context):
    response = shared_exception_handler(exc, context)
    if response is None:
        return None
    response.data = problem(exc, response.status_code, response.data)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
