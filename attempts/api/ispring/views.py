"""iSpring Learn's ``POST /api/v3/token`` and ``GET /learners/modules/results``.

The token request trades an API client's credentials for an access token
(``attempts.api.ispring.tokens``); results requests carry it. The token acts for the
client's account, and ``lms.access`` decides what it reads: an admin's every enrolment, a
department administrator's the people of their branch, an instructor's their courses'
learners; a learner's account gets 403.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from attempts.api.ispring import filters, labels, pagination, rows, tokens
from attempts.api.ispring.negotiation import IspringContentNegotiation
from attempts.api.ispring.renderers import IspringXMLRenderer
from attempts.api.ispring.serializers import (
    IspringModuleResultPageSerializer,
    IspringTokenRequestSerializer,
    IspringTokenSerializer,
)
from attempts.api.permissions import IsReviewer
from attempts.api.schema import contract_tag, detail_error, field_errors
from lms.models import ApiClient
from lms.replica import reads_from_replica

TAG = contract_tag(
    "iSpring Learn API",
    "Compatible with iSpring Learn's `GET /learners/modules/results`. Get a token with "
    "`POST /api/v3/token` (an API client's `client_id` and secret), then send it as "
    "`Authorization: <token>` or `Authorization: Bearer <token>`. XML by default; JSON with "
    "`Accept: application/json`.",
)


TOKEN_SCHEMA = extend_schema(
    tags=[TAG],
    summary="Get an access token with client credentials",
    request={"application/x-www-form-urlencoded": IspringTokenRequestSerializer},
    responses={
        200: IspringTokenSerializer,
        400: field_errors("A missing field or a grant_type other than client_credentials."),
        401: detail_error("Unknown client, wrong secret, or a revoked or expired client."),
    },
)


class TokenView(APIView):
    """``client_id``, ``client_secret``, ``grant_type=client_credentials`` as form fields:
    ``{"access_token", "expires_in", "token_type"}``."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    renderer_classes = [JSONRenderer]

    @TOKEN_SCHEMA
    def post(self, request):
        form = IspringTokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        client = (
            ApiClient.objects.select_related("user")
            .filter(client_id=form.validated_data["client_id"])
            .first()
        )
        if client is None or not client.secret_matches(form.validated_data["client_secret"]):
            raise AuthenticationFailed("Unknown client_id, or a wrong client_secret.")
        refusal = client.refusal(timezone.now())
        if refusal:
            raise AuthenticationFailed(refusal)
        return Response(
            {
                "access_token": tokens.issue(client),
                "expires_in": tokens.EXPIRES_IN,
                "token_type": tokens.TOKEN_TYPE,
            }
        )

    def get_authenticate_header(self, request):
        return tokens.IspringTokenAuthentication().authenticate_header(request)


def _array(name: str, description: str, fmt: str = "uuid") -> OpenApiParameter:
    return OpenApiParameter(
        f"{name}[]",
        {"type": "array", "items": {"type": "string", "format": fmt}},
        description=f"{description} Repeat the parameter for several; `{name}=` works too.",
        explode=True,
    )


def _range(name: str, description: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            f"{name}[{bound}]",
            {"type": "string", "format": "date-time"},
            description=f"{description}: {word} (inclusive, ISO 8601); either bound alone.",
        )
        for bound, word in (("startDate", "from"), ("endDate", "until"))
    ]


PARAMETERS = [
    _array("userIds", "Users' ids."),
    _array("courseIds", "Courses' ids."),
    _array("moduleIds", "Modules' (exams') ids."),
    _array("courseItemIds", "Course items' ids."),
    OpenApiParameter(
        "enrollmentIds[]",
        {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{1,18}$"}},
        description="Enrolments' ids.",
        explode=True,
    ),
    _array(
        "departmentIds", "Departments' ids: their members and those of every department below them."
    ),
    *_range("accessDate", "Enrolment date"),
    *_range("dueDate", "Due date"),
    *_range("completionDate", "Completion date"),
    OpenApiParameter(
        "completionStatuses[]",
        {"type": "array", "items": {"type": "string", "enum": list(labels.COMPLETION_STATUSES)}},
        description="Completion statuses; `completionStatus=` works too.",
        explode=True,
    ),
    OpenApiParameter(
        "userStatuses[]",
        {"type": "array", "items": {"type": "string", "enum": ["1", "3"]}},
        description="1 active, 3 blocked. Default: active only.",
        explode=True,
    ),
    OpenApiParameter(
        "pageSize",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": filters.MAX_PAGE_SIZE,
            "default": filters.DEFAULT_PAGE_SIZE,
        },
        description="Rows per page.",
    ),
    OpenApiParameter("pageToken", str, description="`nextPageToken` of the previous page."),
]

DESCRIPTION = f"""One row per learner and module: every enrolment the token's account may
read (whatever its status) × each published exam of its course, started or not.

**Which attempt** stands for the learner: the completed attempt the exam's rank policy chose
(first, best or last), else the learner's latest attempt, else none (`not_started`).

**Values**: `accessDate` the enrolment date; `dueDate` and `expirationDate` the enrolment's,
when set; `completionDate` when the row is complete, passed or failed; `timeSpent` seconds
from the attempt's start to its completion (while running, to its last saved answer);
`progress` percent: 100 once submitted, while running the share of questions answered,
absent when not started; `isOverdue` 1 when the due date passed and the row is not
completed; `viewsCount` how many times the learner started or re-entered an attempt at
the exam (its `started` and `resumed` events). Elements without a value are left out.

{labels.__doc__}

**Paging**: `pageSize` rows ({filters.DEFAULT_PAGE_SIZE} by default, at most
{filters.MAX_PAGE_SIZE}); `nextPageToken`, present when more rows follow, continues with the
same filters (a signed token: altered or for other filters, a 400).

**Errors**: 400 naming the parameter; 401 without a valid token; 403 for an account that
reviews nothing.
"""


RESULTS_SCHEMA = extend_schema(
    tags=[TAG],
    operation_id="learnersModulesResults",
    summary="List learners' module results",
    description=DESCRIPTION,
    parameters=PARAMETERS,
    responses={
        (200, "application/xml"): IspringModuleResultPageSerializer,
        (200, "application/json"): IspringModuleResultPageSerializer,
        (400, "application/xml"): OpenApiResponse(OpenApiTypes.OBJECT, "A bad parameter."),
        (400, "application/json"): field_errors("Messages keyed by the parameter."),
        (401, "application/xml"): OpenApiResponse(OpenApiTypes.OBJECT, "No valid token."),
        (401, "application/json"): detail_error("No valid token."),
        (403, "application/xml"): OpenApiResponse(OpenApiTypes.OBJECT, "Reviews nothing."),
        (403, "application/json"): detail_error("Reviews nothing."),
    },
)


@reads_from_replica
class ModuleResultList(APIView):
    authentication_classes = [tokens.IspringTokenAuthentication]
    permission_classes = [IsReviewer]
    renderer_classes = [IspringXMLRenderer, JSONRenderer]
    content_negotiation_class = IspringContentNegotiation

    @RESULTS_SCHEMA
    def get(self, request):
        query = filters.parse(request.query_params)
        fingerprint = query.fingerprint()
        position = (
            pagination.decode(query.page_token, fingerprint=fingerprint)
            if query.page_token
            else None
        )
        selected = rows.after(rows.rows_for(request.user, query), position)
        page, more = rows.load_page(selected, query.page_size)
        now = timezone.now()
        body = {"results": [rows.result(row, now) for row in page]}
        if more:
            body["nextPageToken"] = pagination.encode(page[-1], fingerprint=fingerprint)
        return Response(body)
