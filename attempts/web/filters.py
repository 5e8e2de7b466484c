"""Filters of the attempt list page (django-filter). The date filters are the neutral ones of
``attempts.filters``, which the API shares: a day stands for the whole day at either end."""

import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from assessments.models import Exam, ExamQuestion
from attempts.filters import StartedFromFilter, StartedUntilFilter
from attempts.models import Attempt, UserAnswer
from lms import access
from lms.models import Course, User


class DateInput(forms.DateInput):
    input_type = "date"


class NumberInput(forms.NumberInput):
    def __init__(self, attrs=None):
        super().__init__({"step": "0.01", **(attrs or {})})


class AttemptListFilter(filters.FilterSet):
    """Filters of the attempt list page. Each field is labelled; an invalid value is reported
    beside its field (the view shows no table then, never a silently empty one)."""

    RESULT_CHOICES = (("pass", "Passed"), ("fail", "Failed"))
    WHICH_CHOICES = (
        ("first", "First attempt"),
        ("last", "Last attempt"),
        ("best", "Best finished attempt"),
    )

    learner = filters.CharFilter(
        label="Learner", method="filter_learner", help_text="Name, username or email"
    )
    state = filters.ChoiceFilter(choices=Attempt.State.choices, label="State")
    which = filters.ChoiceFilter(
        choices=WHICH_CHOICES,
        label="Attempts",
        method="filter_which",
        empty_label="Every attempt",
        help_text="Per learner",
    )
    started_from = StartedFromFilter(label="Started from", widget=DateInput)
    started_until = StartedUntilFilter(label="Started until", widget=DateInput)
    result = filters.ChoiceFilter(choices=RESULT_CHOICES, label="Result", method="filter_result")
    # The digits and places of the score column (``marks_field``): a value it cannot hold
    # (``-1e999999``, ``1e-999999``) is a field error here, not PostgreSQL's numeric overflow.
    score_min = filters.NumberFilter(
        field_name="score",
        lookup_expr="gte",
        label="Score at least",
        widget=NumberInput,
        max_digits=7,
        decimal_places=2,
    )
    score_max = filters.NumberFilter(
        field_name="score",
        lookup_expr="lte",
        label="Score at most",
        widget=NumberInput,
        max_digits=7,
        decimal_places=2,
    )

    class Meta:
        model = Attempt
        fields = []

    def filter_learner(self, queryset, name, value):
        value = value.strip()
        matching = User.objects.filter(
            Q(username__icontains=value)
            | Q(email__icontains=value)
            | Q(display_name__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        ).values("pk")
        # Users first, then their attempts through the (user, started_at) index.
        return queryset.filter(user_id__in=matching)

    def filter_result(self, queryset, name, value):
        return queryset.filter(passed=(value == "pass"))

    def filter_which(self, queryset, name, value):
        """One attempt per learner (of those the other filters keep):

        - first: attempt number 1;
        - last: no attempt of the same learner and exam has a higher number;
        - best: a finished attempt with no finished attempt of the same learner and exam
          scoring more, nor scoring the same with a lower number (the "best" rank policy's
          order: the earlier attempt wins a tie).
        """
        if value == "first":
            return queryset.filter(attempt_number=1)
        same = Attempt.objects.filter(user_id=OuterRef("user_id"), exam_id=OuterRef("exam_id"))
        if value == "last":
            return queryset.filter(
                ~Exists(same.filter(attempt_number__gt=OuterRef("attempt_number")))
            )
        better = same.finished().filter(
            Q(score__gt=OuterRef("score"))
            | Q(score=OuterRef("score"), attempt_number__lt=OuterRef("attempt_number"))
        )
        return queryset.filter(state__in=Attempt.FINISHED_STATES).filter(~Exists(better))


def _courses(request):
    return Course.objects.filter(access.courses_reviewable_by(request.user)).order_by("title")


def _exams(request):
    return Exam.objects.reviewable_by(request.user).order_by("title", "id")


def _questions(request):
    return ExamQuestion.objects.filter(exam__in=Exam.objects.reviewable_by(request.user))


class EvaluationQueueFilter(filters.FilterSet):
    """The evaluation queue by course, exam and exam question, each limited to what the
    reviewer reviews (another course's id is "not one of the available choices", a 400).
    The question is asked by id (the "grade this question" links carry it): listing every
    question of every exam in a menu would not scale."""

    course = filters.ModelChoiceFilter(
        queryset=_courses, field_name="attempt__exam__course", label="Course"
    )
    exam = filters.ModelChoiceFilter(queryset=_exams, field_name="attempt__exam", label="Exam")
    question = filters.ModelChoiceFilter(
        queryset=_questions,
        field_name="exam_question",
        label="Question id",
        widget=forms.NumberInput,
    )

    class Meta:
        model = UserAnswer
        fields = []
