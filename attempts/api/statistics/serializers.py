"""The statistics payload. Units as Moodle shows them: percentages (0 to 100) for facility,
sd, random guess score, the weights, discrimination index, discriminative efficiency, cic and
error ratio; marks for the test's mean, median, sd, min, max and standard error. Numbers at
full precision (no rounding); null where a figure is undefined."""

from rest_framework import serializers

from attempts.statistics.item_inputs import Which
from attempts.statistics.items import Flag


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


class OptionSerializer(serializers.Serializer):
    choice_id = serializers.IntegerField(read_only=True)
    count = serializers.IntegerField(read_only=True, help_text="Attempts that picked it.")
    share = _number(help_text="% of the attempts used.")
    is_correct = serializers.BooleanField(read_only=True)
    point_biserial = _number(
        help_text="Correlation (-1 to 1) of picking it with the rest score R = X - x; null "
        "when nobody or everybody picked it or R does not vary."
    )


class QuestionSerializer(serializers.Serializer):
    question_id = serializers.IntegerField(read_only=True)
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
    options = OptionSerializer(many=True, read_only=True)


class TestSerializer(serializers.Serializer):
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
    assessment_id = serializers.CharField(read_only=True)
    attempts = serializers.ChoiceField(choices=Which.CHOICES, read_only=True)
    n = serializers.IntegerField(read_only=True, help_text="Attempts used.")
    pending = serializers.IntegerField(
        read_only=True, help_text="Attempts pending evaluation, left out."
    )
    generated_at = serializers.DateTimeField(read_only=True)
    test = TestSerializer(read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)

    def to_representation(self, result):
        return super().to_representation(
            {
                "assessment_id": str(result.exam.uuid),
                "attempts": result.which,
                "n": result.analysis.test.n,
                "pending": result.pending,
                "generated_at": result.generated_at,
                "test": result.analysis.test,
                "questions": result.analysis.questions,
            }
        )
