"""Exams, their sections, the question bank and the questions placed in an exam."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from assessments.html import clean_html
from assessments.kinds import QuestionKind
from lms import access
from lms.models import Course, Subject

ZERO = Decimal("0")


def marks_field(**kwargs):
    """Every mark and score is a Decimal with 2 places (never a float)."""
    return models.DecimalField(max_digits=7, decimal_places=2, **kwargs)


class ExamQuerySet(models.QuerySet):
    def reviewable_by(self, user):
        """Exams ``user`` reviews (``lms.access.exams_reviewable_by``)."""
        return self.filter(access.exams_reviewable_by(user))

    def visible_to(self, user, *, now):
        """Exams ``user`` may look at (``lms.access.exams_visible_to``)."""
        return self.filter(access.exams_visible_to(user, now=now))

    def known_to(self, user, *, now):
        """Exams whose refusals ``user`` is told (``lms.access.exams_known_to``)."""
        return self.filter(access.exams_known_to(user, now=now))


class Exam(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class RankPolicy(models.TextChoices):
        """Which of a learner's completed attempts stands for them in ranks and percentiles."""

        FIRST = "first", "First attempt"
        BEST = "best", "Best attempt"
        LAST = "last", "Last attempt"

    class ReviewContent(models.TextChoices):
        """What the review policy releases to the learner of a finished attempt (the score
        of a finished attempt is never held back): ``lms.access.learner_review``."""

        SCORE = "score", "The score only"
        CORRECTNESS = "correctness", "The score and which answers were right, without the key"
        EVERYTHING = "everything", "Everything: results, the key and explanations"

    class ReviewPolicy(models.TextChoices):
        """When a learner may see the key and the result of each answer of a finished
        attempt (never while it runs; reviewers always). See ``results_released``."""

        AFTER_SUBMIT = "after_submit", "As soon as the attempt is submitted"
        AFTER_LAST_ATTEMPT = "after_last_attempt", "Once no attempt is left, or the exam closed"
        AFTER_CLOSE = "after_close", "Once the exam closed"
        NEVER = "never", "Never"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="exams")
    title = models.CharField(max_length=200, validators=[MinLengthValidator(3)])
    # The exam's id in another system: the webhooks send it as ``item.externalId``.
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    description = models.TextField(blank=True)
    # None means untimed: attempts get no deadline and report no remaining time.
    duration = models.DurationField(null=True, blank=True)
    # None means the exam has no pass mark: results say "NA" instead of Pass/Fail.
    pass_percentage = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    # None means unlimited attempts per learner.
    max_attempts = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    # Attempts may start only inside [opens_at, closes_at); either end may be open.
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    rank_policy = models.CharField(
        max_length=8, choices=RankPolicy.choices, default=RankPolicy.FIRST
    )
    # When learners see keys and per-answer results; the default keeps them hidden while the
    # learner may still retake the exam (a key seen once would answer the next attempt).
    review_policy = models.CharField(
        max_length=20, choices=ReviewPolicy.choices, default=ReviewPolicy.AFTER_LAST_ATTEMPT
    )
    review_content = models.CharField(
        max_length=20, choices=ReviewContent.choices, default=ReviewContent.EVERYTHING
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Last save of the exam's own fields (title, pass mark, dates, status...), for API clients
    # that sync; questions placed later do not move it.
    updated_at = models.DateTimeField(auto_now=True)
    # When marks, negative or partial marks, bonus flags, the questions placed or a key last
    # changed: finished attempts were scored before it and need a rescore. None when every
    # stored result is up to date; a rescore that started after it clears it.
    marking_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The marking (marks, bonus flags and keys) as it was just before it first changed since
    # the results were last up to date (``assessments.services.marking_of``): what a
    # regrade's undo puts back. None while ``marking_changed_at`` is.
    marking_baseline = models.JSONField(null=True, blank=True, editable=False)

    objects = ExamQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("title"), 3), name="exam_title_min_length"
            ),
            models.CheckConstraint(
                condition=Q(pass_percentage__isnull=True)
                | Q(pass_percentage__gte=1, pass_percentage__lte=100),
                name="exam_pass_percentage_range",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__isnull=True) | Q(max_attempts__gte=1),
                name="exam_max_attempts_positive",
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(duration__gt=timedelta(0)),
                name="exam_duration_positive",
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="exam_closes_after_opens",
            ),
        ]

    def __str__(self):
        return self.title

    def is_open_at(self, when) -> bool:
        return (self.opens_at is None or self.opens_at <= when) and (
            self.closes_at is None or when < self.closes_at
        )

    def results_released(self, *, now, attempts_used: int) -> bool:
        """Does the review policy let a learner who has made ``attempts_used`` attempts see
        the keys and per-answer results of their finished attempts at ``now``?"""
        closed = self.closes_at is not None and now >= self.closes_at
        policy = self.ReviewPolicy
        if self.review_policy == policy.AFTER_SUBMIT:
            return True
        if self.review_policy == policy.AFTER_CLOSE:
            return closed
        if self.review_policy == policy.AFTER_LAST_ATTEMPT:
            none_left = self.max_attempts is not None and attempts_used >= self.max_attempts
            return closed or none_left
        return False


class Section(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    # Optional time box for this section alone (None: only the exam's duration applies).
    duration = models.DurationField(null=True, blank=True)

    class Meta:
        ordering = ["exam_id", "order", "id"]

    def __str__(self):
        return f"{self.exam} / {self.title}"


class Question(models.Model):
    """A question of the bank, independent of exams: an exam places it with its own marks."""

    class Type(models.TextChoices):
        """The kinds the marker knows (``assessments.kinds.QuestionKind``)."""

        SINGLE = QuestionKind.SINGLE, "Single choice"
        MULTIPLE = QuestionKind.MULTIPLE, "Multiple choice"
        TRUE_FALSE = QuestionKind.TRUE_FALSE, "True or false"
        NUMERIC = QuestionKind.NUMERIC, "Numeric"
        SHORT_TEXT = QuestionKind.SHORT_TEXT, "Short answer"
        ESSAY = QuestionKind.ESSAY, "Essay"

    class Difficulty(models.TextChoices):
        EASY = "easy", "Easy"
        MEDIUM = "medium", "Medium"
        HARD = "hard", "Hard"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=16, choices=Type.choices)
    # Stored HTML from the authoring tool: sanitise before rendering it in a page.
    text_html = models.TextField()
    explanation_html = models.TextField(blank=True)
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    # None = not labelled; statistics group these in their own bucket.
    difficulty = models.CharField(  # noqa: DJ001 (None = unlabelled, as the API reports it)
        max_length=8, choices=Difficulty.choices, null=True, blank=True
    )
    # NUMERIC only: the expected value and the absolute tolerance around it (inclusive).
    numeric_answer = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    numeric_tolerance = models.DecimalField(
        max_digits=18, decimal_places=6, default=ZERO, validators=[MinValueValidator(0)]
    )
    # SHORT_TEXT only: accepted answers, compared after trimming, case-folding and
    # collapsing whitespace (see attempts.scoring.normalise_text).
    accepted_answers = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(numeric_tolerance__gte=0), name="question_tolerance_non_negative"
            ),
            models.CheckConstraint(
                condition=~Q(type=QuestionKind.NUMERIC) | Q(numeric_answer__isnull=False),
                name="question_numeric_has_answer",
            ),
        ]
        indexes = [models.Index(fields=["type", "difficulty"], name="question_type_difficulty")]

    def __str__(self):
        return f"#{self.pk} {self.get_type_display()}"

    def save(self, *args, **kwargs):
        # Cleaned on the way in, whoever writes (admin, API, import): see assessments.html.
        self.text_html = clean_html(self.text_html)
        self.explanation_html = clean_html(self.explanation_html)
        super().save(*args, **kwargs)

    @property
    def has_choices(self) -> bool:
        return self.type in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE)


class AnswerChoice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text_html = models.TextField()
    # Part of the key; single choice and true/false questions have exactly one.
    is_correct = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["question_id", "order", "id"]

    def __str__(self):
        return self.text_html[:60]

    def save(self, *args, **kwargs):
        self.text_html = clean_html(self.text_html)  # as Question.save does
        super().save(*args, **kwargs)


class ExamQuestion(models.Model):
    """A bank question placed in an exam's section, with the marking that applies there."""

    # Redundant with section.exam but needed for "a question appears once per exam" as a
    # database constraint and for per-exam indexes; clean() keeps the two in step.
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="exam_questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="exam_questions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="placements")
    marks = marks_field(default=Decimal("1.00"))
    # Deducted (as a positive number) for a wrong answer; 0 disables negative marking.
    negative_marks = marks_field(default=ZERO)
    # Multiple choice only: marks per correct option when a learner chose a proper subset
    # of the key and no wrong option (JEE style). None disables partial marking.
    partial_marks = marks_field(null=True, blank=True)
    # Everyone who has the question gets its full marks (a flawed question, say).
    is_bonus = models.BooleanField(default=False)
    # Position within the exam (unique ordering across sections, sections shown in order).
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["exam_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "question"], name="examquestion_unique_question"
            ),
            models.CheckConstraint(
                condition=Q(marks__gte=0), name="examquestion_marks_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(negative_marks__gte=0), name="examquestion_negative_marks_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(partial_marks__isnull=True) | Q(partial_marks__gte=0),
                name="examquestion_partial_marks_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["section", "order"], name="examquestion_section_order")]

    def __str__(self):
        return f"{self.exam} Q{self.order}"

    def clean(self):
        if self.section_id and self.exam_id and self.section.exam_id != self.exam_id:
            raise ValidationError({"section": "The section belongs to another exam."})
