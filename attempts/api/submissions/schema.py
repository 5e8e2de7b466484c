"""OpenAPI pieces of the contract: the problem details body of every error response."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from attempts.api.submissions.errors import PROBLEM_CONTENT_TYPE

PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(
            help_text="What kind of problem, a relative URI such as "
            "`/api/v1/problems/attempt-limit-reached` (an identifier, not a page)."
        ),
        "title": serializers.CharField(help_text="Short summary of the kind of problem."),
        "status": serializers.IntegerField(help_text="The HTTP status."),
        "detail": serializers.CharField(help_text="What went wrong this time, for people."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="400 only: messages keyed by the field at fault, e.g. "
            '`{"answers[2].choice_ids": ["..."]}`.',
        ),
        "max_attempts": serializers.IntegerField(
            required=False, help_text="`attempt-limit-reached` only: the limit."
        ),
        "attempts_used": serializers.IntegerField(
            required=False, help_text="`attempt-limit-reached` only: the learner's attempts."
        ),
    },
)

DESCRIPTIONS = {
    400: "Invalid input (`validation-error`, `malformed-request`): `errors` names each field.",
    401: "No or an invalid token (with `WWW-Authenticate: Bearer`).",
    403: "Not allowed: not an instructor of the course, or a submission refused "
    "(`not-enrolled`, `assessment-not-open`, `attempt-limit-reached`, `time-limit-passed`).",
    404: "No such id among those the caller sees (a malformed id too), or a page past the end.",
    409: "Another attempt was started at the same moment (`conflict`): try again.",
    415: "The body is not `application/json`.",
    422: "`idempotency-key-reused`: the key was sent before with another request.",
}


def problems(*statuses: int) -> dict:
    """``responses`` entries for these statuses, each a problem details body."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(PROBLEM, description=DESCRIPTIONS[status])
        for status in statuses
    }
