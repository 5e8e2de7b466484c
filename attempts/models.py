"""Attempts and the answers given in them.

An attempt stores its result (counts, score, percentage, passed) on the row, written in the
same transaction as the answers, so that lists sort and filter on indexed columns instead of
aggregating answers. ``attempts.services`` is the only writer of those fields.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from assessments.models import AnswerChoice, Exam, ExamQuestion, marks_field
from attempts.scoring import Outcome
from lms import access

# The attempts that count against the exam's retake limit (``max_attempts``): every one but
# those forgiven. The one definition, for starting an attempt (attempts.services) and for the
# review policy that waits for the last attempt (lms.access, through the queryset).
COUNTS_AGAINST_LIMIT = Q(forgiven_at__isnull=True)
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

    def counting_against_limit(self):
        """The attempts that use up the exam's ``max_attempts`` (``COUNTS_AGAINST_LIMIT``)."""
        return self.filter(COUNTS_AGAINST_LIMIT)

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


class Attempt(models.Model):
    class State(models.IntegerChoices):
        # The integers are part of stored data and of API filters: never renumber them.
        RUNNING = 0, "Running"
        COMPLETED = 1, "Completed"
        PENDING_EVALUATION = 2, "Pending evaluation"
        NOT_STARTED = 3, "Not started"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of their own: each is the first column of indexes below (user: attempt_unique_
    # number, attempt_user_started; exam: the attempt_exam_* ones), which serve its lookups.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="attempts",
        db_index=False,
    )
    exam = models.ForeignKey(
        Exam, on_delete=models.PROTECT, related_name="attempts", db_index=False
    )
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
    # The percentage the attempt had when it was first finished (submitted or finalized;
    # essays still awaiting marks count 0 then), before any rescore or essay mark moved it.
    # Written once by attempts.services and never overwritten; None until then.
    original_percentage = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, editable=False
    )
    # When a reviewer forgave the attempt (attempts.services.attempt_forgive): it stays in
    # lists and statistics, but no longer uses up one of the exam's max_attempts.
    forgiven_at = models.DateTimeField(null=True, blank=True, editable=False)

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
            # The default order of every attempt list, read backwards for newest first. The
            # state (never an ordering key: the id before it is unique) lets a deep page of a
            # list filtered by state (Thought Industries leaves out the not started) find its
            # ids by an index-only scan, without visiting each row it skips.
            models.Index(fields=["started_at", "id", "state"], name="attempt_started"),
            models.Index(fields=["exam", "started_at", "id"], name="attempt_exam_started"),
            models.Index(fields=["exam", "correct_count", "id"], name="attempt_exam_correct"),
            models.Index(fields=["exam", "incorrect_count", "id"], name="attempt_exam_incorrect"),
            models.Index(fields=["exam", "unanswered_count", "id"], name="attempt_exam_unanswered"),
            models.Index(fields=["exam", "partial_count", "id"], name="attempt_exam_partial"),
            models.Index(fields=["exam", "score", "id"], name="attempt_exam_score"),
            models.Index(fields=["exam", "percentage", "id"], name="attempt_exam_percentage"),
            # The orders lists offer over every attempt (the Testpress API's ``ordering``,
            # the admin's sorted columns), read forwards or backwards with the id tiebreak.
            models.Index(fields=["score", "id"], name="attempt_score"),
            models.Index(fields=["correct_count", "id"], name="attempt_correct"),
            models.Index(fields=["incorrect_count", "id"], name="attempt_incorrect"),
            models.Index(fields=["unanswered_count", "id"], name="attempt_unanswered"),
            # Rank and percentile: counts over the ranked population of one exam by score.
            models.Index(
                fields=["exam", "score"], condition=Q(counts_for_rank=True), name="attempt_rank"
            ),
            # The attempt that represents a learner at an exam (the ranked one, else the
            # latest; iSpring's module results): one entry read backwards per (user, exam).
            models.Index(
                fields=["user", "exam", "counts_for_rank", "attempt_number"],
                name="attempt_representative",
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
        return self.overdue(self.state, self.deadline_at, now or timezone.now())

    @staticmethod
    def overdue(state: int, deadline_at, now) -> bool:
        """``is_overdue`` from the fields alone, for exports that read rows as tuples."""
        return state == Attempt.State.RUNNING and deadline_at is not None and now > deadline_at

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
        return self.time_between(
            self.state, self.started_at, self.completed_at, self.deadline_at, now or timezone.now()
        )

    @staticmethod
    def time_between(state: int, started_at, completed_at, deadline_at, now) -> timedelta | None:
        """``time_taken`` from the fields alone, for exports that read rows as tuples."""
        if state == Attempt.State.NOT_STARTED:
            return None
        end = completed_at or now
        if deadline_at is not None:
            end = min(end, deadline_at + DEADLINE_GRACE)
        return max(end - started_at, timedelta(0))

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

    # No index of their own: attempt leads useranswer_unique_question, exam_question leads
    # useranswer_question_result (about 250 MB less to write at 17M answers).
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    exam_question = models.ForeignKey(
        ExamQuestion, on_delete=models.PROTECT, related_name="answers", db_index=False
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
    # Indexed only where set (useranswer_evaluated_by): most answers are marked by the key.
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)
    evaluator_comment = models.TextField(blank=True)
    # An instructor's override of the marks (any kind of question): an input to scoring that
    # beats the key, the evaluation and the bonus flag, so a rescore or regrade keeps it
    # (unless the regrade clears overrides). Between -negative_marks (0 for essays) and the
    # question's marks; who set it, when and why are in the answer's ``MarkChange`` history.
    override_marks = marks_field(null=True, blank=True)
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
            # Evaluation queue: essays awaiting marks, oldest first, in the page's exact order;
            # ``attempt`` rides along so the queue's capped count (attempts.paging.total)
            # reads only this index (an index-only scan, then the attempts by id for their
            # state), not the 1,001 answer rows it counts nor a bitmap of every pending one.
            models.Index(
                fields=["updated_at", "id", "attempt"],
                condition=Q(result="pending"),
                name="useranswer_pending_queue",
            ),
            # Answers an instructor marked (a user's deletion sets them to NULL through it).
            models.Index(
                fields=["evaluated_by"],
                condition=Q(evaluated_by__isnull=False),
                name="useranswer_evaluated_by",
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
        OVERRIDDEN = "overridden", "Marks overridden"  # an instructor set an answer's marks
        REGRADED = "regraded", "Regraded"  # rescored by a regrade (details: its id)
        REGRADE_UNDONE = "regrade_undone", "Regrade undone"  # results put back as before
        EXTENDED = "extended", "Deadline extended"  # an instructor gave a running attempt time
        # Written finished, in bulk: seed_demo --attempts, or results taken on paper
        # (attempts_import_offline; details {"source": OFFLINE_SOURCE}).
        IMPORTED = "imported", "Imported"
        FORGIVEN = "forgiven", "Forgiven"  # by a reviewer: no longer counts against the limit

    OFFLINE_SOURCE = "offline"

    # No index of its own: it leads attemptevent_attempt (attempt, id).
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="events", db_index=False
    )
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
            # The times learners entered their attempts (iSpring's viewsCount): the few
            # started and resumed events among an attempt's many.
            models.Index(
                fields=["attempt"],
                condition=Q(kind__in=["started", "resumed"]),
                name="attemptevent_entered",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · attempt {self.attempt_id}"


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for a write, with the answer it got: a retry of the same
    request (same user, key and fingerprint) gets the stored answer and creates nothing more.

    The unique (user, key) pair settles a race: the second of two requests with one key waits
    on the first's insert, then finds its stored answer. Keys older than ``LIFETIME`` are
    reused as new (the API contract that reads them says how long a key lives).
    """

    LIFETIME = timedelta(hours=24)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and canonical JSON body: the same key with another request
    # is refused rather than answered with another request's result.
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_unique_user_key"),
        ]
        indexes = [
            # Purging expired keys.
            models.Index(fields=["created_at"], name="idempotencykey_created"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.key}"

    def is_expired(self, now) -> bool:
        return now - self.created_at >= self.LIFETIME


class Regrade(models.Model):
    """One regrade of an exam, committed from its preview page: rescores every finished
    attempt with the current key and marks (``attempts.services.regrade_run``), inline or as
    a Celery task, and can be undone once (``regrade_undo``).

    Undo puts back the results the answers had before (from the ``MarkChange`` rows this
    regrade wrote, and the overrides it cleared) and the marking they followed: the marks
    and keys the admin kept just before the change (``Exam.marking_baseline``, in the
    snapshot's "before"). A key changed outside the admin has no such record: it stays as
    edited, and the exam is flagged as changed again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="regrades")
    # Why, in the instructor's words (required): shown on the regrade's page and its events.
    reason = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # True: overridden answers lose their override (and are marked by the key again).
    clear_overrides = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # Progress, for the page's bar: finished attempts to rescore, and how many are done.
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # How many attempts' results changed (known when done).
    changed = models.PositiveIntegerField(null=True, blank=True)
    # The marking the regrade applied, for the record: {"questions": [{exam question's
    # marks, negative and partial marks, bonus flag, the question's key}]}; the marking the
    # results followed before ("before": Exam.marking_baseline; "stale_since"); and, when
    # it clears overrides, {"overrides": {answer id: marks}}: what an undo puts back.
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=F("total")), name="regrade_done_le_total")
        ]

    def __str__(self):
        return f"Regrade of {self.exam} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent_done(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total


class MarkChange(models.Model):
    """One change of an answer's marks or outcome: the answer's history.

    Written by ``attempts.services`` in the same transaction as the change, set-based (one
    INSERT per call): by rescores and regrades for the answers whose result moved, by an
    evaluation or an override for the answer concerned (even when its marks stay), and by a
    regrade's undo. The first marks of an answer (given when it is saved or submitted) are
    its origin, not a change: they are the ``before`` of its first row.
    """

    class Source(models.TextChoices):
        RESCORE = "rescore", "Rescored"  # automatic, after a key or marks change
        EVALUATION = "evaluation", "Evaluated"
        OVERRIDE = "override", "Overridden"
        REGRADE = "regrade", "Regraded"
        UNDO = "undo", "Regrade undone"

    answer = models.ForeignKey(UserAnswer, on_delete=models.CASCADE, related_name="mark_changes")
    # Redundant with answer.attempt: the attempt page reads every history in one query.
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="mark_changes")
    source = models.CharField(max_length=12, choices=Source.choices)
    result_before = models.CharField(max_length=12, choices=UserAnswer.Result.choices)
    marks_before = marks_field()
    result_after = models.CharField(max_length=12, choices=UserAnswer.Result.choices)
    marks_after = marks_field()
    at = models.DateTimeField()
    # Who: the instructor; None for the system (a command, the demo).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The evaluator's or overrider's comment, or the regrade's reason.
    comment = models.TextField(blank=True)
    regrade = models.ForeignKey(
        Regrade, null=True, blank=True, on_delete=models.SET_NULL, related_name="mark_changes"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["attempt", "id"], name="markchange_attempt"),
            models.Index(fields=["answer", "id"], name="markchange_answer"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} · answer {self.answer_id}"


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


# ------------------------------------------------------------------- stored sums (tallies)
#
# Per-exam and per-question histograms of the attempts' stored results, kept by
# ``attempts.tallies`` in the same transaction as every change of a state, score, answer mark
# or ``counts_for_rank`` (``attempts.services``). The exam summary, the courses page and the
# item analysis read them instead of aggregating every attempt and answer on each request.
# Histograms, not moments: their size is bounded by the distinct marks and scores, not by the
# number of attempts, and every figure stays exact (the median, Moodle's discriminative
# efficiency and the top 27% need sorted data). A cell's ``n`` may fall to 0: readers skip it.


class Population(models.IntegerChoices):
    """Which attempts a tally cell counts."""

    # ExamTally: every attempt, by state (score and percentage only for completed ones).
    # QuestionTally, ChoiceTally: the completed attempts (never those pending evaluation).
    ALL = 0, "All"
    # The completed attempts with ``counts_for_rank``: the exam's rank policy's population.
    RANKED = 1, "Ranked"


class ExamTally(models.Model):
    """Attempts of one exam counted by (population, state, score, percentage).

    Score and percentage are the stored ones for a completed attempt and 0 otherwise (a
    running attempt's score moves with every saved answer; only its state is counted), so a
    cell moves only when an attempt's state, result or rank flag does. ``passed`` counts the
    cell's attempts with ``passed`` True.
    """

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    population = models.PositiveSmallIntegerField(choices=Population.choices)
    state = models.PositiveSmallIntegerField(choices=Attempt.State.choices)
    score = marks_field()
    percentage = models.DecimalField(max_digits=6, decimal_places=2)
    n = models.BigIntegerField(default=0)
    passed = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "population", "state", "score", "percentage"],
                name="examtally_cell",
            )
        ]

    def __str__(self):
        return f"{self.exam_id}/{self.population}/{self.state}/{self.score}: {self.n}"


class QuestionTally(models.Model):
    """Answer rows of an exam's completed attempts by (population, exam question, result,
    marks awarded ``x``, the attempt's score ``X``): Moodle's ``x`` and ``X`` of
    ``question/classes/statistics/questions/calculator.php`` as a joint histogram."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    population = models.PositiveSmallIntegerField(choices=Population.choices)
    exam_question = models.ForeignKey(ExamQuestion, on_delete=models.CASCADE, related_name="+")
    result = models.CharField(max_length=12, choices=UserAnswer.Result.choices)
    x = marks_field()
    total = marks_field()  # X
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "population", "exam_question", "result", "x", "total"],
                name="questiontally_cell",
            )
        ]

    def __str__(self):
        return f"{self.exam_question_id}/{self.population}/{self.result}/{self.x}/{self.total}"


class ChoiceTally(models.Model):
    """Picks of one choice in an exam's completed attempts by (population, the picker's
    score ``X``), with the sum of the marks the picking answers got: a choice's count, the
    sums of its point-biserial and its top-27% count all derive from these cells."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    population = models.PositiveSmallIntegerField(choices=Population.choices)
    choice = models.ForeignKey(AnswerChoice, on_delete=models.CASCADE, related_name="+")
    total = marks_field()  # X
    n = models.BigIntegerField(default=0)
    # Sums of marks over many answers outgrow the 7 digits of a marks column.
    marks = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "population", "choice", "total"], name="choicetally_cell"
            )
        ]

    def __str__(self):
        return f"{self.choice_id}/{self.population}/{self.total}: {self.n}"


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Jobs ``user`` may follow and download (``lms.access.export_jobs_visible_to``)."""
        return self.filter(access.export_jobs_visible_to(user))

    def active(self):
        return self.filter(state__in=ExportJob.ACTIVE_STATES)

    def stalled(self, now):
        """Running jobs with no progress for ``settings.EXPORT_STALLED_AFTER`` seconds: their
        worker died (progress is written every few seconds while a job runs)."""
        since = now - timedelta(seconds=settings.EXPORT_STALLED_AFTER)
        return self.filter(state=ExportJob.State.RUNNING, progressed_at__lt=since)


class ExportJob(models.Model):
    """An export of an exam's attempt list written off the request, by the Celery task
    ``attempts.tasks.export_attempts`` (``attempts.export_jobs``): asked for when the list has
    more rows than ``settings.EXPORT_BACKGROUND_ABOVE``. Its page shows the progress, then
    the download (``lms.access.export_jobs_visible_to`` says who may see either).

    The file is set only once completely written (the constraint below): a failed job keeps
    its error and no file. ``manage.py purge_exports`` deletes jobs and files older than
    ``settings.EXPORT_RETENTION_DAYS``."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="export_jobs")
    # The attempt list's query string without page and export (its filters and sort): the
    # rows are those the list shows with it to ``requested_by``, read when the job runs.
    query = models.TextField(blank=True)
    # One more column per exam question: the marks awarded (the list's "?questions=1").
    questions = models.BooleanField(default=False)
    format = models.CharField(max_length=4, choices=Format.choices)
    # The requester's time zone when asked: the times in the file are in it, as in a direct
    # export (spreadsheets have no zones; the header names it).
    time_zone = models.CharField(max_length=64, default="UTC")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    # Progress for the page: the rows to write (counted when the run starts) and those
    # written, updated every ``attempts.export_jobs.PROGRESS_EVERY`` rows.
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # Under MEDIA_ROOT, never served by URL: only ``ExportJobDownloadView`` sends it.
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True, max_length=200)
    # When asked: also the "now" of the rows (overdue states, time so far of running
    # attempts), as a direct export's is the request's.
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # When it last wrote progress (set when it starts): a running job whose worker died stops
    # moving it, and is failed as stalled (``attempts.export_jobs.export_jobs_fail_stalled``).
    progressed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why a failed job failed (the exception's class and message), for its page.
    error = models.TextField(blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The purge reads jobs by age.
            models.Index(fields=["created_at"], name="exportjob_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="done") | Q(file=""), name="exportjob_file_only_when_done"
            ),
        ]

    def __str__(self):
        return f"{self.get_format_display()} export of {self.exam} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def percent_done(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return 0 if not self.rows_total else min(self.rows_done * 100 // self.rows_total, 100)
