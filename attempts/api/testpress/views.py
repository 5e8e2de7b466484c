"""Views of Testpress's admin attempts API.

Admins and instructors call it (``IsReviewer``: ``lms.access.is_reviewer``); each sees what
``reviewable_by`` gives them: admins every attempt, exam and user, instructors those of the
courses they teach (another id is a 404). Learners get 403; anonymous requests 401 with
``WWW-Authenticate: JWT realm="api"``. Requests authenticate with Testpress's header
(``authentication``: ``JWT <token>`` or ``Bearer <token>``) or a session; a domain refusal
takes Testpress's status (``errors``). The token endpoints are open to everyone.

The view classes carry no docstring on purpose: DRF shows a view's docstring in its OPTIONS
answer and its browsable page, which stay as they were; ``extend_schema`` documents them.
"""

from django.db.models import prefetch_related_objects
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework_simplejwt import views as jwt_views

from assessments.models import Exam
from attempts.api import tokens
from attempts.api.permissions import IsReviewer, ReviewerObjectMixin
from attempts.api.schema import (
    NOT_A_REVIEWER,
    UNAUTHORIZED,
    contract_tag,
    detail_error,
    field_errors,
)
from attempts.api.testpress.authentication import (
    AUTHENTICATION_CLASSES,
    TestpressJWTAuthentication,
)
from attempts.api.testpress.errors import ERROR_STATUSES
from attempts.api.testpress.filters import AdminAttemptFilter
from attempts.api.testpress.pagination import TestpressPagination, UserAnswersPagination
from attempts.api.testpress.serializers import (
    AdminAttemptDetailSerializer,
    AdminAttemptSerializer,
    AdminExamSerializer,
    AdminUserSerializer,
    UserAnswersPageSerializer,
)
from attempts.models import Attempt, UserAnswer
from attempts.paging import DEFERRED_JOIN_FROM, ESTIMATE_ABOVE
from attempts.statistics.attempt import attempt_statistics
from lms.models import User

TAG = contract_tag(
    "Testpress admin API",
    "Admin attempts API, compatible with Testpress's `/api/v2.5/admin/attempts/` and "
    "`/api/v3/admin/attempts/<id>/user_answers/`. Authenticate with "
    "`POST /api/v2.5/auth-token/` and send `Authorization: JWT <token>` (or `Bearer`).",
)
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Attempt id.")

FIELD_ERRORS = field_errors(
    "A bad query parameter: messages keyed by the parameter, e.g. "
    '`{"date_0": ["Enter a valid date."]}` or `{"page": ["…"]}`.'
)
NOT_FOUND = detail_error(
    "No such id among the attempts the caller may see (or a page past the end)."
)
LIST_ERRORS = {400: FIELD_ERRORS, 401: UNAUTHORIZED, 403: NOT_A_REVIEWER, 404: NOT_FOUND}
DETAIL_ERRORS = {401: UNAUTHORIZED, 403: NOT_A_REVIEWER, 404: NOT_FOUND}


# What every admin endpoint shares, mixed in before DRF's view. (A comment, not a docstring:
# drf-spectacular would document the views that have none with it.)
class TestpressAdminView:
    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [IsReviewer]
    error_statuses = ERROR_STATUSES


@extend_schema(
    tags=[TAG],
    summary="List attempts",
    description=(
        "Attempts visible to the caller (all for admins, their courses' for instructors), "
        "newest first unless `ordering` says otherwise. `result` is Pass / Fail once "
        "completed, NA when the exam has no pass mark, Not taken otherwise. `score` is a "
        "string with 2 decimals; `percentage` and `speed` are numbers; durations are H:MM:SS. "
        f"`count` is exact up to {ESTIMATE_ABOVE:,} attempts; above that (PostgreSQL) it is "
        "the database planner's estimate, and `next` is null exactly on the last page. Every "
        "`ordering` is served by an index. Deep pages: follow `next` as given; past the first "
        f"{DEFERRED_JOIN_FROM:,} rows it carries `after`, the key of the page's last row, and "
        "the next page is read from there, as fast as the first (for an `ordering` in one "
        "direction). `page=N` alone reads past every earlier row: the same rows on unchanged "
        "data, slower the deeper it goes."
    ),
    responses={200: AdminAttemptSerializer(many=True), **LIST_ERRORS},
)
class AdminAttemptList(TestpressAdminView, generics.ListAPIView):
    serializer_class = AdminAttemptSerializer
    filterset_class = AdminAttemptFilter
    pagination_class = TestpressPagination

    def get_queryset(self):
        return Attempt.objects.reviewable_by(self.request.user).for_listing()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


@extend_schema(
    tags=[TAG],
    summary="Get a single attempt",
    description="The list fields plus rank, percentile and the statistics by section, subject "
    "(ancestors included, summing their subtree) and difficulty level.",
    parameters=[ID_PARAMETER],
    responses={200: AdminAttemptDetailSerializer, **DETAIL_ERRORS},
)
class AdminAttemptDetail(TestpressAdminView, ReviewerObjectMixin, generics.RetrieveAPIView):
    serializer_class = AdminAttemptDetailSerializer

    def get_object(self):
        attempt = self.get_attempt(Attempt.objects.for_listing())
        attempt.statistics = attempt_statistics(attempt, now=self.now)
        return attempt

    def get_serializer_context(self):
        # One clock for the statistics and the serializer's time fields.
        self.now = getattr(self, "now", None) or timezone.now()
        return {**super().get_serializer_context(), "now": self.now}

    def retrieve(self, request, *args, **kwargs):
        self.now = timezone.now()
        return super().retrieve(request, *args, **kwargs)


@extend_schema(
    tags=[TAG],
    summary="Get the student responses of an attempt",
    description="Paginated by answer (250 a page). `exam_questions` holds the questions of "
    "the answers on this page, with their choices.",
    parameters=[
        ID_PARAMETER,
        # The limits the paginator enforces (a value outside them is a 400).
        OpenApiParameter(
            "page", UserAnswersPagination.page_schema(), description="Page number, from 1."
        ),
        OpenApiParameter(
            "per_page",
            UserAnswersPagination.per_page_schema(),
            description="Answers a page, 1 to 1000 (250).",
        ),
    ],
    responses={
        200: inline_serializer(
            "PaginatedUserAnswers",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "per_page": serializers.IntegerField(),
                "results": UserAnswersPageSerializer(),
            },
        ),
        400: FIELD_ERRORS,
        **DETAIL_ERRORS,
    },
)
class AdminAttemptUserAnswers(TestpressAdminView, ReviewerObjectMixin, generics.GenericAPIView):
    pagination_class = UserAnswersPagination
    serializer_class = UserAnswersPageSerializer
    filter_backends = []

    def get_queryset(self):  # for the schema; the view reads the attempt's answers
        return UserAnswer.objects.none()

    def get(self, request, *args, **kwargs):
        attempt = self.get_attempt()
        answers = (
            UserAnswer.objects.filter(attempt=attempt)
            .select_related("exam_question__question")
            .prefetch_related("selected_choices")
            .order_by("exam_question__order", "exam_question_id")
        )
        page = self.paginate_queryset(answers)
        exam_questions = [answer.exam_question for answer in page]
        prefetch_related_objects([eq.question for eq in exam_questions], "choices")
        data = UserAnswersPageSerializer(
            {"user_answers": page, "exam_questions": exam_questions}
        ).data
        return self.get_paginated_response(data)


# ----------------------------------------------------- the resources that attempts link to


@extend_schema(
    tags=[TAG], summary="Get an exam", responses={200: AdminExamSerializer, **DETAIL_ERRORS}
)
class AdminExamDetail(TestpressAdminView, generics.RetrieveAPIView):
    serializer_class = AdminExamSerializer

    def get_queryset(self):
        return Exam.objects.reviewable_by(self.request.user)


@extend_schema(
    tags=[TAG],
    summary="Get a user (learners of the caller's courses)",
    responses={200: AdminUserSerializer, **DETAIL_ERRORS},
)
class AdminUserDetail(TestpressAdminView, generics.RetrieveAPIView):
    serializer_class = AdminUserSerializer

    def get_queryset(self):
        return User.objects.reviewable_by(self.request.user)


# ------------------------------------------------------------------------ auth tokens

TOKEN = inline_serializer("Token", {"token": serializers.CharField()})
BAD_REQUEST = OpenApiResponse(OpenApiTypes.OBJECT, description="Missing field, keyed by name.")
REFUSED = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Wrong credentials, or an invalid, expired or revoked token (issued before "
    "the user's last password change, deactivation or sign-out everywhere), or a token of an "
    "inactive or deleted user.",
)


LOCKED_OUT = detail_error(
    "Too many failed sign-ins of this username from this address: wait for the cool-off "
    "(`Retry-After`, in seconds)."
)


def documented(summary, ok=TOKEN, errors=None):
    """simplejwt's views with the answers they really give in the OpenAPI schema."""
    return extend_schema_view(
        post=extend_schema(
            tags=[TAG],
            summary=summary,
            responses={200: ok, 400: BAD_REQUEST, 401: REFUSED, **(errors or {})},
        )
    )


# The token views take no authentication (simplejwt's); a refused login or token is a 401
# whose challenge simplejwt takes from the global setting: Testpress's clients get theirs.
class TestpressTokenView:
    error_statuses = ERROR_STATUSES

    def get_authenticate_header(self, request):
        return TestpressJWTAuthentication().authenticate_header(request)


# simplejwt's views under their own names (DRF shows the name and docstring in OPTIONS).
@documented("Get a token with username and password", errors={429: LOCKED_OUT})
class TokenObtainSlidingView(TestpressTokenView, jwt_views.TokenObtainSlidingView):
    __doc__ = jwt_views.TokenObtainSlidingView.__doc__
    serializer_class = tokens.TokenObtainSerializer


@documented("Renew a token before its refresh limit")
class TokenRefreshSlidingView(TestpressTokenView, jwt_views.TokenRefreshSlidingView):
    __doc__ = jwt_views.TokenRefreshSlidingView.__doc__
    serializer_class = tokens.TokenRefreshSerializer


@documented(
    "Check a token", ok=OpenApiResponse(OpenApiTypes.OBJECT, description="Valid: an empty object.")
)
class TokenVerifyView(TestpressTokenView, jwt_views.TokenVerifyView):
    __doc__ = jwt_views.TokenVerifyView.__doc__
    serializer_class = tokens.TokenVerifySerializer
