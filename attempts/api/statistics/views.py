"""The statistics endpoint: admins and instructors of the exam's course
(``Exam.objects.reviewable_by``, the one rule of ``lms.access``); another course's exam, or
an unknown id, is a 404; a learner gets 403, an anonymous caller 401."""

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.models import Exam
from attempts.api.permissions import IsReviewer
from attempts.api.schema import (
    NOT_A_REVIEWER,
    UNAUTHORIZED,
    contract_tag,
    detail_error,
    field_errors,
)
from attempts.api.statistics.authentication import AUTHENTICATION_CLASSES
from attempts.api.statistics.serializers import QueryParams, StatisticsSerializer
from attempts.statistics.item_inputs import item_analysis

TAG = contract_tag(
    "Assessment statistics",
    "Item analysis of an assessment with Moodle's formulas (instructors of its course and "
    "admins). `Authorization: Bearer <token>`.",
)


class AssessmentStatistics(APIView):
    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [IsReviewer]

    @extend_schema(
        tags=[TAG],
        summary="Item analysis of an assessment (Moodle's statistics)",
        parameters=[
            OpenApiParameter(
                "attempts",
                OpenApiTypes.STR,
                enum=list(QueryParams().fields["attempts"].choices),
                description=QueryParams().fields["attempts"].help_text,
            )
        ],
        responses={
            200: StatisticsSerializer,
            400: field_errors("A bad parameter, keyed by its name."),
            401: UNAUTHORIZED,
            403: NOT_A_REVIEWER,
            404: detail_error("No assessment with this id among the caller's courses."),
        },
    )
    def get(self, request, assessment_id: str):
        params = QueryParams(data=request.query_params)
        if not params.is_valid():
            raise ValidationError(params.errors)
        try:
            key = uuid.UUID(assessment_id)
        except ValueError as error:
            raise NotFound() from error
        exam = get_object_or_404(Exam.objects.reviewable_by(request.user), uuid=key)
        result = item_analysis(exam, params.validated_data.get("attempts"))
        return Response(StatisticsSerializer(result).data)
