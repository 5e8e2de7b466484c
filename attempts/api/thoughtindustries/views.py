"""``GET /incoming/v2/assessmentAttempts``: Thought Industries' list of assessment attempts.

Integrations call it with an API key (``Authorization: Bearer <api_key>``, ``lms.models.
ApiClient``); a signed-in reviewer's session works too (the API docs' "Try it out"). The key
acts for its account, and ``lms.access`` decides what it sees: an admin's key every attempt,
an instructor's key the attempts at their courses' exams; a learner's key gets 403. An
unknown, revoked or expired key is a 401 with ``WWW-Authenticate: Bearer``; over the
client's rate a 429 with ``Retry-After`` (``attempts.api.throttling``).

Opened attempts that were never started are not listed: an attempt appears once it starts,
and its creation time (``started_at``) never changes after that, which the keyset cursor
relies on.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from attempts.api.authentication import ApiKeyAuthentication
from attempts.api.permissions import IsReviewer
from attempts.api.schema import NOT_A_REVIEWER, contract_tag, detail_error, field_errors
from attempts.api.thoughtindustries import filters, pagination, rows, seed_keys
from attempts.api.thoughtindustries.serializers import (
    TiAssessmentAttemptSerializer,
    TiEnvelopeSerializer,
    attempt_data,
)
from attempts.models import Attempt
from attempts.paging import ESTIMATE_ABOVE
from lms.replica import reads_from_replica

TAG = contract_tag(
    "Thought Industries API",
    "Compatible with Thought Industries' `GET /incoming/v2/assessmentAttempts`. Send "
    "`Authorization: Bearer <api_key>`, the key of an API client (created in the admin or "
    "with `manage.py create_api_key`).",
)

DESCRIPTION = f"""Assessment attempts the key's account may review (an admin's key: all; an
instructor's key: their courses'), optionally filtered by creation time, course or user.

**Order**: by creation time (`createdAt`, when the attempt started), then by id, ascending.
Attempts opened but never started are not listed.

**Pagination**, two styles over that order:

- `page` and `perPage` ({filters.DEFAULT_PER_PAGE} by default, at most
  {filters.MAX_PER_PAGE}): offset pages, page 1 first.
- `cursor`: send `pageInfo.cursor` of the previous response (with the same filters) to get
  the attempts after its last one. A walk with cursors sees every attempt exactly once, even
  while new attempts arrive (they come after every attempt already returned). The cursor is
  signed: one that is not ours, altered, or issued for other filters is a 400.
  `pageInfo.cursor` is null on the last page (`hasMore` false).

`cursor` and `page` cannot be sent together.

**total** is counted once per walk: the first page (no cursor) counts the attempts matching
the filters, and the cursor carries that number to the next pages, which count nothing: it
is the total when the walk began. An offset page after the first reuses a count kept for
{pagination.TOTAL_CACHE_SECONDS} seconds per account and filters. It is exact up to
{ESTIMATE_ABOVE:,} attempts; above that (PostgreSQL) it is the database planner's estimate:
`hasMore`, read from the rows themselves, is what says whether a walk is over.

**Values**: `grade` and `originalGrade` are percentages (2 decimals); `originalGrade` is the
grade when the attempt was first submitted (essays awaiting marks counted 0), kept whatever
rescores or essay marks happen later; null while the attempt runs. `forgiven`: a reviewer
forgave the attempt, which then no longer counts against the exam's retake limit. `status`
is `started`, `completed` or `pendingEvaluation` (an essay awaits marks).

**Errors**: 400 with messages keyed by the parameter at fault
(`{{"perPage": ["Ensure this value is less than or equal to {filters.MAX_PER_PAGE}."]}}`);
401 with `WWW-Authenticate` for a missing, unknown, revoked or expired key; 403 for the key
of an account that reviews nothing; 429 with `Retry-After` over the client's rate.

**Keys**: every key of Thought Industries' example, and ours. Keys not provided are left out
of the response.

{seed_keys.markdown_table()}
"""

BAD_PARAMETER = field_errors(
    "A bad query parameter: messages keyed by the parameter, e.g. "
    '`{"courseId": ["Must be a valid UUID."]}` or `{"cursor": ["…"]}`.'
)


PARAMETERS = [
    OpenApiParameter(
        "cursor",
        str,
        description="Pagination cursor returned by a previous response; use to fetch the "
        "next page of results.",
    ),
    OpenApiParameter(
        "startDate",
        {"type": "string", "format": "date-time"},
        description="Attempts created at or after this ISO 8601 timestamp.",
    ),
    OpenApiParameter(
        "endDate",
        {"type": "string", "format": "date-time"},
        description="Attempts created at or before this ISO 8601 timestamp.",
    ),
    OpenApiParameter(
        "courseId", {"type": "string", "format": "uuid"}, description="A course's uuid."
    ),
    OpenApiParameter("userId", {"type": "string", "format": "uuid"}, description="A user's uuid."),
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": filters.MAX_PAGE},
        description="Page number, for offset-based pagination (1).",
    ),
    OpenApiParameter(
        "perPage",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": filters.MAX_PER_PAGE,
            "default": filters.DEFAULT_PER_PAGE,
        },
        description="Assessment attempts per page.",
    ),
]


SCHEMA = extend_schema(
    tags=[TAG],
    operation_id="assessmentAttempts",
    summary="List assessment attempts",
    description=DESCRIPTION,
    parameters=PARAMETERS,
    responses={
        200: TiEnvelopeSerializer,
        400: BAD_PARAMETER,
        401: detail_error("No key, or an unknown, revoked or expired one (`WWW-Authenticate`)."),
        403: NOT_A_REVIEWER,
        429: detail_error("Over the API client's rate: retry after `Retry-After` seconds."),
    },
)


@reads_from_replica
class AssessmentAttemptList(APIView):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [IsReviewer]
    serializer_class = TiAssessmentAttemptSerializer  # for the browsable API only

    @SCHEMA
    def get(self, request):
        params = filters.parse(request.query_params)
        attempts = Attempt.objects.reviewable_by(request.user).exclude(
            state=Attempt.State.NOT_STARTED
        )
        attempts = filters.apply(attempts, params)
        page, page_info = pagination.paginate(
            rows.listing(attempts), params, account_id=request.user.pk
        )
        rows.attach(page)
        now = timezone.now()
        # ``attempt_data`` gives the documented keys and JSON types already; the serializers
        # describe them for the schema (a test checks the two agree) and are not run here:
        # at 100 attempts of 30 questions they would cost several times the database work.
        listed = [attempt_data(attempt, now=now) for attempt in page]
        body = {"AssessmentAttempts": {"pageInfo": page_info, "assessmentAttempts": listed}}
        return Response({"data": body})
