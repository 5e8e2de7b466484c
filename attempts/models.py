"""Attempts and the answers given in them.

An attempt stores its result (counts, score, percentage, passed) on the row, written in the
same transaction as the answers, so that lists sort and filter on indexed columns instead of
aggregating answers. ``attempts.services`` is the only writer of those fields.
"""

import uuid
from bisect import bisect_right
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone

from assessments.models import AnswerChoice, Exam, ExamQuestion, marks_field
from attempts.scoring import Outcome
from lms import access

# Answers saved up to this long after the deadline are still accepted: the player autosaves
# the last answer as time runs out and the request needs a moment to arrive. Overdue attempts
# are finalized only after the same grace, so such a late save never races the finalizer; a
# finalized attempt's time taken never exceeds its time allowed plus this grace.
DEADLINE_GRACE = timedelta(seconds=30)


class AttemptQuerySet(models.QuerySet):
    def reviewable_by(self, user):
        """Attempts ``user`` reviews (``lms.access.attempts_reviewable_by``); learners get
        none here, their own attempts come from ``visible_to``."""
        return self.filter(access.attempts_reviewable_by(user))

    def visible_to(self, user):
        """Attempts ``user`` may look at (``lms.access.attempts_visible_to``)."""
        return self.filter(access.attempts_visible_to(user))

    def for_listing(self):
        return self.select_related("user", "exam")

    def completed(self):
        return self.filter(state=Attempt.State.COMPLETED)

    def overdue(self, now):
        """Running past their deadline (``Attempt.is_overdue``)."""
        return self.filter(state=Attempt.State.RUNNING, deadline_at__lt=now)

    def finished(self):
        """Completed or pending evaluation: the attempts that have a stored result."""
        return self.filter(state__in=Attempt.FINISHED_STATES)

    def stale_after_marking_change(self, exam):
        """Finished attempts of ``exam`` scored before its marking last changed (none when
        it did not): what a rescore would recompute."""
        if exam.marking_changed_at is None:
            return self.none()
        return self.finished().filter(exam=exam)

    def rank_table(self, exam_id: int) -> "RankTable":
        """Ranks of one exam for any score, from ONE grouped query over the ranked population.

        The definition of ``attempts.statistics.standing`` (rank = 1 + the ranked attempts
        scoring strictly more), for a whole page or export at once: the population's scores
        are grouped (an index-only pass over the ``attempt_rank`` partial index; distinct
        scores are few), then each row's rank is a lookup, never a count per row.
        """
        counts = (
            self.filter(exam_id=exam_id, counts_for_rank=True)
            .values("score")
            .annotate(n=Count("pk"))
            .order_by("-score")
        )
        return RankTable([(row["score"], row["n"]) for row in counts])


class RankTable:
    """Rank of any score among a population given as (score, how many) pairs, best first."""

    def __init__(self, score_counts):
        scores, at_or_above, total = [], [], 0
        for score, count in score_counts:
            total += count
            scores.append(score)
            at_or_above.append(total)
        self._scores = scores[::-1]  # ascending, for bisect
        self._at_or_above = at_or_above[::-1]
        self.population = total

    def rank(self, score) -> int:
        """1 + the number of attempts with a strictly higher score (ties share a rank)."""
        index = bisect_right(self._scores, score)  # the first strictly higher score
        return 1 + (self._at_or_above[index] if index < len(self._scores) else 0)


class Attempt(models.Model):
    class State(models.IntegerChoices):
        # The integers are part of stored data and of API filters: never renumber them.
        RUNNING = 0, "Running"
        COMPLETED = 1, "Completed"
        PENDING_EVALUATION = 2, "Pending evaluation"
        NOT_STARTED = 3, "Not started"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts")
    # 1 for a learner's first attempt at the exam, 2 for the next, ...
    attempt_number = models.PositiveIntegerField(default=1)
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.NOT_STARTED)
    # When the attempt was first started (for NOT_STARTED: when it was opened). The API's
    # "date"; lists order and filter by it, so it is never null.
    started_at = models.DateTimeField(default=timezone.now)
    # Last time the learner (re)entered a running attempt; None until the first start.
    last_started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Last time any answer of this attempt was saved.
    last_answer_at = models.DateTimeField(null=True, blank=True)
    # started_at + exam.duration; None for untimed exams. Answers after it are refused.
    deadline_at = models.DateTimeField(null=True, blank=True)
    # Optional id of this attempt in the customer's own system (Testpress's institute_attempt_id).
    institute_attempt_id = models.PositiveBigIntegerField(null=True, blank=True)

    # ---- Stored result, written by attempts.services on submit / evaluate / rescore. ----
    # Invariant (a check constraint): correct + incorrect + partial + unanswered + pending
    # == total_questions.
    total_questions = models.PositiveIntegerField(default=0)
    correct_count = models.PositiveIntegerField(default=0)
    incorrect_count = models.PositiveIntegerField(default=0)
    partial_count = models.PositiveIntegerField(default=0)
    unanswered_count = models.PositiveIntegerField(default=0)
    # Essays answered but not yet marked by an instructor.
    pending_count = models.PositiveIntegerField(default=0)
    # Sum of marks awarded; negative marking can make it negative.
    score = marks_field(default=0)
    # Sum of the marks of every question of the exam (bonus questions included).
    max_score = marks_field(default=0)
    # score / max_score * 100, half-up to 2 places; negative when the score is.
    percentage = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    # None while not completed, or when the exam has no pass mark.
    passed = models.BooleanField(null=True, blank=True)
    # True on the one completed attempt that stands for its learner in this exam's ranks
    # (chosen by exam.rank_policy); rank and percentile count only these rows, through a
    # partial index on (exam, score).
    counts_for_rank = models.BooleanField(default=False)

    objects = AttemptQuerySet.as_manager()

    # The stored result, written together by attempts.services (submit, evaluate, rescore).
    RESULT_FIELDS = (
        "total_questions",
        "correct_count",
        "incorrect_count",
        "partial_count",
        "unanswered_count",
        "pending_count",
        "score",
        "max_score",
        "percentage",
        "passed",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        permissions = [
            # What makes a staff account an admin outside the Django admin (lms.access).
            ("view_all_attempts", "Can see every course's attempts, learners and exports"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exam", "attempt_number"], name="attempt_unique_number"
            ),
            # At most one running attempt per learner and exam: starting again resumes it.
            models.UniqueConstraint(
                fields=["user", "exam"],
                condition=Q(state=0),
                name="attempt_one_running_per_exam",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(completed_at__gte=F("started_at")),
                name="attempt_completed_after_started",
            ),
            models.CheckConstraint(
                condition=Q(attempt_number__gte=1), name="attempt_number_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_score__gte=0), name="attempt_max_score_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(
                    total_questions=F("correct_count")
                    + F("incorrect_count")
                    + F("partial_count")
                    + F("unanswered_count")
                    + F("pending_count")
                ),
                name="attempt_counts_add_up",
            ),
        ]
        indexes = [
            models.Index(fields=["exam", "state", "started_at"], name="attempt_exam_state_started"),
            models.Index(fields=["user", "started_at"], name="attempt_user_started"),
            models.Index(fields=["started_at", "id"], name="attempt_started"),
            models.Index(fields=["exam", "started_at", "id"], name="attempt_exam_started"),
            models.Index(fields=["exam", "correct_count", "id"], name="attempt_exam_correct"),
            models.Index(fields=["exam", "incorrect_count", "id"], name="attempt_exam_incorrect"),
            models.Index(fields=["exam", "unanswered_count", "id"], name="attempt_exam_unanswered"),
            models.Index(fields=["exam", "partial_count", "id"], name="attempt_exam_partial"),
            models.Index(fields=["exam", "score", "id"], name="attempt_exam_score"),
            models.Index(fields=["exam", "percentage", "id"], name="attempt_exam_percentage"),
            # Rank and percentile: counts over the ranked population of one exam by score.
            models.Index(
                fields=["exam", "score"], condition=Q(counts_for_rank=True), name="attempt_rank"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.exam} #{self.attempt_number}"

    # Submitted (or finalized): the attempt has a stored result, final or awaiting essays.
    FINISHED_STATES = (State.COMPLETED, State.PENDING_EVALUATION)

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED_STATES

    # What pages and the admin say of an attempt that has no pass or fail (yet).
    UNDECIDED_RESULT = {
        State.RUNNING: "In progress",
        State.PENDING_EVALUATION: "Awaiting marking",
        State.NOT_STARTED: "Not started",
    }

    @property
    def result_label(self) -> str:
        """Pass / Fail once completed; "No pass mark" when the exam has none; else what the
        attempt is waiting for (contracts have their own words: see their labels)."""
        if self.state != self.State.COMPLETED:
            return self.UNDECIDED_RESULT[self.state]
        if self.passed is None:
            return "No pass mark"
        return "Pass" if self.passed else "Fail"

    @property
    def answered_count(self) -> int:
        return self.total_questions - self.unanswered_count

    def is_overdue(self, now=None) -> bool:
        """Running past its deadline: the learner can no longer answer, the attempt awaits
        the finalizer (or an instructor's "finalize now" or extension)."""
        return (
            self.state == self.State.RUNNING
            and self.deadline_at is not None
            and (now or timezone.now()) > self.deadline_at
        )

    def state_label(self, now=None) -> str:
        """What pages call the state: "Overdue" for a running attempt past its deadline (the
        API contracts keep their own state words)."""
        return "Overdue" if self.is_overdue(now) else self.get_state_display()

    @property
    def display_state(self) -> str:
        """``state_label`` now, for templates."""
        return self.state_label()

    def time_taken(self, now=None) -> timedelta | None:
        """Completed − started; so far while running; None when never started.

        Never more than the time allowed plus ``DEADLINE_GRACE``: an attempt left running
        past its deadline (or closed late, before the services capped ``completed_at``)
        stopped counting time at the deadline, whatever the clock says since."""
        if self.state == self.State.NOT_STARTED:
            return None
        end = self.completed_at or now or timezone.now()
        if self.deadline_at is not None:
            end = min(end, self.deadline_at + DEADLINE_GRACE)
        return max(end - self.started_at, timedelta(0))

    def remaining_time(self, now=None) -> timedelta | None:
        """Time left to the deadline (zero once past or finished); None when untimed."""
        if self.deadline_at is None:
            return None
        if self.is_finished:
            return timedelta(0)
        return max(self.deadline_at - (now or timezone.now()), timedelta(0))


class UserAnswer(models.Model):
    class Result(models.TextChoices):
        """Outcomes of marking (attempts.scoring.Outcome)."""

        CORRECT = Outcome.CORRECT, "Correct"
        INCORRECT = Outcome.INCORRECT, "Incorrect"
        PARTIAL = Outcome.PARTIAL, "Partly correct"
        UNANSWERED = Outcome.UNANSWERED, "Unanswered"
        PENDING = Outcome.PENDING, "Pending"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    exam_question = models.ForeignKey(
        ExamQuestion, on_delete=models.PROTECT, related_name="answers"
    )
    # Choices the learner marked (single/multiple/true-false); services check each belongs
    # to the answer's question.
    selected_choices = models.ManyToManyField(AnswerChoice, blank=True, related_name="+")
    text_response = models.TextField(blank=True)  # short text and essay answers
    numeric_response = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    # Outcome of marking (attempts.scoring); PENDING for an essay awaiting an instructor.
    result = models.CharField(max_length=12, choices=Result.choices, default=Outcome.UNANSWERED)
    # Marks this answer contributes to the score (negative under negative marking).
    marks_awarded = marks_field(default=0)
    # Seconds the learner spent on the question, summed over visits.
    time_spent_seconds = models.PositiveIntegerField(default=0)
    # "Mark for review" in the exam player (Testpress's "review").
    is_flagged = models.BooleanField(default=False)
    # Learner said they guessed; None when the player did not ask (Testpress's "guessed").
    is_guessed = models.BooleanField(null=True, blank=True)
    # Essay evaluation: the marks an instructor gave (input to scoring, kept so rescoring
    # reproduces them), who gave them, when, and their comment to the learner.
    evaluated_marks = marks_field(null=True, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)
    evaluator_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "exam_question"], name="useranswer_unique_question"
            ),
            models.CheckConstraint(
                condition=Q(evaluated_marks__isnull=True) | Q(evaluated_marks__gte=0),
                name="useranswer_evaluated_marks_non_negative",
            ),
        ]
        indexes = [
            # Question statistics of an exam summary: share of each result per exam question.
            models.Index(fields=["exam_question", "result"], name="useranswer_question_result"),
            # Evaluation queue: essays awaiting marks, oldest first.
            models.Index(
                fields=["updated_at"], condition=Q(result="pending"), name="useranswer_pending"
            ),
        ]

    def __str__(self):
        return f"{self.attempt} / Q{self.exam_question_id}"


class AttemptEvent(models.Model):
    """One change of an attempt's state or stored result: the outbox and the audit trail.

    ``attempts.services`` appends exactly one row per attempt for each change it makes, in the
    same transaction as the change, so nothing is lost if the process dies after the commit.
    Webhook delivery reads these rows in ``id`` order; the attempt pages show them as the
    attempt's history. Never updated or deleted by the product (they go with their attempt).
    """

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"  # created not started (the learner opened the exam)
        STARTED = "started", "Started"
        RESUMED = "resumed", "Resumed"  # re-entered while running
        ANSWER_SAVED = "answer_saved", "Answer saved"  # while running; live totals moved
        SUBMITTED = "submitted", "Submitted"  # by the learner
        FINALIZED = "finalized", "Finalized"  # closed by the system or an admin (overdue)
        EVALUATED = "evaluated", "Essay evaluated"
        RESCORED = "rescored", "Rescored"  # after a change of marks or key
        EXTENDED = "extended", "Deadline extended"  # an instructor gave a running attempt time
        IMPORTED = "imported", "Imported"  # written finished, in bulk (seed_demo --attempts)

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # None before the attempt existed (opened, started afresh, imported).
    state_before = models.PositiveSmallIntegerField(choices=Attempt.State.choices, null=True)
    state_after = models.PositiveSmallIntegerField(choices=Attempt.State.choices)
    # The stored score around the change (live "so far" totals while running).
    score_before = marks_field(null=True)
    score_after = marks_field()
    at = models.DateTimeField()
    # Who caused it: the learner, an instructor, an admin; None for the system (a command,
    # the overdue finalizer, the demo's bulk import).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What else the change concerns, e.g. {"exam_question": 12, "result": "correct",
    # "marks": "4.00"} for a saved or evaluated answer. Values are JSON (marks as strings).
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # An attempt's history, in order.
            models.Index(fields=["attempt", "id"], name="attemptevent_attempt"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · attempt {self.attempt_id}"


class Accommodation(models.Model):
    """Extra time one learner gets on one exam (a documented need, a late start), applied
    when they start an attempt: time allowed = duration × ``time_multiplier`` +
    ``extra_minutes``. Written by ``attempts.services.accommodation_set``; attempts already
    running keep their deadline (an instructor extends those one by one)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accommodations"
    )
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="accommodations")
    # 1.50 is "time and a half"; 1.00 adds nothing.
    time_multiplier = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))],
    )
    # Added after the multiplier; at most a day.
    extra_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(1440)])
    note = models.CharField(max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "exam"], name="accommodation_unique"),
            models.CheckConstraint(
                condition=Q(time_multiplier__gte=1) & Q(time_multiplier__lte=5),
                name="accommodation_multiplier_range",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.exam}: ×{self.time_multiplier} +{self.extra_minutes} min"

    def time_allowed(self, duration: timedelta) -> timedelta:
        """Duration × multiplier (whole seconds, rounded down) + extra minutes: 60 minutes
        at 1.5 plus 10 minutes is 100 minutes (tests/attempts/test_time_given.py)."""
        seconds = int(Decimal(duration.total_seconds()) * self.time_multiplier)
        return timedelta(seconds=seconds, minutes=self.extra_minutes)
