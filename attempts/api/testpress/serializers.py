"""Serializers of Testpress's admin attempts API, field for field as Testpress documents them.

Every field reads a stored column, a ``select_related`` row or the statistics computed once
per request by the view: none runs a query. Testpress's words for our values are in
``labels``.
"""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments.html import clean_html
from assessments.models import Exam, ExamQuestion
from attempts.api.testpress.labels import (
    ANSWER_RESULT_LABELS,
    DIFFICULTY_KEYS,
    QUESTION_TYPE_LABELS,
    RESULT_HELP,
    STATE_LABELS,
    result_label,
)
from attempts.durations import format_hms
from attempts.models import Attempt, UserAnswer
from attempts.statistics.attempt import speed
from lms.models import User

NULLABLE_EMAIL = {"type": "string", "format": "email", "nullable": True}


class LabelField(serializers.CharField):
    """A stored value shown as Testpress's word for it (``labels``, or ``labels(instance)``
    with ``source="*"``)."""

    def __init__(self, labels, **kwargs):
        self.labels = labels
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return self.labels(value) if callable(self.labels) else self.labels[value]


@extend_schema_field({"type": "string", "nullable": True, "example": "1:02:05"})
class HMSField(serializers.Field):
    def to_representation(self, value):
        return format_hms(value)


DATETIME = serializers.DateTimeField()
PLACEHOLDER_ID = 918273645


def _datetime(value):
    return None if value is None else DATETIME.to_representation(value)


def score_field(**kwargs):
    """A decimal rendered as a string with 2 decimals (Testpress sends marks as strings)."""
    return serializers.DecimalField(
        max_digits=9, decimal_places=2, coerce_to_string=True, read_only=True, **kwargs
    )


def number_field(**kwargs):
    """A decimal rendered as a JSON number (Testpress sends percentage and speed as numbers)."""
    return serializers.DecimalField(
        max_digits=9, decimal_places=2, coerce_to_string=False, read_only=True, **kwargs
    )


class AdminAttemptSerializer(serializers.ModelSerializer):
    date = serializers.DateTimeField(source="started_at", help_text="When the attempt started.")
    email = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    correct_answers_count = serializers.IntegerField(source="correct_count")
    incorrect_answers_count = serializers.IntegerField(source="incorrect_count")
    unanswered_count = serializers.IntegerField()
    score = score_field()
    percentage = number_field()
    time_taken = serializers.SerializerMethodField(
        help_text="Completed − started (so far while running), H:MM:SS; null if not started."
    )
    remaining_time = serializers.SerializerMethodField(
        help_text="Time left to the deadline, H:MM:SS; 0:00:00 once finished; null if untimed."
    )
    result = LabelField(result_label, source="*", help_text=RESULT_HELP)
    state = LabelField(STATE_LABELS)
    last_started_time = serializers.DateTimeField(source="last_started_at", allow_null=True)
    last_answer_updated_time = serializers.DateTimeField(source="last_answer_at", allow_null=True)
    speed = serializers.SerializerMethodField(
        help_text="Answered questions per minute of time taken; null if not started."
    )
    exam_url = serializers.SerializerMethodField()
    user_url = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [
            "id",
            "date",
            "exam_id",
            "user_id",
            "email",
            "name",
            "phone",
            "correct_answers_count",
            "incorrect_answers_count",
            "unanswered_count",
            "score",
            "percentage",
            "time_taken",
            "remaining_time",
            "result",
            "state",
            "last_started_time",
            "last_answer_updated_time",
            "speed",
            "exam_url",
            "user_url",
        ]
        read_only_fields = fields

    def now(self):
        return self.context.setdefault("now", timezone.now())

    def to_representation(self, attempt):
        """The declared fields, built directly: DRF's per-field machinery costs more than the
        database work on a 200-row page (see bench/api_list.py). The declared fields remain
        the documentation (OpenAPI) and the reference: a test compares the two outputs."""
        user = attempt.user
        now = self.now()
        time_taken = attempt.time_taken(now)
        pace = speed(attempt.answered_count, time_taken)
        return {
            "id": attempt.pk,
            "date": DATETIME.to_representation(attempt.started_at),
            "exam_id": attempt.exam_id,
            "user_id": attempt.user_id,
            "email": user.email or None,
            "name": user.display_name or user.get_full_name() or None,
            "phone": user.phone or None,
            "correct_answers_count": attempt.correct_count,
            "incorrect_answers_count": attempt.incorrect_count,
            "unanswered_count": attempt.unanswered_count,
            "score": f"{attempt.score:.2f}",
            "percentage": float(attempt.percentage),
            "time_taken": format_hms(time_taken),
            "remaining_time": format_hms(attempt.remaining_time(now)),
            "result": result_label(attempt),
            "state": STATE_LABELS[attempt.state],
            "last_started_time": _datetime(attempt.last_started_at),
            "last_answer_updated_time": _datetime(attempt.last_answer_at),
            "speed": None if pace is None else float(pace),
            "exam_url": self._absolute("api:admin-exam-detail", attempt.exam_id),
            "user_url": self._absolute("api:admin-user-detail", attempt.user_id),
        }

    @extend_schema_field(NULLABLE_EMAIL)
    def get_email(self, attempt) -> str | None:
        return attempt.user.email or None

    def get_name(self, attempt) -> str | None:
        user = attempt.user
        return user.display_name or user.get_full_name() or None

    def get_phone(self, attempt) -> str | None:
        return attempt.user.phone or None

    @extend_schema_field({"type": "string", "nullable": True, "example": "1:02:05"})
    def get_time_taken(self, attempt):
        return format_hms(attempt.time_taken(self.now()))

    @extend_schema_field({"type": "string", "nullable": True, "example": "0:12:00"})
    def get_remaining_time(self, attempt):
        return format_hms(attempt.remaining_time(self.now()))

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_speed(self, attempt):
        value = speed(attempt.answered_count, attempt.time_taken(self.now()))
        return None if value is None else float(value)

    def _absolute(self, name, pk) -> str:
        # Reversed and made absolute once per response, then filled in per row: 200 rows
        # would otherwise cost 400 URL reversals.
        templates = self.context.setdefault("url_templates", {})
        if name not in templates:
            path = reverse(name, args=[PLACEHOLDER_ID])
            request = self.context.get("request")
            url = request.build_absolute_uri(path) if request else path
            templates[name] = url.rsplit(str(PLACEHOLDER_ID), 1)
        prefix, suffix = templates[name]
        return f"{prefix}{pk}{suffix}"

    @extend_schema_field(OpenApiTypes.URI)
    def get_exam_url(self, attempt):
        return self._absolute("api:admin-exam-detail", attempt.exam_id)

    @extend_schema_field(OpenApiTypes.URI)
    def get_user_url(self, attempt):
        return self._absolute("api:admin-user-detail", attempt.user_id)


class SectionStatsSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        source="section_id", help_text="Same as section_id: sections are not copied per attempt."
    )
    order = serializers.IntegerField()
    section_id = serializers.IntegerField()
    title = serializers.CharField()
    time_taken = HMSField(
        source="counts.time_spent_seconds", help_text="Sum of time spent, H:MM:SS."
    )
    correct_answers_count = serializers.IntegerField(source="counts.correct")
    incorrect_answers_count = serializers.IntegerField(source="counts.incorrect")
    partial_correct_answers_count = serializers.IntegerField(source="counts.partial")
    unanswered_count = serializers.IntegerField(source="counts.unanswered")
    pending_count = serializers.IntegerField(source="counts.pending")
    score = score_field(source="counts.score")


class OutcomeCountsSerializer(serializers.Serializer):
    correct_answers_count = serializers.IntegerField(source="correct")
    incorrect_answers_count = serializers.IntegerField(source="incorrect")
    partial_correct_answers_count = serializers.IntegerField(source="partial")
    unanswered_count = serializers.IntegerField(source="unanswered")
    pending_count = serializers.IntegerField(source="pending")
    total_count = serializers.IntegerField(source="total")


class SubjectStatsSerializer(serializers.Serializer):
    subject_id = serializers.IntegerField(allow_null=True)
    subject_name = serializers.CharField(source="name")
    total_count = serializers.IntegerField(source="counts.total")
    correct_answers_count = serializers.IntegerField(source="counts.correct")
    unanswered_count = serializers.IntegerField(source="counts.unanswered")
    incorrect_answers_count = serializers.IntegerField(source="counts.incorrect")
    partial_correct_answers_count = serializers.IntegerField(source="counts.partial")
    pending_count = serializers.IntegerField(source="counts.pending")
    parent_subject_id = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField()
    is_leaf = serializers.BooleanField()
    score = score_field(source="counts.score")


class AdminAttemptDetailSerializer(AdminAttemptSerializer):
    """The list fields plus the statistics of ``attempts.statistics`` (set by the view)."""

    username = serializers.CharField(source="user.username")
    percentile = serializers.SerializerMethodField()
    rank = serializers.SerializerMethodField()
    sections = serializers.SerializerMethodField()
    subject_stats = serializers.SerializerMethodField()
    difficulty_level_stats = serializers.SerializerMethodField()

    class Meta(AdminAttemptSerializer.Meta):
        fields = [
            *AdminAttemptSerializer.Meta.fields,
            "username",
            "percentile",
            "rank",
            "sections",
            "subject_stats",
            "difficulty_level_stats",
            "institute_attempt_id",
        ]
        read_only_fields = fields

    def to_representation(self, attempt):
        # One object: the declared fields through DRF's own machinery.
        return serializers.ModelSerializer.to_representation(self, attempt)

    def stats(self, attempt):
        return attempt.statistics

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_percentile(self, attempt):
        value = self.stats(attempt).standing.percentile
        return None if value is None else float(value)

    def get_rank(self, attempt) -> int | None:
        return self.stats(attempt).standing.rank

    @extend_schema_field(SectionStatsSerializer(many=True))
    def get_sections(self, attempt):
        return SectionStatsSerializer(self.stats(attempt).sections, many=True).data

    @extend_schema_field(SubjectStatsSerializer(many=True))
    def get_subject_stats(self, attempt):
        return SubjectStatsSerializer(self.stats(attempt).subjects, many=True).data

    @extend_schema_field(
        serializers.DictField(
            child=OutcomeCountsSerializer(),
            help_text="Keyed by level: easy, medium, hard, and unlabelled for questions without "
            "a difficulty. Only levels present in the exam appear.",
        )
    )
    def get_difficulty_level_stats(self, attempt):
        return {
            DIFFICULTY_KEYS.get(row.level, row.level): OutcomeCountsSerializer(row.counts).data
            for row in self.stats(attempt).difficulties
        }


class UserAnswerSerializer(serializers.ModelSerializer):
    selected_answers = serializers.SerializerMethodField()
    result = LabelField(ANSWER_RESULT_LABELS)
    duration = serializers.IntegerField(source="time_spent_seconds", help_text="Seconds.")
    review = serializers.BooleanField(source="is_flagged", help_text="Marked for review.")
    guessed = serializers.BooleanField(source="is_guessed", allow_null=True)
    marks_awarded = score_field()

    class Meta:
        model = UserAnswer
        fields = [
            "id",
            "exam_question_id",
            "selected_answers",
            "result",
            "duration",
            "review",
            "guessed",
            "marks_awarded",
            "text_response",
        ]
        read_only_fields = fields

    def get_selected_answers(self, answer) -> list[int]:
        # Reads the prefetch the view sets up; sorted for a stable output.
        return sorted(choice.pk for choice in answer.selected_choices.all())


class CleanHTMLField(serializers.CharField):
    """Stored question or choice HTML, cleaned again on the way out (``assessments.html``):
    rows written before the rule, or around the models, are served clean too."""

    def to_representation(self, value):
        return clean_html(value)


class AnswerChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text_html = CleanHTMLField()


class ExamQuestionSerializer(serializers.ModelSerializer):
    question_html = CleanHTMLField(source="question.text_html")
    type = LabelField(QUESTION_TYPE_LABELS, source="question.type")
    marks = score_field()
    negative_marks = score_field()
    partial_marks = score_field(allow_null=True)
    direction = serializers.SerializerMethodField(help_text="Not used: always null.")
    answers = AnswerChoiceSerializer(source="question.choices.all", many=True)
    difficulty_level = serializers.CharField(source="question.difficulty", allow_null=True)

    class Meta:
        model = ExamQuestion
        fields = [
            "id",
            "question_id",
            "section_id",
            "question_html",
            "type",
            "marks",
            "negative_marks",
            "partial_marks",
            "direction",
            "answers",
            "difficulty_level",
            "order",
            "is_bonus",
            "exam_id",
        ]
        read_only_fields = fields

    def get_direction(self, exam_question) -> str | None:
        return None


class UserAnswersPageSerializer(serializers.Serializer):
    user_answers = UserAnswerSerializer(many=True)
    exam_questions = ExamQuestionSerializer(many=True)


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
        extra_kwargs = {"pass_percentage": {"coerce_to_string": True}}  # "50.00"

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
