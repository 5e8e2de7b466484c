"""Admin attempts API (Testpress-compatible): who may call it is decided here, what they see
by ``Attempt.objects.reviewable_by`` — the rule the admin and the pages share.

- Staff see every attempt; instructors the attempts of the courses they teach (another
  attempt id is a 404); learners get 403; anonymous requests 401 with ``WWW-Authenticate``.
"""

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from assessments.models import Exam
from attempts.filters import AdminAttemptFilter
from attempts.models import Attempt, UserAnswer
from attempts.serializers import (
    NULLABLE_EMAIL,
    AdminAttemptDetailSerializer,
    AdminAttemptSerializer,
    UserAnswersPageSerializer,
    format_hms,
)
from attempts.statistics import attempt_statistics
from lms import access
from lms.models import User


class IsReviewer(BasePermission):
    """Staff and instructors. Views that look up one object scoped to the reviewer may set
    ``defer_reviewer_check``: a found object proves the right, and only a miss costs the
    query that tells a learner's 403 from a reviewer's 404 (see ``ReviewerObjectMixin``)."""

    message = "The admin API is for admins and instructors."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return (
            access.is_admin(user)
            or getattr(view, "defer_reviewer_check", False)
            or access.is_reviewer(user)
        )


class TestpressPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``per_page``, ``results``.

    ``page`` must be a whole number from 1 (else 400); a page past the end is a 404, as DRF
    does. ``per_page`` may ask for 1 to ``max_page_size`` rows (else 400).
    """

    page_size = 200
    page_size_query_param = "per_page"
    max_page_size = 1000

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"per_page": [f"Enter a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw not in (None, "") and not (raw.isdigit() and 0 < int(raw) < 2**31):
            raise ValidationError({"page": ["Enter a whole number greater than 0."]})
        self.per_page = self.get_page_size(request)
        return super().paginate_queryset(queryset, request, view)

    def payload(self, results):
        return {
            "count": self.page.paginator.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "per_page": self.per_page,
            "results": results,
        }

    def get_paginated_response(self, data):
        return Response(self.payload(data))

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters

    def get_paginated_response_schema(self, schema):
        wrapped = super().get_paginated_response_schema(schema)
        wrapped["properties"]["per_page"] = {"type": "integer", "example": self.page_size}
        wrapped["required"] = ["count", "next", "previous", "per_page", "results"]
        return wrapped


class UserAnswersPagination(TestpressPagination):
    page_size = 250


class ReviewerObjectMixin:
    """Look up one attempt among those the reviewer may see: 404 for any other id, 403 when
    the caller is no reviewer at all."""

    defer_reviewer_check = True

    def get_attempt(self, queryset=None):
        queryset = queryset if queryset is not None else Attempt.objects.all()
        user = self.request.user
        try:
            return get_object_or_404(queryset.reviewable_by(user), pk=self.kwargs["pk"])
        except Http404:
            if not access.is_reviewer(user):
                raise PermissionDenied(IsReviewer.message) from None
            raise


ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Attempt id.")

DETAIL = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="A bad query parameter: messages keyed by the parameter, e.g. "
    '`{"date_0": ["Enter a valid date."]}` or `{"page": ["…"]}`.',
)
UNAUTHORIZED = OpenApiResponse(
    DETAIL, description="No or an invalid token (with a `WWW-Authenticate` header)."
)
FORBIDDEN = OpenApiResponse(DETAIL, description="Signed in, but neither admin nor instructor.")
NOT_FOUND = OpenApiResponse(
    DETAIL, description="No such id among the attempts the caller may see (or a page past the end)."
)
LIST_ERRORS = {400: FIELD_ERRORS, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
DETAIL_ERRORS = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}


@extend_schema(
    tags=["attempts"],
    summary="List attempts",
    description=(
        "Attempts visible to the caller (all for admins, their courses' for instructors), "
        "newest first unless `ordering` says otherwise. `result` is Pass / Fail once "
        "completed, NA when the exam has no pass mark, Not taken otherwise. `score` is a "
        "string with 2 decimals; `percentage` and `speed` are numbers; durations are H:MM:SS."
    ),
    responses={200: AdminAttemptSerializer(many=True), **LIST_ERRORS},
)
class AdminAttemptList(generics.ListAPIView):
    permission_classes = [IsReviewer]
    serializer_class = AdminAttemptSerializer
    filterset_class = AdminAttemptFilter
    pagination_class = TestpressPagination

    def get_queryset(self):
        return Attempt.objects.reviewable_by(self.request.user).for_listing()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


@extend_schema(
    tags=["attempts"],
    summary="Get a single attempt",
    description="The list fields plus rank, percentile and the statistics by section, subject "
    "(ancestors included, summing their subtree) and difficulty level.",
    parameters=[ID_PARAMETER],
    responses={200: AdminAttemptDetailSerializer, **DETAIL_ERRORS},
)
class AdminAttemptDetail(ReviewerObjectMixin, generics.RetrieveAPIView):
    permission_classes = [IsReviewer]
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
    tags=["attempts"],
    summary="Get the student responses of an attempt",
    description="Paginated by answer (250 a page). `exam_questions` holds the questions of "
    "the answers on this page, with their choices.",
    parameters=[
        ID_PARAMETER,
        OpenApiParameter("page", int, description="Page number, from 1."),
        OpenApiParameter("per_page", int, description="Answers a page, 1 to 1000 (250)."),
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
class AdminAttemptUserAnswers(ReviewerObjectMixin, generics.GenericAPIView):
    permission_classes = [IsReviewer]
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


class AdminExamSerializer(serializers.ModelSerializer):
    duration = serializers.SerializerMethodField()

    class Meta:
        model = Exam
        fields = [
            "id",
            "uuid",
            "title",
            "description",
            "course_id",
            "status",
            "duration",
            "pass_percentage",
            "max_attempts",
            "opens_at",
            "closes_at",
            "rank_policy",
        ]
        read_only_fields = fields

    def get_duration(self, exam) -> str | None:
        return format_hms(exam.duration)


class AdminUserSerializer(serializers.ModelSerializer):
    name = serializers.CharField()
    email = serializers.SerializerMethodField()

    @extend_schema_field(NULLABLE_EMAIL)
    def get_email(self, user) -> str | None:
        return user.email or None

    class Meta:
        model = User
        fields = ["id", "uuid", "username", "email", "name", "phone"]
        read_only_fields = fields


@extend_schema(
    tags=["exams"], summary="Get an exam", responses={200: AdminExamSerializer, **DETAIL_ERRORS}
)
class AdminExamDetail(generics.RetrieveAPIView):
    permission_classes = [IsReviewer]
    serializer_class = AdminExamSerializer

    def get_queryset(self):
        return Exam.objects.reviewable_by(self.request.user)


@extend_schema(
    tags=["users"],
    summary="Get a user (learners of the caller's courses)",
    responses={200: AdminUserSerializer, **DETAIL_ERRORS},
)
class AdminUserDetail(generics.RetrieveAPIView):
    permission_classes = [IsReviewer]
    serializer_class = AdminUserSerializer

    def get_queryset(self):
        return User.objects.reviewable_by(self.request.user)


__all__ = [
    "AdminAttemptDetail",
    "AdminAttemptList",
    "AdminAttemptUserAnswers",
    "AdminExamDetail",
    "AdminUserDetail",
]
