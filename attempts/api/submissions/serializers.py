"""Bodies of the submissions contract: field names as its clients know them (``id``,
``course_id``, ``passing_score``, ``time_limit``...), values converted from the domain's
(percent as an integer, minutes, prefixed public ids)."""

import math
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments.html import clean_html
from assessments.models import Exam, Question
from attempts.api.submissions import public_ids as ids
from attempts.models import Attempt
from lms.access import Review

HUNDRED = Decimal("100")
ZERO = Decimal("0")


def percent(value: Decimal | None) -> int | None:
    """A stored pass mark (2 decimals) as the contract's whole percent, half up."""
    return None if value is None else int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def minutes(duration: timedelta | None) -> int | None:
    """A duration as whole minutes, a started minute counting as one."""
    return None if duration is None else math.ceil(duration.total_seconds() / 60)


def id_field(prefix: str, description: str):
    return extend_schema_field(
        {"type": "string", "pattern": ids.pattern(prefix), "description": description}
    )


# ------------------------------------------------------------------------- assessments

# Enums as named components of this contract (drf-spectacular would otherwise name each
# "status" set after the field alone, and the sets of the contracts collide).
ASSESSMENT_STATUSES = [Exam.Status.DRAFT, Exam.Status.PUBLISHED, Exam.Status.ARCHIVED]
WRITABLE_STATUSES = [Exam.Status.DRAFT, Exam.Status.PUBLISHED]
SUBMISSION_STATUSES = ["completed", "pending_evaluation"]


@extend_schema_field(
    {"type": "string", "enum": ASSESSMENT_STATUSES}, component_name="AssessmentStatus"
)
class AssessmentStatusField(serializers.ChoiceField):
    pass


@extend_schema_field(
    {"type": "string", "enum": WRITABLE_STATUSES}, component_name="AssessmentWritableStatus"
)
class WritableStatusField(serializers.ChoiceField):
    pass


@extend_schema_field(
    {"type": "string", "enum": SUBMISSION_STATUSES}, component_name="SubmissionStatus"
)
class SubmissionStatusField(serializers.ChoiceField):
    pass


class AssessmentSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField(help_text="`asmnt_<alphanumeric>`.")
    course_id = serializers.SerializerMethodField(help_text="`crs_<alphanumeric>`.")
    title = serializers.CharField()
    passing_score = serializers.SerializerMethodField(
        help_text="Minimum percentage score to pass (70 for 70 %); null when the assessment "
        "has no pass mark (set so in the admin)."
    )
    time_limit = serializers.SerializerMethodField(
        help_text="Minutes allowed, counted from the start of the attempt; null for none."
    )
    question_count = serializers.IntegerField(help_text="Number of questions.")
    max_attempts = serializers.IntegerField(
        allow_null=True, help_text="Attempts allowed per learner; null for unlimited."
    )
    status = AssessmentStatusField(
        choices=ASSESSMENT_STATUSES,
        help_text="Learners see published assessments only.",
    )
    opens_at = serializers.DateTimeField(
        allow_null=True, help_text="Submissions are refused before this; null: no start."
    )
    closes_at = serializers.DateTimeField(
        allow_null=True, help_text="Submissions are refused from this; null: no end."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(
        help_text="Last change of the assessment's own fields (not of its questions)."
    )

    @id_field(ids.ASSESSMENT, "The assessment's id.")
    def get_id(self, exam) -> str:
        return ids.of_uuid(ids.ASSESSMENT, exam.uuid)

    @id_field(ids.COURSE, "The course's id.")
    def get_course_id(self, exam) -> str:
        return ids.of_uuid(ids.COURSE, exam.course.uuid)

    def get_passing_score(self, exam) -> int | None:
        return percent(exam.pass_percentage)

    def get_time_limit(self, exam) -> int | None:
        return minutes(exam.duration)


class ChoiceSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`chc_<alphanumeric>`: send it in a submission.")
    text = serializers.CharField(help_text="Sanitised HTML.")
    is_correct = serializers.BooleanField(
        required=False, help_text="Part of the key: for admins and instructors only."
    )


class SectionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`sec_<alphanumeric>`.")
    title = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    """One question as placed in the assessment. The key fields (``is_correct`` of each
    choice, ``explanation``, ``numeric_answer``, ``numeric_tolerance``,
    ``accepted_answers``) are left out for learners."""

    id = serializers.CharField(help_text="`qstn_<alphanumeric>`: send it in a submission.")
    section_id = serializers.CharField(help_text="`sec_<alphanumeric>`.")
    position = serializers.IntegerField(help_text="1 for the first question, in order.")
    type = serializers.ChoiceField(choices=Question.Type.choices)
    text = serializers.CharField(help_text="Sanitised HTML.")
    choices = ChoiceSerializer(many=True)
    marks = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False)
    negative_marks = serializers.DecimalField(
        max_digits=7, decimal_places=2, coerce_to_string=False
    )
    partial_marks = serializers.DecimalField(
        max_digits=7, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    is_bonus = serializers.BooleanField()
    subject_id = serializers.CharField(allow_null=True, help_text="`subj_<alphanumeric>`.")
    difficulty = serializers.ChoiceField(choices=Question.Difficulty.values, allow_null=True)
    explanation = serializers.CharField(required=False, help_text="Reviewers only.")
    numeric_answer = serializers.DecimalField(
        max_digits=18,
        decimal_places=6,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        help_text="Reviewers only.",
    )
    numeric_tolerance = serializers.DecimalField(
        max_digits=18,
        decimal_places=6,
        coerce_to_string=False,
        required=False,
        help_text="Reviewers only.",
    )
    accepted_answers = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Reviewers only."
    )


def question_data(placement, position: int, marking, *, reviewer: bool) -> dict:
    """A placed question as ``QuestionSerializer`` documents it (no query: the placement
    carries its question and the choices come from ``ExamMarking``)."""
    question = placement.question
    choices, texts = marking.choices.get(question.pk, {}), marking.choice_texts
    data = {
        "id": ids.of_uuid(ids.QUESTION, question.uuid),
        "section_id": ids.of_pk(ids.SECTION, placement.section_id),
        "position": position,
        "type": question.type,
        "text": clean_html(question.text_html),
        "choices": [],
        "marks": placement.marks,
        "negative_marks": placement.negative_marks,
        "partial_marks": placement.partial_marks,
        "is_bonus": placement.is_bonus,
        "subject_id": ids.of_pk(ids.SUBJECT, question.subject_id),
        "difficulty": question.difficulty,
    }
    for pk, correct in choices.items():
        choice = {"id": ids.of_pk(ids.CHOICE, pk), "text": clean_html(texts.get(pk, ""))}
        if reviewer:
            choice["is_correct"] = correct
        data["choices"].append(choice)
    if reviewer:
        data["explanation"] = clean_html(question.explanation_html)
        data["numeric_answer"] = question.numeric_answer
        data["numeric_tolerance"] = question.numeric_tolerance
        data["accepted_answers"] = list(question.accepted_answers or [])
    return data


class AssessmentDetailSerializer(AssessmentSerializer):
    sections = SectionSerializer(many=True, help_text="In order.")
    questions = QuestionSerializer(many=True, help_text="In order, every section's.")


# ------------------------------------------------------------------------------ writes


class AssessmentWriteSerializer(serializers.Serializer):
    """The fields a client sets, on create (POST) and change (PATCH)."""

    course_id = serializers.CharField(
        help_text="`crs_<alphanumeric>`, a course you teach (admins: any). Not changed by PATCH."
    )
    title = serializers.CharField(min_length=3, max_length=200, trim_whitespace=True)
    passing_score = serializers.IntegerField(
        min_value=1, max_value=100, help_text="Whole percent from 1 to 100."
    )
    time_limit = serializers.IntegerField(
        min_value=1,
        max_value=525_600,
        required=False,
        allow_null=True,
        help_text="Minutes (at most a year); omit or null for no time limit.",
    )
    max_attempts = serializers.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        allow_null=True,
        help_text="Attempts allowed per learner; omit or null for unlimited.",
    )
    status = WritableStatusField(
        choices=WRITABLE_STATUSES,
        required=False,
        help_text="`draft` (the default on create) or `published`.",
    )

    def validate_course_id(self, value):
        if self.instance is not None:
            raise serializers.ValidationError("An assessment stays in its course.")
        course_uuid = ids.to_uuid(ids.COURSE, value)
        if course_uuid is None:
            raise serializers.ValidationError("Enter a course id such as crs_1a2B3c.")
        return course_uuid

    def exam_fields(self) -> dict:
        """The validated data in the model's terms."""
        data = dict(self.validated_data)
        fields = {}
        if "title" in data:
            fields["title"] = data["title"]
        if "passing_score" in data:
            fields["pass_percentage"] = Decimal(data["passing_score"])
        if "time_limit" in data:
            limit = data["time_limit"]
            fields["duration"] = None if limit is None else timedelta(minutes=limit)
        if "max_attempts" in data:
            fields["max_attempts"] = data["max_attempts"]
        if "status" in data:
            fields["status"] = data["status"]
        return fields


class ChoiceWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, help_text="HTML; sanitised when stored.")
    is_correct = serializers.BooleanField(default=False)


MARKS = {"max_digits": 7, "decimal_places": 2, "min_value": ZERO}
NUMBER = {"max_digits": 18, "decimal_places": 6}


class QuestionWriteSerializer(serializers.Serializer):
    """A new bank question and how the assessment marks it. By type:

    - ``single``: 2 to 20 choices, exactly one correct; ``true_false``: exactly 2, one
      correct; ``multiple``: 2 to 20 choices, at least one correct, ``partial_marks``
      allowed (per correct option chosen, no wrong one chosen).
    - ``numeric``: ``numeric_answer`` required, ``numeric_tolerance`` (absolute, inclusive).
    - ``short_text``: ``accepted_answers`` (1 to 50), compared ignoring case and spaces.
    - ``essay``: marked by an instructor; nothing else.

    Choices are for choice types only, numbers for numeric, accepted answers for short text.
    """

    type = serializers.ChoiceField(choices=Question.Type.choices)
    text = serializers.CharField(max_length=50_000, help_text="HTML; sanitised when stored.")
    explanation = serializers.CharField(
        max_length=50_000, required=False, allow_blank=True, default=""
    )
    choices = ChoiceWriteSerializer(many=True, required=False, default=list)
    marks = serializers.DecimalField(**MARKS, default=Decimal("1"))
    negative_marks = serializers.DecimalField(
        **MARKS, default=ZERO, help_text="Deducted for a wrong answer (as a positive number)."
    )
    partial_marks = serializers.DecimalField(**MARKS, required=False, allow_null=True, default=None)
    is_bonus = serializers.BooleanField(
        default=False, help_text="Everyone who has the question gets its marks."
    )
    section = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Title of the section to place it in (created when new); "
        "omitted: the last section.",
    )
    subject_id = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="`subj_<alphanumeric>`."
    )
    difficulty = serializers.ChoiceField(
        choices=Question.Difficulty.values, required=False, allow_null=True, default=None
    )
    numeric_answer = serializers.DecimalField(**NUMBER, required=False, allow_null=True)
    numeric_tolerance = serializers.DecimalField(**NUMBER, min_value=ZERO, default=ZERO)
    accepted_answers = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list, max_length=50
    )

    def validate_subject_id(self, value):
        if value is None:
            return None
        pk = ids.to_pk(ids.SUBJECT, value)
        if pk is None:
            raise serializers.ValidationError("Enter a subject id such as subj_1a.")
        return pk

    def validate(self, data):
        kind, errors = data["type"], {}
        choices, correct = data["choices"], [c for c in data["choices"] if c["is_correct"]]
        T = Question.Type
        if kind in (T.SINGLE, T.MULTIPLE, T.TRUE_FALSE):
            low, high = (2, 2) if kind == T.TRUE_FALSE else (2, 20)
            if not low <= len(choices) <= high:
                errors["choices"] = [
                    f"Give {low} to {high} choices." if low != high else "Give exactly 2 choices."
                ]
            elif kind != T.MULTIPLE and len(correct) != 1:
                errors["choices"] = ["Mark exactly one choice correct."]
            elif not correct:
                errors["choices"] = ["Mark at least one choice correct."]
        elif choices:
            errors["choices"] = ["Only choice questions take choices."]
        if kind == T.NUMERIC and data.get("numeric_answer") is None:
            errors["numeric_answer"] = ["A numeric question needs its answer."]
        if kind != T.NUMERIC and data.get("numeric_answer") is not None:
            errors["numeric_answer"] = ["Only numeric questions take an answer number."]
        if kind == T.SHORT_TEXT and not [a for a in data["accepted_answers"] if a.strip()]:
            errors["accepted_answers"] = ["Give at least one accepted answer."]
        if kind != T.SHORT_TEXT and data["accepted_answers"]:
            errors["accepted_answers"] = ["Only short text questions take accepted answers."]
        if data.get("partial_marks") is not None and kind != T.MULTIPLE:
            errors["partial_marks"] = ["Only multiple choice questions take partial marks."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


# -------------------------------------------------------------------------- submissions


class AnswerWriteSerializer(serializers.Serializer):
    question_id = serializers.CharField(help_text="`qstn_<alphanumeric>`.")
    choice_ids = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        max_length=100,
        help_text="single, true_false: one `chc_` id; multiple: any number. Empty: unanswered.",
    )
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100_000,
        trim_whitespace=False,
        help_text="short_text and essay. Blank: unanswered.",
    )
    number = serializers.DecimalField(
        **NUMBER,
        required=False,
        allow_null=True,
        default=None,
        help_text="numeric (a JSON number or a string). Null: unanswered.",
    )

    def validate_question_id(self, value):
        question_uuid = ids.to_uuid(ids.QUESTION, value)
        if question_uuid is None:
            raise serializers.ValidationError("Enter a question id such as qstn_1a2B3c.")
        return question_uuid

    def validate_choice_ids(self, values):
        pks = [ids.to_pk(ids.CHOICE, value) for value in values]
        if None in pks:
            raise serializers.ValidationError("Enter choice ids such as chc_1a.")
        return pks


class SubmissionWriteSerializer(serializers.Serializer):
    answers = AnswerWriteSerializer(
        many=True,
        max_length=1000,
        help_text="One object per question; a question left out is unanswered.",
    )


class CorrectAnswerSerializer(serializers.Serializer):
    choice_ids = serializers.ListField(child=serializers.CharField())
    number = serializers.DecimalField(
        **NUMBER, coerce_to_string=False, allow_null=True, help_text="numeric questions."
    )
    tolerance = serializers.DecimalField(**NUMBER, coerce_to_string=False, allow_null=True)
    accepted_answers = serializers.ListField(child=serializers.CharField())


class ResultSerializer(serializers.Serializer):
    question_id = serializers.CharField(help_text="`qstn_<alphanumeric>`.")
    result = serializers.ChoiceField(
        choices=["correct", "incorrect", "partial", "unanswered", "pending", "withheld"],
        help_text="`pending`: an essay awaiting an instructor's marks. `withheld` (with null "
        "`marks_awarded`) while the review policy keeps per-question results from this "
        "caller: `results_released` is false.",
    )
    marks_awarded = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="Negative for a wrong answer under negative marking; null when withheld.",
    )
    max_marks = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False)
    correct_answer = CorrectAnswerSerializer(
        allow_null=True, help_text="Null unless `answer_key_released`."
    )
    explanation = serializers.CharField(
        allow_null=True, help_text="Sanitised HTML; null unless `answer_key_released`."
    )


class SubmissionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`sub_<alphanumeric>`.")
    assessment_id = serializers.CharField(help_text="`asmnt_<alphanumeric>`.")
    user_id = serializers.CharField(help_text="`usr_<alphanumeric>`: the learner.")
    attempt_number = serializers.IntegerField(help_text="1 for the learner's first attempt.")
    status = SubmissionStatusField(
        choices=SUBMISSION_STATUSES,
        help_text="`pending_evaluation` while an essay awaits an instructor's marks.",
    )
    score = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        min_value=0,
        max_value=100,
        help_text="Percentage from 0 to 100 (2 decimals): marks / max_marks × 100, "
        "clamped at 0 when negative marking takes the marks below zero (see "
        "`raw_percentage`). Essays awaiting marks count 0 until marked.",
    )
    raw_percentage = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        help_text="The percentage before clamping: negative when the marks are.",
    )
    marks = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        coerce_to_string=False,
        help_text="Sum of the marks awarded (may be negative).",
    )
    max_marks = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False)
    passing_score = serializers.IntegerField(allow_null=True)
    passed = serializers.BooleanField(
        allow_null=True,
        help_text="`score` ≥ `passing_score`; null while `status` is `pending_evaluation` "
        "or when the assessment has no pass mark.",
    )
    submitted_at = serializers.DateTimeField(help_text="ISO 8601.")
    results_released = serializers.BooleanField(
        help_text="Whether the assessment's review policy shows this caller the result and "
        "marks of each question now (admins and instructors: always). The assessment "
        "chooses what a learner's review releases: the score only, the results, or the "
        "results with the key and explanations; and when (after submission, after the last "
        "attempt, after closing, never)."
    )
    answer_key_released = serializers.BooleanField(
        help_text="Whether the assessment's review policy shows this caller the correct "
        "answers and explanations now (admins and instructors: always)."
    )
    results = ResultSerializer(many=True, help_text="One per question, in order.")


STATUS_WORDS = {
    Attempt.State.COMPLETED: "completed",
    Attempt.State.PENDING_EVALUATION: "pending_evaluation",
}


def submission_data(submission, *, review: Review) -> dict:
    """A ``services.Submission`` as ``SubmissionSerializer`` documents it (no query: the
    attempt carries its exam, user and course; the marking its questions and keys), with
    what ``review`` (``lms.access.review_of``) lets the caller see."""
    attempt, marking = submission.attempt, submission.marking
    results = []
    for placement in marking.placements:
        outcome, awarded = submission.results.get(placement.pk, ("unanswered", ZERO))
        question = placement.question
        row = {
            "question_id": ids.of_uuid(ids.QUESTION, question.uuid),
            "result": str(outcome) if review.results else "withheld",
            "marks_awarded": awarded if review.results else None,
            "max_marks": placement.marks,
            "correct_answer": None,
            "explanation": None,
        }
        if review.key:
            numeric = question.type == Question.Type.NUMERIC
            row["correct_answer"] = {
                "choice_ids": [ids.of_pk(ids.CHOICE, pk) for pk in marking.key(question.pk)],
                "number": question.numeric_answer if numeric else None,
                "tolerance": question.numeric_tolerance if numeric else None,
                "accepted_answers": list(question.accepted_answers or []),
            }
            row["explanation"] = clean_html(question.explanation_html)
        results.append(row)
    return {
        "id": ids.of_uuid(ids.SUBMISSION, attempt.uuid),
        "assessment_id": ids.of_uuid(ids.ASSESSMENT, attempt.exam.uuid),
        "user_id": ids.of_uuid(ids.USER, attempt.user.uuid),
        "attempt_number": attempt.attempt_number,
        "status": STATUS_WORDS[attempt.state],
        "score": min(max(attempt.percentage, ZERO), HUNDRED),
        "raw_percentage": attempt.percentage,
        "marks": attempt.score,
        "max_marks": attempt.max_score,
        "passing_score": percent(attempt.exam.pass_percentage),
        "passed": attempt.passed,
        "submitted_at": attempt.completed_at,
        "results_released": review.results,
        "answer_key_released": review.key,
        "results": results,
    }


class StartedAttemptSerializer(serializers.Serializer):
    id = serializers.CharField(
        help_text="`sub_<alphanumeric>`: the id the submission will have once submitted."
    )
    assessment_id = serializers.CharField(help_text="`asmnt_<alphanumeric>`.")
    attempt_number = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    deadline_at = serializers.DateTimeField(
        allow_null=True,
        help_text="started_at + time_limit; null without a time limit. A submission is "
        "accepted until 30 seconds after it.",
    )


def started_data(attempt, exam) -> dict:
    return {
        "id": ids.of_uuid(ids.SUBMISSION, attempt.uuid),
        "assessment_id": ids.of_uuid(ids.ASSESSMENT, exam.uuid),
        "attempt_number": attempt.attempt_number,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
    }
