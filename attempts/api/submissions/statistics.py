"""``GET /api/v1/assessments/{assessment_id}/statistics``: the item analysis of an assessment
with Moodle's formulas (``attempts.statistics``), for admins and the instructors of its
course (``lms.access``: a learner who sees the assessment gets 403, anyone else 404).

The payload: units as Moodle shows them: percentages (0 to 100) for facility, sd, random
guess score, the weights, discrimination index, discriminative efficiency, cic and error
ratio; marks for the test's mean, median, sd, min, max and standard error. Numbers at full
precision (no rounding); null where a figure is undefined."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.models import Question
from attempts.api.submissions import public_ids as ids
from attempts.api.submissions.schema import problems
from attempts.api.submissions.views import ASSESSMENT_ID, TAG, SubmissionsView
from attempts.statistics.item_inputs import Which, item_analysis
from attempts.statistics.items import Flag
from lms.replica import reads_from_replica


def _number(**kwargs):
    return serializers.FloatField(allow_null=True, read_only=True, **kwargs)


class QueryParams(serializers.Serializer):
    attempts = serializers.ChoiceField(
        choices=Which.CHOICES,
        required=False,
        help_text="Which finished attempts: each learner's first, last or best, or all. "
        "Default: the exam's rank policy.",
    )


class IntervalSerializer(serializers.Serializer):
    low = _number()
    high = _number()


class OptionStatisticsSerializer(serializers.Serializer):
    choice_id = serializers.SerializerMethodField(help_text="`chc_<alphanumeric>`.")
    count = serializers.IntegerField(read_only=True, help_text="Attempts that picked it.")
    share = _number(help_text="% of the attempts used.")
    is_correct = serializers.BooleanField(read_only=True)
    point_biserial = _number(
        help_text="Correlation (-1 to 1) of picking it with the rest score R = X - x; null "
        "when nobody or everybody picked it or R does not vary."
    )

    @extend_schema_field(str)
    def get_choice_id(self, option) -> str:
        return ids.of_pk(ids.CHOICE, option.choice_id)


class QuestionStatisticsSerializer(serializers.Serializer):
    question_id = serializers.SerializerMethodField(help_text="`qstn_<alphanumeric>`.")
    slot = serializers.IntegerField(read_only=True, help_text="1-based order in the exam.")
    n = serializers.IntegerField(read_only=True)
    max_mark = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)
    facility = _number()
    facility_interval = IntervalSerializer(read_only=True, allow_null=True)
    sd = _number()
    random_guess_score = _number()
    intended_weight = _number()
    effective_weight = _number()
    discrimination_index = _number()
    discriminative_efficiency = _number()
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=list(Flag.LABELS)), read_only=True
    )
    options = OptionStatisticsSerializer(many=True, read_only=True)

    @extend_schema_field(str)
    def get_question_id(self, question) -> str:
        return ids.of_uuid(ids.QUESTION, self.context["question_uuids"][question.question_id])


class TestStatisticsSerializer(serializers.Serializer):
    n = serializers.IntegerField(read_only=True)
    mean = _number()
    median = _number()
    sd = _number()
    skewness = _number()
    kurtosis = _number()
    cic = _number()
    cic_interval = IntervalSerializer(read_only=True, allow_null=True)
    error_ratio = _number()
    standard_error = _number()
    min = _number()
    max = _number()
    max_score = serializers.DecimalField(max_digits=9, decimal_places=2, read_only=True)


class StatisticsSerializer(serializers.Serializer):
    assessment_id = serializers.CharField(read_only=True, help_text="`asmnt_<alphanumeric>`.")
    attempts = serializers.ChoiceField(choices=Which.CHOICES, read_only=True)
    n = serializers.IntegerField(read_only=True, help_text="Attempts used.")
    pending = serializers.IntegerField(
        read_only=True, help_text="Attempts pending evaluation, left out."
    )
    generated_at = serializers.DateTimeField(read_only=True)
    test = TestStatisticsSerializer(read_only=True)
    questions = QuestionStatisticsSerializer(many=True, read_only=True)

    def to_representation(self, result):
        return super().to_representation(
            {
                "assessment_id": ids.of_uuid(ids.ASSESSMENT, result.exam.uuid),
                "attempts": result.which,
                "n": result.analysis.test.n,
                "pending": result.pending,
                "generated_at": result.generated_at,
                "test": result.analysis.test,
                "questions": result.analysis.questions,
            }
        )


@extend_schema(
    tags=[TAG],
    summary="Item analysis of an assessment (Moodle's statistics)",
    description=(
        "Moodle's quiz statistics over the finished attempts chosen by `attempts` (each "
        "learner's first, last or best, or all; default: the assessment's rank policy); "
        "attempts awaiting an essay's marks are left out and counted in `pending`. Admins "
        "and the course's instructors only. Figures are cached until an attempt of the "
        "assessment changes."
    ),
    parameters=[
        ASSESSMENT_ID,
        OpenApiParameter(
            "attempts",
            OpenApiTypes.STR,
            enum=list(QueryParams().fields["attempts"].choices),
            description=QueryParams().fields["attempts"].help_text,
        ),
    ],
    responses={200: StatisticsSerializer, **problems(400, 401, 403, 404)},
)
@reads_from_replica
class AssessmentStatistics(SubmissionsView, APIView):
    def get(self, request, *args, **kwargs):
        params = QueryParams(data=request.query_params)
        if not params.is_valid():
            raise ValidationError(params.errors)
        exam = self.reviewed_exam()
        result = item_analysis(exam, params.validated_data.get("attempts"))
        question_uuids = dict(
            Question.objects.filter(
                pk__in=[q.question_id for q in result.analysis.questions]
            ).values_list("pk", "uuid")
        )
        context = {"question_uuids": question_uuids}
        return Response(StatisticsSerializer(result, context=context).data)
