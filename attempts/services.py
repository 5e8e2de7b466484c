"""Writes of the attempt lifecycle: start, save answer, submit, finalize, evaluate, rescore.

Each service is keyword-only, runs in one transaction and refuses with an
``attempts.errors.AttemptError`` subclass (never a bare exception the views would turn into a
500). Scoring itself is ``attempts.scoring`` (pure); ``attempts.marking`` loads its inputs.

Invariants the services keep:

- A finished attempt (completed or pending evaluation) has exactly one ``UserAnswer`` row per
  exam question, each storing its outcome and marks, and the attempt row stores the totals,
  so lists and statistics read stored values.
- ``Attempt.counts_for_rank`` marks, per learner and exam, the one completed attempt chosen by
  the exam's rank policy (see ``refresh_rank_population``).
- This module is the one transition point: every change of an attempt's state or stored
  result happens here and appends exactly one ``AttemptEvent`` per attempt changed, in the
  same transaction (``record``/``score_attempts``). No signals; nothing else writes them.
"""

import contextlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Least, RowNumber
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question
from assessments.services import (
    exam_marking_settled,
    exams_marking_changed,
    exams_marking_changing,
    exams_placing,
    marking_restore,
)
from attempts.errors import (
    AttemptLimitError,
    AttemptNotRunningError,
    ConflictError,
    DeadlinePassedError,
    ExamNotOpenError,
    InvalidAnswerError,
    NotAllowedError,
)
from attempts.marking import (
    ExamMarking,
    exam_marking,
    exam_rules,
    marking_snapshot,
    rule_for,
    stored_responses,
    stored_results,
)
from attempts.models import (
    COUNTS_AGAINST_LIMIT,
    Accommodation,
    Attempt,
    AttemptEvent,
    MarkChange,
    Regrade,
    UserAnswer,
)
from attempts.models import DEADLINE_GRACE as models_grace
from attempts.scoring import (
    MarkingRule,
    Outcome,
    Response,
    ScoringError,
    fitted,
    override_range,
    percentage,
    score_answer,
    summarise,
)
from attempts.tallies import exam_sums_rebuild, learners_at, moving
from lms import access
from lms.models import Enrollment, User

# Defined beside the model (its time taken is capped by it); re-exported for the callers here.
DEADLINE_GRACE = models_grace

RESULT_FIELDS = ["state", "completed_at", *Attempt.RESULT_FIELDS]

RANK_ORDER = {
    Exam.RankPolicy.FIRST: ("attempt_number",),
    Exam.RankPolicy.LAST: ("-attempt_number",),
    # Best score; the earlier attempt wins a tie so a learner's standing never moves sideways.
    Exam.RankPolicy.BEST: ("-score", "attempt_number"),
}


Kind = AttemptEvent.Kind


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", actor)


def event(
    attempt_id: int,
    kind: str = Kind.RESCORED,
    *,
    before: tuple[int | None, Decimal | None],
    after: tuple[int, Decimal],
    now: datetime,
    actor=None,
    **details,
) -> AttemptEvent:
    """An unsaved event: ``before``/``after`` are (state, score) around the change."""
    return AttemptEvent(
        attempt_id=attempt_id,
        kind=kind,
        state_before=before[0],
        score_before=before[1],
        state_after=after[0],
        score_after=after[1],
        at=now,
        actor_id=_actor_id(actor),
        details=details,
    )


def record(*events: AttemptEvent) -> None:
    """Append events (in the caller's transaction): one INSERT whatever their number."""
    AttemptEvent.objects.bulk_create(events, batch_size=1000)


# ---------------------------------------------------------------------------------- start


@transaction.atomic
def attempt_open(
    *, user, exam: Exam, now: datetime | None = None, institute_attempt_id: int | None = None
) -> Attempt:
    """Create a not-started attempt: the learner opened the exam but has not begun.

    Refused as ``attempt_start`` refuses. Returns the learner's open or running attempt
    when there is one (opening twice creates nothing). ``attempt_start`` later starts it.
    """
    now = _now(now)
    waiting = _waiting(user=user, exam=exam)
    if waiting is not None:
        return waiting
    with moving(learners_at(exam.pk, [user.pk])):
        return _create(
            user=user,
            exam=exam,
            now=now,
            state=Attempt.State.NOT_STARTED,
            institute_attempt_id=institute_attempt_id,
        )


@transaction.atomic
def attempt_start(
    *, user, exam: Exam, now: datetime | None = None, institute_attempt_id: int | None = None
) -> Attempt:
    """Start an attempt, or resume the learner's running one.

    Refused unless the learner is actively enrolled in the exam's course, the exam is
    published and open at ``now``, and the learner has attempts left (``max_attempts``).
    A running attempt past its deadline is submitted first, then a new one may start; an
    opened (not started) attempt is started rather than a new one numbered.
    The partial unique constraint (one running attempt per learner and exam) settles a race
    between two starts: the loser gets the winner's attempt.
    """
    now = _now(now)
    waiting = _waiting(user=user, exam=exam)
    running = waiting if waiting and waiting.state == Attempt.State.RUNNING else None
    opened = waiting if waiting and waiting.state == Attempt.State.NOT_STARTED else None
    if running is not None and (
        running.deadline_at is None or now <= running.deadline_at + DEADLINE_GRACE
    ):
        Attempt.objects.filter(pk=running.pk).update(last_started_at=now)
        running.last_started_at = now
        state = (Attempt.State.RUNNING, running.score)
        record(event(running.pk, Kind.RESUMED, before=state, after=state, now=now, actor=user))
        return running
    # Starting (or submitting an overdue attempt first) moves the learner's state counts.
    with moving(learners_at(exam.pk, [user.pk])):
        if running is not None:
            attempt_submit(attempt=running, now=now)
            opened = None
        if opened is not None:
            _check_may_start(user=user, exam=exam, now=now)
            return _start_opened(opened, exam=exam, now=now, actor=user)
        return _create(
            user=user,
            exam=exam,
            now=now,
            state=Attempt.State.RUNNING,
            institute_attempt_id=institute_attempt_id,
        )


def _create(*, user, exam: Exam, now: datetime, state: int, institute_attempt_id) -> Attempt:
    """A new attempt, numbered after the learner's others, running or opened."""
    _check_may_start(user=user, exam=exam, now=now)
    # The next number follows every attempt; the limit counts those not forgiven.
    numbers = Attempt.objects.filter(user=user, exam=exam).aggregate(
        last=Max("attempt_number"), used=Count("pk", filter=COUNTS_AGAINST_LIMIT)
    )
    if exam.max_attempts is not None and numbers["used"] >= exam.max_attempts:
        # A concurrent start may have taken the last attempt since this one looked for a
        # running attempt: that attempt is the caller's to resume, not a refusal.
        winner = _waiting(user=user, exam=exam)
        if winner is not None:
            return winner
        raise AttemptLimitError(
            f"You have used all {exam.max_attempts} attempts allowed for “{exam.title}”."
        )
    totals = ExamQuestion.objects.filter(exam=exam).aggregate(n=Count("id"), marks=Sum("marks"))
    running = state == Attempt.State.RUNNING
    deadline, given = _deadline(user=user, exam=exam, now=now) if running else (None, {})
    attempt = Attempt(
        user=user,
        exam=exam,
        attempt_number=(numbers["last"] or 0) + 1,
        state=state,
        started_at=now,
        last_started_at=now if running else None,
        deadline_at=deadline,
        institute_attempt_id=institute_attempt_id,
        total_questions=totals["n"],
        unanswered_count=totals["n"],
        max_score=totals["marks"] or Decimal("0"),
    )
    try:
        with transaction.atomic():
            attempt.save()
    except IntegrityError:
        # Another request started (or numbered) an attempt in between: resume that one.
        winner = _waiting(user=user, exam=exam)
        if winner is None:
            raise ConflictError(
                "Another attempt was started at the same time; try again."
            ) from None
        return winner
    kind = Kind.STARTED if running else Kind.OPENED
    record(
        event(
            attempt.pk,
            kind,
            before=(None, None),
            after=(state, attempt.score),
            now=now,
            actor=user,
            **given,
        )
    )
    return attempt


def _waiting(*, user, exam: Exam) -> Attempt | None:
    """The learner's running attempt, else their opened one (RUNNING sorts first)."""
    return (
        Attempt.objects.filter(
            user=user, exam=exam, state__in=[Attempt.State.RUNNING, Attempt.State.NOT_STARTED]
        )
        .order_by("state", "-attempt_number")
        .first()
    )


def _start_opened(attempt: Attempt, *, exam: Exam, now: datetime, actor) -> Attempt:
    """Start an opened attempt: its time starts now (the deadline counts from here)."""
    deadline, given = _deadline(user=attempt.user_id, exam=exam, now=now)
    moved = Attempt.objects.filter(pk=attempt.pk, state=Attempt.State.NOT_STARTED).update(
        state=Attempt.State.RUNNING, started_at=now, last_started_at=now, deadline_at=deadline
    )
    if moved:
        record(
            event(
                attempt.pk,
                Kind.STARTED,
                before=(Attempt.State.NOT_STARTED, attempt.score),
                after=(Attempt.State.RUNNING, attempt.score),
                now=now,
                actor=actor,
                **given,
            )
        )
    return Attempt.objects.get(pk=attempt.pk)


def _deadline(*, user, exam: Exam, now: datetime) -> tuple[datetime | None, dict]:
    """When an attempt started ``now`` ends (None when untimed): the exam's duration,
    stretched by the learner's accommodation on it if any (one query, only for a timed exam),
    and the details its STARTED event records of that accommodation."""
    if not exam.duration:
        return None, {}
    accommodation = Accommodation.objects.filter(user=user, exam=exam).first()
    if accommodation is None:
        return now + exam.duration, {}
    allowed = accommodation.time_allowed(exam.duration)
    given = {
        "accommodation": {
            "time_multiplier": str(accommodation.time_multiplier),
            "extra_minutes": accommodation.extra_minutes,
            "seconds_allowed": int(allowed.total_seconds()),
        }
    }
    return now + allowed, given


def _check_may_start(*, user, exam: Exam, now: datetime) -> None:
    enrollment = Enrollment.objects.filter(user=user, course_id=exam.course_id).first()
    if enrollment is None or not enrollment.is_active_at(now):
        raise NotAllowedError(f"You are not actively enrolled in the course of “{exam.title}”.")
    if exam.status != Exam.Status.PUBLISHED:
        raise ExamNotOpenError(f"“{exam.title}” is not published.")
    if not exam.is_open_at(now):
        raise ExamNotOpenError(f"“{exam.title}” is not open for attempts now.")


# ---------------------------------------------------------------------------- save answer


@transaction.atomic
def attempt_save_answer(
    *,
    attempt: Attempt,
    exam_question: ExamQuestion,
    choice_ids: Iterable[int] = (),
    text: str = "",
    number: Decimal | None = None,
    time_spent_seconds: int = 0,
    flagged: bool | None = None,
    guessed: bool | None = None,
    now: datetime | None = None,
) -> UserAnswer:
    """Save (insert or replace) the learner's answer to one question of a running attempt.

    ``time_spent_seconds`` is the time of this visit; it is added to what the answer already
    records. ``flagged``/``guessed`` left as None keep their stored value. The answer is
    marked at once, so the statistics of a running attempt are live.
    """
    now = _now(now)
    # The locked attempt row serializes every save of this attempt (and its submit), so the
    # answer row and the running totals below are read and written without races. (Reading
    # the stored answer in the same statement, a LEFT JOIN, saved a round trip but cost more
    # in building the query than it saved: 1.6 ms against 1.4 ms a call on PostgreSQL.)
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.state != Attempt.State.RUNNING:
        raise AttemptNotRunningError(
            f"This attempt is {attempt.get_state_display().lower()}: answers can no longer change."
        )
    if attempt.deadline_at is not None and now > attempt.deadline_at + DEADLINE_GRACE:
        raise DeadlinePassedError("Time is up for this attempt: the answer was not saved.")
    if exam_question.exam_id != attempt.exam_id:
        raise InvalidAnswerError(
            "This question is not part of the attempt's exam.", field="question"
        )
    if time_spent_seconds < 0:
        raise InvalidAnswerError("Time spent cannot be negative.", field="time_spent_seconds")
    choices = _choices_of(exam_question)
    chosen = _checked_choices(exam_question.question, choices, choice_ids)
    rule = rule_for(exam_question, frozenset(pk for pk, correct in choices.items() if correct))
    try:
        marked = score_answer(rule, Response(chosen=frozenset(chosen), text=text, number=number))
    except ScoringError as error:
        raise InvalidAnswerError(str(error), field="answer") from error

    answer = UserAnswer.objects.filter(attempt=attempt, exam_question=exam_question).first()
    created = answer is None
    if created:
        answer = UserAnswer(attempt=attempt, exam_question=exam_question, created_at=now)
        before = (Outcome.UNANSWERED, Decimal("0"))
    else:
        before = (answer.result, answer.marks_awarded)
    answer.text_response = text or ""
    answer.numeric_response = number
    answer.time_spent_seconds += time_spent_seconds
    if flagged is not None:
        answer.is_flagged = flagged
    if guessed is not None:
        answer.is_guessed = guessed
    answer.result, answer.marks_awarded = marked.outcome, marked.marks
    answer.updated_at = now
    answer.save(force_insert=created)
    if created:
        UserAnswer.selected_choices.through.objects.bulk_create(
            [
                UserAnswer.selected_choices.through(useranswer_id=answer.pk, answerchoice_id=pk)
                for pk in chosen
            ]
        )
    else:
        answer.selected_choices.set(chosen)
    score = _store_running_totals(
        attempt, before=before, after=(marked.outcome, marked.marks), now=now
    )
    running = Attempt.State.RUNNING
    record(
        event(
            attempt.pk,
            Kind.ANSWER_SAVED,
            before=(running, attempt.score),
            after=(running, score),
            now=now,
            actor=attempt.user_id,
            exam_question=exam_question.pk,
            result=str(marked.outcome),
            marks=str(marked.marks),
        )
    )
    return answer


def _choices_of(exam_question: ExamQuestion) -> dict[int, bool]:
    """The question's choices (id -> is correct): one query serves both the check and the
    key, kept on the ``exam_question`` object the caller passes (its marks and question are
    read from that object too), so a caller saving one placement many times (the demo's
    play) reads them once. Only attempt_save_answer uses it, on a fresh object per request
    elsewhere."""
    cached = getattr(exam_question, "_answer_choices", None)
    if cached is None:
        cached = dict(
            AnswerChoice.objects.filter(question_id=exam_question.question_id).values_list(
                "pk", "is_correct"
            )
        )
        exam_question._answer_choices = cached
    return cached


COUNT_FIELDS = {
    Outcome.CORRECT: "correct_count",
    Outcome.INCORRECT: "incorrect_count",
    Outcome.PARTIAL: "partial_count",
    Outcome.UNANSWERED: "unanswered_count",
    Outcome.PENDING: "pending_count",
}


def _store_running_totals(attempt: Attempt, *, before, after, now: datetime) -> Decimal:
    """Keep a running attempt's stored counts and score "so far", so lists and the API show
    live numbers: the answer moved from ``before`` to ``after`` (outcome, marks), applied to
    the locked row in one UPDATE. Bonus marks of unanswered questions are added at submit.
    Returns the new score."""
    (old_outcome, old_marks), (new_outcome, new_marks) = before, after
    counts = {field: getattr(attempt, field) for field in COUNT_FIELDS.values()}
    counts[COUNT_FIELDS[Outcome(old_outcome)]] -= 1
    counts[COUNT_FIELDS[Outcome(new_outcome)]] += 1
    score = attempt.score - old_marks + new_marks
    Attempt.objects.filter(pk=attempt.pk).update(
        last_answer_at=now,
        score=score,
        percentage=percentage(score, attempt.max_score),
        **counts,
    )
    return score


def _checked_choices(question: Question, choices: dict[int, bool], choice_ids) -> list[int]:
    wanted = sorted(set(choice_ids))
    if not wanted:
        return []
    if not question.has_choices:
        raise InvalidAnswerError("This question takes no choices.", field="choices")
    foreign = [pk for pk in wanted if pk not in choices]
    if foreign:
        raise InvalidAnswerError(
            f"Choice {', '.join(map(str, foreign))} does not belong to this question.",
            field="choices",
        )
    if question.type != Question.Type.MULTIPLE and len(wanted) > 1:
        raise InvalidAnswerError("Choose one option only.", field="choices")
    return wanted


# --------------------------------------------------------------------------------- submit


@transaction.atomic
def attempt_submit(*, attempt: Attempt, now: datetime | None = None, actor=None) -> Attempt:
    """Finish a running attempt and store its result; a second submit changes nothing.

    The state moves with a conditional ``UPDATE ... WHERE state = running``: of two
    concurrent submits exactly one scores (and records the event), the other returns the
    stored result. The attempt ends completed, or pending evaluation while an essay awaits
    marks. ``actor`` defaults to the learner.
    """
    now = _now(now)
    moved = Attempt.objects.filter(pk=attempt.pk, state=Attempt.State.RUNNING).update(
        state=Attempt.State.COMPLETED, completed_at=_closed_at(now)
    )
    if not moved:
        current = Attempt.objects.get(pk=attempt.pk)
        if current.state == Attempt.State.NOT_STARTED:
            raise AttemptNotRunningError("This attempt has not been started.")
        return current
    # The UPDATE holds the attempt's row: it was running, as the move counts it before.
    with moving(learners_at(attempt.exam_id, [attempt.user_id]), were_running=[attempt.pk]):
        score_attempts(
            exam=attempt.exam,
            attempt_ids=[attempt.pk],
            kind=Kind.SUBMITTED,
            actor=actor if actor is not None else attempt.user_id,
            was_running=True,
            now=now,
        )
        refresh_rank_population(exam=attempt.exam, user_ids=[attempt.user_id])
    return Attempt.objects.get(pk=attempt.pk)


def attempts_finalize_overdue(*, now: datetime | None = None, chunk_size: int = 500) -> int:
    """Complete running attempts whose deadline (plus the grace) has passed.

    Each is completed at its deadline, so its time taken is the exam's duration. Works in
    chunks, each its own transaction; returns how many attempts it finalized.
    """
    now = _now(now)
    finalized = 0
    while True:
        with transaction.atomic():
            overdue = list(
                Attempt.objects.select_for_update(skip_locked=True)
                .filter(state=Attempt.State.RUNNING, deadline_at__lt=now - DEADLINE_GRACE)
                .values_list("pk", "exam_id", "user_id")[:chunk_size]
            )
            if not overdue:
                return finalized
            _finalize(overdue, completed_at=F("deadline_at"), actor=None, now=now)
            finalized += len(overdue)


@transaction.atomic
def attempts_finalize(*, attempt_ids: Iterable[int], actor, now: datetime | None = None) -> int:
    """Complete the given running attempts now (an admin closing them by hand); attempts in
    any other state are left alone. Returns how many were finalized."""
    now = _now(now)
    running = list(
        Attempt.objects.select_for_update()
        .filter(pk__in=list(attempt_ids), state=Attempt.State.RUNNING)
        .order_by("pk")
        .values_list("pk", "exam_id", "user_id")
    )
    _finalize(running, completed_at=_closed_at(now), actor=actor, now=now)
    return len(running)


def _closed_at(now: datetime):
    """``completed_at`` of an attempt closed at ``now``: ``now``, or the deadline when the
    grace after it has passed, so a finalized attempt never took longer than the time allowed
    plus the grace (an overdue attempt submitted or finalized late stopped at its deadline)."""
    return Case(
        When(deadline_at__lt=now - DEADLINE_GRACE, then=F("deadline_at")),
        default=Value(now),
    )


def _finalize(rows: list[tuple[int, int, int]], *, completed_at, actor, now: datetime) -> None:
    """Move locked running attempts ``(pk, exam_id, user_id)`` to completed and score them."""
    if not rows:
        return
    # The learners' attempts at those exams (their rank flags move too): a superset of the
    # pairs finalized, which the move counts before and after alike.
    scope = Q(exam_id__in={e for _, e, _ in rows}, user_id__in={u for _, _, u in rows})
    with moving(scope):
        Attempt.objects.filter(
            pk__in=[pk for pk, _, _ in rows], state=Attempt.State.RUNNING
        ).update(state=Attempt.State.COMPLETED, completed_at=completed_at)
        by_exam: dict[int, list[tuple[int, int]]] = {}
        for pk, exam_id, user_id in rows:
            by_exam.setdefault(exam_id, []).append((pk, user_id))
        for exam in Exam.objects.filter(pk__in=by_exam):
            chosen = by_exam[exam.pk]
            score_attempts(
                exam=exam,
                attempt_ids=[pk for pk, _ in chosen],
                kind=Kind.FINALIZED,
                actor=actor,
                was_running=True,
                now=now,
            )
            refresh_rank_population(exam=exam, user_ids=[user_id for _, user_id in chosen])


# ---------------------------------------------------------- submit a whole answer sheet


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    """One answer of a whole submission: the bank question (its uuid) and the response.
    ``choice_ids`` for single, multiple and true/false questions, ``text`` for short text and
    essays, ``number`` for numeric questions."""

    question: uuid.UUID
    choice_ids: tuple[int, ...] = ()
    text: str = ""
    number: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """A finished attempt with what its answers earned: ``results`` holds (outcome, marks)
    per exam question id, ``marking`` the exam's questions, choices and rules."""

    attempt: Attempt
    marking: ExamMarking
    results: dict[int, tuple[str, Decimal]]


@transaction.atomic
def attempt_submit_answers(
    *, user, exam: Exam, answers: Sequence[GivenAnswer], now: datetime | None = None
) -> Submission:
    """Score a learner's whole answer sheet at once and store the finished attempt.

    Refused as ``attempt_start`` refuses (not actively enrolled, exam not published or not
    open, no attempt left). With a running attempt (started from the pages), the given
    answers replace what it saved for those questions and the attempt is submitted, unless
    its deadline plus ``DEADLINE_GRACE`` has passed (``DeadlinePassedError``; the overdue
    finalizer completes it); an opened attempt is started and submitted the same way.
    Otherwise a new attempt is started and finished at ``now``. Questions the sheet leaves
    out are unanswered.

    The learner's enrolment row is locked first: two submissions of one learner at one exam
    run one after the other, so the attempt limit holds under concurrency. A fixed number
    of queries whatever the number of questions (answers, choices, events in bulk).
    """
    with moving(learners_at(exam.pk, [user.pk])):
        return _submit_answers(user=user, exam=exam, answers=answers, now=now)


def _submit_answers(*, user, exam: Exam, answers: Sequence[GivenAnswer], now) -> Submission:
    now = _now(now)
    enrollment = (
        Enrollment.objects.select_for_update().filter(user=user, course_id=exam.course_id).first()
    )
    if enrollment is None or not enrollment.is_active_at(now):
        raise NotAllowedError(f"You are not actively enrolled in the course of “{exam.title}”.")
    if exam.status != Exam.Status.PUBLISHED:
        raise ExamNotOpenError(f"“{exam.title}” is not published.")
    if not exam.is_open_at(now):
        raise ExamNotOpenError(f"“{exam.title}” is not open for submissions now.")
    mine = list(
        Attempt.objects.filter(user=user, exam=exam)
        .order_by("state", "-attempt_number")
        .values_list("pk", "state", "attempt_number", "deadline_at", "forgiven_at")
    )
    marking = exam_marking(exam.pk)
    responses = _given_responses(marking, answers)
    waiting = [row for row in mine if row[1] in (Attempt.State.RUNNING, Attempt.State.NOT_STARTED)]
    if waiting:
        return _submit_waiting(
            waiting[0], user=user, exam=exam, marking=marking, responses=responses, now=now
        )
    last = max((row[2] for row in mine), default=0)
    # Forgiven attempts keep their number but no longer use up the limit (COUNTS_AGAINST_LIMIT).
    used = sum(1 for row in mine if row[4] is None)
    if exam.max_attempts is not None and used >= exam.max_attempts:
        raise AttemptLimitError(
            f"You have used all {exam.max_attempts} attempts allowed for “{exam.title}”.",
            limit=exam.max_attempts,
            used=used,
        )
    marked = {pk: score_answer(rule, responses.get(pk)) for pk, rule in marking.rules.items()}
    total = summarise(
        ((marking.rules[pk], result) for pk, result in marked.items()), exam.pass_percentage
    )
    attempt = Attempt(
        user=user,
        exam=exam,
        attempt_number=last + 1,
        started_at=now,
        last_started_at=now,
        completed_at=now,
        last_answer_at=now if responses else None,
        deadline_at=now + exam.duration if exam.duration else None,
        **finished_result(total),
        # Its first completion (``score_attempts`` writes it the same way for the others).
        original_percentage=total.percentage,
    )
    try:
        with transaction.atomic():
            attempt.save()
    except IntegrityError:
        # A start from the pages numbered an attempt in between (they lock no enrolment).
        raise ConflictError("Another attempt was started at the same time; try again.") from None
    _insert_answers(attempt.pk, responses, marked, now=now, all_questions=marking.rules)
    record(
        event(
            attempt.pk,
            Kind.SUBMITTED,
            before=(None, None),
            after=(attempt.state, attempt.score),
            now=now,
            actor=user,
            answers=len(responses),
        )
    )
    refresh_rank_population(exam=exam, user_ids=[user.pk])
    results = {pk: (result.outcome, result.marks) for pk, result in marked.items()}
    return Submission(attempt=attempt, marking=marking, results=results)


def _submit_waiting(row, *, user, exam: Exam, marking: ExamMarking, responses, now) -> Submission:
    """Submit the learner's running (or opened) attempt with the given answers."""
    pk, state, _, deadline_at, _ = row
    if state == Attempt.State.NOT_STARTED:
        deadline_at = now + exam.duration if exam.duration else None
        Attempt.objects.filter(pk=pk).update(
            state=Attempt.State.RUNNING,
            started_at=now,
            last_started_at=now,
            deadline_at=deadline_at,
        )
    elif deadline_at is not None and now > deadline_at + DEADLINE_GRACE:
        raise DeadlinePassedError(
            "Time is up for your running attempt: the answers were not saved."
        )
    marked = {
        qid: score_answer(marking.rules[qid], response) for qid, response in responses.items()
    }
    if responses:
        through = UserAnswer.selected_choices.through
        through.objects.filter(
            useranswer__attempt_id=pk, useranswer__exam_question_id__in=list(responses)
        ).delete()
        # Their chosen choices are gone: one DELETE, without the collector's SELECT first.
        replaced = UserAnswer.objects.filter(attempt_id=pk, exam_question_id__in=list(responses))
        replaced._raw_delete(replaced.db)
        _insert_answers(pk, responses, marked, now=now)
    Attempt.objects.filter(pk=pk, state=Attempt.State.RUNNING).update(
        state=Attempt.State.COMPLETED, completed_at=now, last_answer_at=now
    )
    score_attempts(
        exam=exam,
        attempt_ids=[pk],
        kind=Kind.SUBMITTED,
        actor=user,
        was_running=True,
        rules=marking.rules,
        now=now,
        details={"answers": len(responses)},
    )
    refresh_rank_population(exam=exam, user_ids=[user.pk])
    attempt = Attempt.objects.select_related("exam").get(pk=pk)
    stored = stored_results(pk)
    return Submission(attempt=attempt, marking=marking, results=stored)


def _insert_answers(attempt_id, responses, marked, *, now, all_questions=None) -> None:
    """One INSERT of answer rows (every question of ``all_questions`` when given, else those
    of ``responses``), then one of their chosen choices."""
    rows = [
        UserAnswer(
            attempt_id=attempt_id,
            exam_question_id=pk,
            text_response=response.text if (response := responses.get(pk)) else "",
            numeric_response=response.number if response else None,
            result=marked[pk].outcome,
            marks_awarded=marked[pk].marks,
            created_at=now,
            updated_at=now,
        )
        for pk in (all_questions if all_questions is not None else responses)
    ]
    _insert_at_once(UserAnswer, rows, returning=True)
    through = UserAnswer.selected_choices.through
    _insert_at_once(
        through,
        [
            through(useranswer_id=row.pk, answerchoice_id=choice_id)
            for row in rows
            if row.exam_question_id in responses
            for choice_id in sorted(responses[row.exam_question_id].chosen)
        ],
    )


def _insert_at_once(model, objs: list, *, returning: bool = False) -> None:
    """One INSERT of every row, setting their primary keys when ``returning``.

    ``bulk_create`` splits its INSERT at the 999 variables Django assumes of SQLite (66
    answer rows), although SQLite has accepted 32,766 since 3.32; this is the statement
    one batch of ``bulk_create`` runs (``QuerySet._insert``), for all rows, so a whole
    answer sheet (the API takes up to 1,000 answers) is one statement on both databases.
    """
    if not objs:
        return
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.pk]
    returned = model._base_manager._insert(
        objs, fields=fields, returning_fields=[opts.pk] if returning else None
    )
    if returning:
        for obj, (pk,) in zip(objs, returned, strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, model._base_manager.db


def _given_responses(marking: ExamMarking, answers: Sequence[GivenAnswer]) -> dict[int, Response]:
    """The sheet as ``{exam_question_id: Response}``, each answer checked against its
    question (no query): refusals name the answer at fault, ``answers[2].choice_ids``."""
    placement_of = {placement.question.uuid: placement for placement in marking.placements}
    responses: dict[int, Response] = {}
    for index, given in enumerate(answers):
        at = f"answers[{index}]"
        placement = placement_of.get(given.question)
        if placement is None:
            raise InvalidAnswerError(
                "This question is not part of the assessment.", field=f"{at}.question_id"
            )
        if placement.pk in responses:
            raise InvalidAnswerError(
                "This question is answered twice in the submission.", field=f"{at}.question_id"
            )
        question = placement.question
        kind = Question.Type
        if given.choice_ids and not question.has_choices:
            raise InvalidAnswerError("This question takes no choices.", field=f"{at}.choice_ids")
        if given.text and question.type not in (kind.SHORT_TEXT, kind.ESSAY):
            raise InvalidAnswerError("This question takes no text.", field=f"{at}.text")
        if given.number is not None and question.type != kind.NUMERIC:
            raise InvalidAnswerError("This question takes no number.", field=f"{at}.number")
        choices = marking.choices.get(question.pk, {})
        foreign = sorted({pk for pk in given.choice_ids if pk not in choices})
        if foreign:
            raise InvalidAnswerError(
                "A choice does not belong to this question.", field=f"{at}.choice_ids"
            )
        if len(set(given.choice_ids)) > 1 and question.type != kind.MULTIPLE:
            raise InvalidAnswerError("Choose one option only.", field=f"{at}.choice_ids")
        responses[placement.pk] = Response(
            chosen=frozenset(given.choice_ids), text=given.text, number=given.number
        )
    return responses


# ----------------------------------------------------------------------------- time given

# The most an instructor adds in one go: a day. More is a new exam window, not an extension.
MAX_EXTENSION_MINUTES = 24 * 60


@transaction.atomic
def attempt_extend_deadline(
    *, attempt: Attempt, minutes: int, actor, now: datetime | None = None
) -> Attempt:
    """A reviewer of the attempt gives one running, timed attempt ``minutes`` more.

    The deadline moves by ``minutes`` (1 to a day) and must then lie ahead of ``now``: an
    attempt overdue by more than that is finalized, not extended. Records an EXTENDED event
    with the deadlines before and after.
    """
    now = _now(now)
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    if not access.can_review_attempt(actor, attempt):
        raise NotAllowedError("Only an instructor of this course can extend its attempts.")
    if attempt.state != Attempt.State.RUNNING:
        raise AttemptNotRunningError("Only a running attempt can be given more time.")
    if attempt.deadline_at is None:
        raise ConflictError("This attempt has no time limit.")
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidAnswerError("Give a whole number of minutes.", field="minutes")
    if not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        raise InvalidAnswerError(
            f"Give between 1 and {MAX_EXTENSION_MINUTES} minutes.", field="minutes"
        )
    deadline = attempt.deadline_at + timedelta(minutes=minutes)
    if deadline <= now:
        raise InvalidAnswerError(
            "The deadline would still be past: give more minutes, or finalize the attempt.",
            field="minutes",
        )
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=deadline)
    state = (attempt.state, attempt.score)
    record(
        event(
            attempt.pk,
            Kind.EXTENDED,
            before=state,
            after=state,
            now=now,
            actor=actor,
            minutes=minutes,
            deadline_before=attempt.deadline_at.isoformat(),
            deadline_after=deadline.isoformat(),
        )
    )
    attempt.deadline_at = deadline
    return attempt


@transaction.atomic
def accommodation_set(
    *,
    user,
    exam: Exam,
    actor,
    time_multiplier: Decimal = Decimal("1"),
    extra_minutes: int = 0,
    note: str = "",
    now: datetime | None = None,
) -> Accommodation:
    """Give (or change) a learner's extra time on an exam, used by their next start.

    The multiplier lies between 1 and 5 and the minutes between 0 and a day. There is no
    attempt yet to record an event on: the row keeps who granted it and when, and the
    STARTED event of each attempt it lengthens names it (``details["accommodation"]``).
    """
    now = _now(now)
    if not access.can_review_exam(actor, exam):
        raise NotAllowedError("Only an instructor of this course can give extra time.")
    multiplier = Decimal(time_multiplier)
    if not Decimal("1") <= multiplier <= Decimal("5"):
        raise InvalidAnswerError("The multiplier lies between 1 and 5.", field="time_multiplier")
    if not 0 <= extra_minutes <= MAX_EXTENSION_MINUTES:
        raise InvalidAnswerError(
            f"Give between 0 and {MAX_EXTENSION_MINUTES} minutes.", field="extra_minutes"
        )
    accommodation, _ = Accommodation.objects.update_or_create(
        user=user,
        exam=exam,
        defaults={
            "time_multiplier": multiplier,
            "extra_minutes": extra_minutes,
            "note": note,
            "granted_by": actor,
            "granted_at": now,
        },
    )
    return accommodation


# ------------------------------------------------------------------------------- evaluate


def _locked_for_review(answer: UserAnswer, reviewer, what: str) -> UserAnswer:
    """``answer`` read afresh under lock, with its attempt, exam and question, for a reviewer
    of its attempt (``lms.access.can_review_attempt``; else ``NotAllowedError``: "Only an
    instructor of this course can <what>."). The learner's attempts at the exam are locked
    first, in id order, as every writer of their results locks them (``tallies.moving`` of
    the learner, a rescore chunk): an evaluation, an override and a rescore of the same
    attempt run one after the other, and two reviews of one learner's two attempts never
    wait on each other crosswise (each locking its own attempt, then the other's)."""
    mine = Attempt.objects.filter(pk=answer.attempt_id)
    list(
        Attempt.objects.select_for_update()
        .filter(exam_id=Subquery(mine.values("exam_id")), user_id=Subquery(mine.values("user_id")))
        .order_by("pk")
        .values_list("pk")
    )
    answer = (
        UserAnswer.objects.select_for_update()
        .select_related("attempt__exam", "exam_question__question")
        .get(pk=answer.pk)
    )
    if not access.can_review_attempt(reviewer, answer.attempt):
        raise NotAllowedError(f"Only an instructor of this course can {what}.")
    return answer


@transaction.atomic
def answer_evaluate(
    *,
    answer: UserAnswer,
    evaluator,
    marks: Decimal,
    comment: str = "",
    now: datetime | None = None,
) -> UserAnswer:
    """A reviewer of the attempt (``lms.access.can_review_attempt``) marks an essay answer.

    ``marks`` must lie between 0 and the question's marks. The attempt is rescored at once:
    when no essay awaits marks any more it becomes completed and joins the ranks.
    Re-evaluating an already marked essay of a finished attempt is allowed (a regrade); each
    evaluation records an event, with the marks before and after, even when the score stays.
    """
    now = _now(now)
    answer = _locked_for_review(answer, evaluator, "evaluate its answers")
    attempt = answer.attempt
    if answer.exam_question.question.type != Question.Type.ESSAY:
        raise InvalidAnswerError("Only essay answers are evaluated by hand.", field="marks")
    if not attempt.is_finished:
        raise ConflictError("The attempt is still running: evaluate it after it is submitted.")
    if answer.result == Outcome.UNANSWERED:
        raise ConflictError("This essay was not answered: there is nothing to evaluate.")
    maximum = answer.exam_question.marks
    if marks is None or not (Decimal("0") <= Decimal(marks) <= maximum):
        raise InvalidAnswerError(f"Award between 0 and {maximum} marks.", field="marks")
    with moving(learners_at(attempt.exam_id, [attempt.user_id])):
        _evaluate(answer, evaluator=evaluator, marks=marks, comment=comment, now=now)
        refresh_rank_population(exam=attempt.exam, user_ids=[attempt.user_id])
    answer.refresh_from_db()
    return answer


def _evaluate(answer: UserAnswer, *, evaluator, marks, comment, now) -> None:
    attempt, previous = answer.attempt, answer.evaluated_marks
    UserAnswer.objects.filter(pk=answer.pk).update(
        evaluated_marks=marks,
        evaluated_by=evaluator,
        evaluated_at=now,
        evaluator_comment=comment,
        updated_at=now,
    )
    score_attempts(
        exam=attempt.exam,
        attempt_ids=[attempt.pk],
        kind=Kind.EVALUATED,
        actor=evaluator,
        always_record=True,
        now=now,
        details={
            "answer": answer.pk,
            "exam_question": answer.exam_question_id,
            "marks_before": None if previous is None else str(previous),
            "marks": str(Decimal(marks).quantize(Decimal("0.01"))),
        },
        source=MarkChange.Source.EVALUATION,
        comment=comment,
        noted=frozenset({answer.pk}),
    )


# -------------------------------------------------------------------------------- rescore


def exam_rescore(
    *,
    exam: Exam,
    actor=None,
    chunk_size: int = 500,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    regrade: Regrade | None = None,
) -> int:
    """Recompute every finished attempt of an exam from its stored answers.

    For after a key or marks change. Set-based: the rules are loaded once, answers a chunk of
    attempts at a time, and only rows whose outcome or marks changed are written (each
    attempt whose result changed gets a ``rescored`` event). Each chunk is its own
    transaction; ``progress`` is called with the number of attempts done. At the end the
    exam's "marking changed" flag is cleared, unless the marking changed again meanwhile.
    Returns how many attempts were rescored.

    With a ``regrade`` (``regrade_run``) the events are ``regraded`` and the answers'
    ``MarkChange`` rows name it and its reason; when it clears overrides, each chunk's
    overridden answers lose theirs first (recorded even where the marks stay). Otherwise an
    override is an input like the key: a rescore keeps it.
    """
    started = _now(now)
    rules = exam_rules(exam.pk)
    finished = Attempt.objects.finished().filter(exam=exam)
    kind, source, comment = Kind.RESCORED, MarkChange.Source.RESCORE, ""
    if regrade is not None:
        kind, source, comment = Kind.REGRADED, MarkChange.Source.REGRADE, regrade.reason
    done, last_pk = 0, 0
    while True:
        ids = list(
            finished.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:chunk_size]
        )
        if not ids:
            break
        with transaction.atomic(), moving(Q(pk__in=ids)):
            cleared = frozenset()
            if regrade is not None and regrade.clear_overrides:
                overridden = UserAnswer.objects.filter(
                    attempt_id__in=ids, override_marks__isnull=False
                )
                cleared = frozenset(overridden.values_list("pk", flat=True))
                overridden.update(override_marks=None, updated_at=_now(now))
            score_attempts(
                exam=exam,
                attempt_ids=ids,
                kind=kind,
                actor=actor,
                rules=rules,
                now=now,
                source=source,
                comment=comment,
                regrade_id=regrade.pk if regrade is not None else None,
                noted=cleared,
                details={"regrade": regrade.pk} if regrade is not None else None,
                keep_before=regrade is not None,
            )
        done, last_pk = done + len(ids), ids[-1]
        if progress:
            progress(len(ids))
    with transaction.atomic():
        refresh_rank_population(exam=exam)
        # The rank flags may move for any learner: the exam's tallies are counted afresh.
        exam_sums_rebuild(exam)
        exam_marking_settled(exam_id=exam.pk, since=started)
    return done


@transaction.atomic
def attempts_rescore(*, attempt_ids: Iterable[int], actor=None, now: datetime | None = None) -> int:
    """Rescore the given finished attempts (others are left alone), exam by exam. Returns
    how many were rescored. The exams' "marking changed" flags stay: other attempts may
    still be stale."""
    now = _now(now)
    rows = list(
        Attempt.objects.finished()
        .filter(pk__in=list(attempt_ids))
        .order_by("pk")
        .values_list("pk", "exam_id")
    )
    by_exam: dict[int, list[int]] = {}
    for pk, exam_id in rows:
        by_exam.setdefault(exam_id, []).append(pk)
    for exam in Exam.objects.filter(pk__in=by_exam):
        score_attempts(
            exam=exam, attempt_ids=by_exam[exam.pk], kind=Kind.RESCORED, actor=actor, now=now
        )
        refresh_rank_population(exam=exam)
        # The refresh covers every learner of the exam: its tallies are counted afresh.
        exam_sums_rebuild(exam)
    return len(rows)


# -------------------------------------------------------------------------------- forgive


@transaction.atomic
def attempt_forgive(*, attempt: Attempt, actor, now: datetime | None = None) -> Attempt:
    """A reviewer of the attempt forgives it: it keeps its answers and result, but no longer
    uses up one of the exam's ``max_attempts`` (``Attempt.COUNTS_AGAINST_LIMIT``), so the
    learner may take one more. Only finished attempts (a running one is still the learner's
    to submit). Forgiving twice changes nothing and records no second event.
    """
    now = _now(now)
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
    if not access.can_review_attempt(actor, attempt):
        raise NotAllowedError("Only an instructor of this course can forgive its attempts.")
    if not attempt.is_finished:
        raise ConflictError("Only a submitted attempt can be forgiven.")
    if attempt.forgiven_at is not None:
        return attempt
    Attempt.objects.filter(pk=attempt.pk).update(forgiven_at=now)
    attempt.forgiven_at = now
    state = (attempt.state, attempt.score)
    record(event(attempt.pk, Kind.FORGIVEN, before=state, after=state, now=now, actor=actor))
    return attempt


@transaction.atomic
def attempts_forgive(*, attempt_ids: Iterable[int], actor, now: datetime | None = None) -> int:
    """Forgive, in one go, those of the given attempts that ``actor`` reviews, finished and not
    yet forgiven (the others are left alone): one UPDATE and one INSERT of events, whatever
    their number. Returns how many were forgiven."""
    now = _now(now)
    rows = list(
        Attempt.objects.select_for_update()
        .reviewable_by(actor)
        .finished()
        .filter(pk__in=list(attempt_ids), forgiven_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "state", "score")
    )
    Attempt.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(forgiven_at=now)
    record(
        *(
            event(
                pk, Kind.FORGIVEN, before=(state, score), after=(state, score), now=now, actor=actor
            )
            for pk, state, score in rows
        )
    )
    return len(rows)


# ------------------------------------------------------------------------------ override


@transaction.atomic
def answer_override(
    *,
    answer: UserAnswer,
    actor,
    marks: Decimal | None,
    comment: str,
    now: datetime | None = None,
) -> UserAnswer:
    """A reviewer of the attempt sets the marks of one answer of a finished attempt, any kind
    of question, with a comment saying why; ``marks=None`` removes the override.

    The marks must lie in ``attempts.scoring.override_range`` (down to minus the negative
    marks, 0 for an essay; up to the question's marks). The override is an input to scoring:
    the attempt is rescored at once (an ``overridden`` event, and a ``MarkChange`` for the
    answer even when its marks stay), and later rescores and regrades keep it unless a
    regrade is told to clear overrides.
    """
    now = _now(now)
    answer = _locked_for_review(answer, actor, "override its marks")
    attempt = answer.attempt
    if not attempt.is_finished:
        raise ConflictError("The attempt is still running: override marks after it is submitted.")
    comment = (comment or "").strip()
    if not comment:
        raise InvalidAnswerError("Say why the marks are overridden.", field="comment")
    if marks is not None:
        marks = Decimal(marks)
        lowest, highest = override_range(rule_for(answer.exam_question, frozenset()))
        if not marks.is_finite() or not lowest <= marks <= highest:
            raise InvalidAnswerError(f"Set between {lowest} and {highest} marks.", field="marks")
        if marks != marks.quantize(Decimal("0.01")):
            raise InvalidAnswerError("Marks go in steps of 0.01.", field="marks")
    with moving(learners_at(attempt.exam_id, [attempt.user_id])):
        _override(answer, actor=actor, marks=marks, comment=comment, now=now)
        refresh_rank_population(exam=attempt.exam, user_ids=[attempt.user_id])
    answer.refresh_from_db()
    return answer


def _override(answer: UserAnswer, *, actor, marks, comment, now) -> None:
    attempt, previous = answer.attempt, answer.override_marks
    UserAnswer.objects.filter(pk=answer.pk).update(override_marks=marks, updated_at=now)
    score_attempts(
        exam=attempt.exam,
        attempt_ids=[attempt.pk],
        kind=Kind.OVERRIDDEN,
        actor=actor,
        always_record=True,
        now=now,
        details={
            "answer": answer.pk,
            "exam_question": answer.exam_question_id,
            "override_before": None if previous is None else str(previous),
            "override": None if marks is None else str(marks.quantize(Decimal("0.01"))),
        },
        source=MarkChange.Source.OVERRIDE,
        comment=comment,
        noted=frozenset({answer.pk}),
    )


# ------------------------------------------------------------------------------- regrade


@transaction.atomic
def exam_regrade(
    *, exam: Exam, actor, reason: str, clear_overrides: bool = False, now: datetime | None = None
) -> Regrade:
    """Commit a regrade of an exam (after its preview): the row ``regrade_run`` then works
    through, inline or as a Celery task (``attempts.tasks.regrade_exam``).

    Refused unless ``actor`` reviews the exam, with a reason, and while no other regrade of
    the exam is queued or running. Keeps the marking it applies, and the overrides it will
    clear, in its snapshot.
    """
    now = _now(now)
    if not access.can_review_exam(actor, exam):
        raise NotAllowedError("Only an instructor of this course can regrade its exam.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAnswerError("Say why the exam is regraded.", field="reason")
    # The exam row serializes two commits of a regrade of the same exam.
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    active = [Regrade.Status.QUEUED, Regrade.Status.RUNNING]
    if Regrade.objects.filter(exam=exam, status__in=active).exists():
        raise ConflictError("A regrade of this exam is already under way: wait for it to end.")
    snapshot: dict = {
        "questions": marking_snapshot(exam_rules(exam.pk)),
        # Were the results stale, since when, and the marking they followed (kept by the
        # admin before the change; None when it was changed elsewhere): what undo restores.
        "stale_since": None if exam.marking_changed_at is None else str(exam.marking_changed_at),
        "before": exam.marking_baseline if exam.marking_changed_at else None,
    }
    if clear_overrides:
        overridden = UserAnswer.objects.filter(
            attempt__exam=exam,
            attempt__state__in=Attempt.FINISHED_STATES,
            override_marks__isnull=False,
        ).values_list("pk", "override_marks")
        snapshot["overrides"] = {str(pk): str(marks) for pk, marks in overridden}
    return Regrade.objects.create(
        exam=exam,
        reason=reason,
        actor=actor,
        clear_overrides=clear_overrides,
        total=Attempt.objects.finished().filter(exam=exam).count(),
        snapshot=snapshot,
        created_at=now,
    )


def regrade_run(*, regrade_id: int, chunk_size: int = 500) -> Regrade:
    """Rescore every finished attempt of a queued regrade's exam (``exam_rescore`` with the
    regrade), keeping ``done`` up to date for the page's progress bar. A regrade that is not
    queued (already run, or running elsewhere) is left alone. On an error the regrade is
    marked failed (the chunks already done stay done) and the error raised again."""
    started = timezone.now()
    finished = Attempt.objects.finished()
    regrades = Regrade.objects.filter(pk=regrade_id)
    moved = regrades.filter(status=Regrade.Status.QUEUED).update(
        status=Regrade.Status.RUNNING,
        done=0,
        total=Coalesce(
            Subquery(
                finished.filter(exam_id=OuterRef("exam_id"))
                .values("exam_id")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        ),
    )
    regrade = Regrade.objects.select_related("exam").get(pk=regrade_id)
    if not moved:
        return regrade

    def progress(count: int) -> None:
        regrades.update(done=Least(F("done") + count, F("total")))

    try:
        exam_rescore(
            exam=regrade.exam,
            actor=regrade.actor_id,
            chunk_size=chunk_size,
            progress=progress,
            regrade=regrade,
            now=started,
        )
    except Exception:
        regrades.update(status=Regrade.Status.FAILED, finished_at=timezone.now())
        raise
    changed = AttemptEvent.objects.filter(
        kind=Kind.REGRADED, attempt__exam_id=regrade.exam_id, details__regrade=regrade_id
    ).count()
    regrades.update(
        status=Regrade.Status.DONE, done=F("total"), changed=changed, finished_at=timezone.now()
    )
    regrade.refresh_from_db()
    return regrade


@transaction.atomic
def regrade_undo(*, regrade: Regrade, actor, now: datetime | None = None) -> int:
    """Put back the results a done regrade changed: each answer's outcome and marks (from
    its ``MarkChange`` rows), the overrides it cleared, and each attempt's stored result
    (kept in its ``regraded`` event); and the marks and keys those results followed, when
    the admin kept them before the change (``_restore_marking``; else the key stays as
    edited and the exam is flagged as changed again). Returns how many attempts changed.

    Refused unless ``actor`` reviews the exam, the regrade is done, no later regrade of the
    exam stands, and no mark of the exam changed since (an override, say): undoing would
    silently drop that later change.
    """
    now = _now(now)
    regrade = Regrade.objects.select_for_update().select_related("exam").get(pk=regrade.pk)
    exam = regrade.exam
    if not access.can_review_exam(actor, exam):
        raise NotAllowedError("Only an instructor of this course can undo its regrades.")
    if regrade.status != Regrade.Status.DONE:
        raise ConflictError(f"This regrade is {regrade.get_status_display().lower()}.")
    later = Regrade.objects.filter(exam=exam, pk__gt=regrade.pk).exclude(
        status__in=[Regrade.Status.UNDONE, Regrade.Status.FAILED]
    )
    if later.exists():
        raise ConflictError("A later regrade of this exam stands: undo it first.")
    regraded = AttemptEvent.objects.filter(
        kind=Kind.REGRADED, attempt__exam_id=exam.pk, details__regrade=regrade.pk
    )
    since = MarkChange.objects.filter(attempt__exam_id=exam.pk, at__gte=regrade.created_at).exclude(
        regrade=regrade
    )
    if since.exists():
        raise ConflictError("Marks of this exam changed since the regrade: it can't be undone.")
    befores = {
        row.attempt_id: row for row in regraded.only("attempt_id", "state_before", "details")
    }
    attempt_ids = sorted(befores)
    list(
        Attempt.objects.select_for_update()
        .filter(pk__in=attempt_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    changes = list(regrade.mark_changes.order_by("pk"))
    UserAnswer.objects.bulk_update(
        [
            UserAnswer(pk=c.answer_id, result=c.result_before, marks_awarded=c.marks_before)
            for c in changes
        ],
        ["result", "marks_awarded"],
        batch_size=500,
    )
    cleared = regrade.snapshot.get("overrides", {})
    UserAnswer.objects.bulk_update(
        [UserAnswer(pk=int(pk), override_marks=Decimal(m)) for pk, m in cleared.items()],
        ["override_marks"],
        batch_size=500,
    )
    MarkChange.objects.bulk_create(
        [
            MarkChange(
                answer_id=c.answer_id,
                attempt_id=c.attempt_id,
                source=MarkChange.Source.UNDO,
                result_before=c.result_after,
                marks_before=c.marks_after,
                result_after=c.result_before,
                marks_after=c.marks_before,
                at=now,
                actor_id=_actor_id(actor),
                comment=f"Undo of the regrade “{regrade.reason}”",
                regrade_id=regrade.pk,
            )
            for c in changes
        ],
        batch_size=1000,
    )
    attempts = list(
        Attempt.objects.filter(pk__in=attempt_ids).only("pk", "state", *Attempt.RESULT_FIELDS)
    )
    events = []
    for attempt in attempts:
        kept = befores[attempt.pk]
        before = (attempt.state, attempt.score)
        attempt.state = kept.state_before
        for name in Attempt.RESULT_FIELDS:
            setattr(attempt, name, kept.details["result_before"][name])
        events.append(
            event(
                attempt.pk,
                Kind.REGRADE_UNDONE,
                before=before,
                after=(attempt.state, Decimal(attempt.score)),
                now=now,
                actor=actor,
                regrade=regrade.pk,
            )
        )
    Attempt.objects.bulk_update(attempts, ["state", *Attempt.RESULT_FIELDS], batch_size=500)
    record(*events)
    refresh_rank_population(exam=exam)
    exam_sums_rebuild(exam)  # every result of the exam may have moved back
    Regrade.objects.filter(pk=regrade.pk).update(
        status=Regrade.Status.UNDONE, undone_at=now, undone_by=_actor_id(actor)
    )
    _restore_marking(exam, regrade.snapshot, now=now)
    return len(attempts)


def _restore_marking(exam: Exam, snapshot: dict, *, now: datetime) -> None:
    """After an undo put the results back: put back the marking they followed too, when the
    admin kept it before the change (``Exam.marking_baseline``) and the exam still places
    the same questions. Then the exam is up to date again, unless attempts finished since
    the change (scored with the later marking); other exams sharing a question whose key
    moved back are flagged. Without that marking, the exam is flagged as changed: its key
    stays as edited and its results do not follow it."""
    stale_since, before = snapshot.get("stale_since"), snapshot.get("before")
    if stale_since is None:
        return  # the regrade followed no change of marking: the results were up to date
    if before:
        questions = [row["question"] for row in before["questions"]]
        sharing = [pk for pk in exams_placing(question_ids=questions) if pk != exam.pk]
        exams_marking_changing(exam_ids=sharing)
        others = marking_restore(exam_id=exam.pk, baseline=before)
        if others is not None:
            exams_marking_changed(exam_ids=others, now=now)
            since = datetime.fromisoformat(stale_since)
            if Attempt.objects.finished().filter(exam=exam, completed_at__gte=since).exists():
                exams_marking_changed(exam_ids=[exam.pk], now=now)
            else:
                Exam.objects.filter(pk=exam.pk).update(
                    marking_changed_at=None, marking_baseline=None
                )
            return
    exams_marking_changed(exam_ids=[exam.pk], now=now)


# ---------------------------------------------------------------------- shared machinery


def finished_result(total) -> dict:
    """The stored result of a finished attempt from ``attempts.scoring.summarise``'s total:
    completed, or pending evaluation while an essay awaits marks (``passed`` None until
    then); the outcome counts, score, maximum and percentage."""
    return {
        "state": Attempt.State.PENDING_EVALUATION if total.pending else Attempt.State.COMPLETED,
        "total_questions": total.total,
        "correct_count": total.correct,
        "incorrect_count": total.incorrect,
        "partial_count": total.partial,
        "unanswered_count": total.unanswered,
        "pending_count": total.pending,
        "score": total.score,
        "max_score": total.max_score,
        "percentage": total.percentage,
        "passed": None if total.pending else total.passed,
    }


# The history's comment on an answer whose override or essay marks a rescore capped.
CAPPED_NOTE = "Capped: the question's marks were lowered below the marks given."


def _history_note(comment: str, capped: bool) -> str:
    return " ".join(filter(None, (comment, CAPPED_NOTE if capped else "")))


def score_attempts(
    *,
    exam: Exam,
    attempt_ids: list[int],
    kind: str = Kind.RESCORED,
    actor=None,
    was_running: bool = False,
    always_record: bool = False,
    rules: dict[int, MarkingRule] | None = None,
    now: datetime | None = None,
    details: dict | None = None,
    source: str = MarkChange.Source.RESCORE,
    comment: str = "",
    regrade_id: int | None = None,
    noted: frozenset[int] = frozenset(),
    keep_before: bool = False,
) -> int:
    """Mark the answers of finished attempts, store every result field, record the events.

    Creates the rows of unanswered questions, writes the outcome and marks of rows that
    changed, and moves each attempt to completed, or to pending evaluation while an essay
    awaits marks (``passed`` stays None until then). Only attempts whose state or result
    changed are written, each with one ``kind`` event (every attempt when
    ``always_record``). ``was_running``: the caller has just moved these attempts from
    running to completed, so that is the state they had before. A fixed number of queries
    per call, whatever the number of attempts.

    Each answer row whose outcome or marks changed gets a ``MarkChange`` (``source``,
    ``comment``, ``regrade_id``, by ``actor``), as do the answers in ``noted`` (the one an
    evaluation or override concerns) even when their marks stay. Not on submit or finalize
    (``was_running``): those marks are the answers' first, not a change. ``keep_before``:
    each event's details keep the attempt's whole result before the change (a regrade's undo
    puts it back). Returns how many attempts' results changed.
    """
    now = _now(now)
    rules = rules if rules is not None else exam_rules(exam.pk)
    # Lock the rows before reading their answers (in id order, so two writers never wait on
    # each other crosswise): an essay evaluated meanwhile waits, then scores the fresh
    # answers, instead of this call overwriting its result with stale totals.
    list(
        Attempt.objects.select_for_update()
        .filter(pk__in=attempt_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    answers = stored_responses(attempt_ids)
    attempts = Attempt.objects.filter(pk__in=attempt_ids).only(
        "pk", "state", "completed_at", "original_percentage", *Attempt.RESULT_FIELDS
    )
    changed, missing, finished, events, history, capped = [], [], [], [], [], {}
    moved_count = 0
    for attempt in attempts:
        stored = answers.get(attempt.pk, {})
        marked = []
        for exam_question_id, rule in rules.items():
            row = stored.get(exam_question_id)
            response = fitted(rule, row.response if row else None)
            if row is not None and response != row.response:
                # The question's marks were lowered below an override or an essay's marks:
                # they are capped (scoring.fitted), stored so, and the history says why.
                capped[row.id] = UserAnswer(
                    pk=row.id, override_marks=response.override, evaluated_marks=response.awarded
                )
            result = score_answer(rule, response)
            marked.append((rule, result))
            if row is None:
                missing.append(
                    UserAnswer(
                        attempt_id=attempt.pk,
                        exam_question_id=exam_question_id,
                        result=result.outcome,
                        marks_awarded=result.marks,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                differs = row.result != result.outcome or row.marks_awarded != result.marks
                if differs:
                    changed.append(
                        UserAnswer(pk=row.id, result=result.outcome, marks_awarded=result.marks)
                    )
                if (differs and not was_running) or row.id in noted:
                    # An evaluation or override also rescores the attempt's other answers
                    # with the current marking: those changes are a rescore, not theirs.
                    aside = bool(noted) and row.id not in noted and regrade_id is None
                    history.append(
                        MarkChange(
                            answer_id=row.id,
                            attempt_id=attempt.pk,
                            source=MarkChange.Source.RESCORE if aside else source,
                            result_before=row.result,
                            marks_before=row.marks_awarded,
                            result_after=result.outcome,
                            marks_after=result.marks,
                            at=now,
                            actor_id=_actor_id(actor),
                            comment=_history_note("" if aside else comment, row.id in capped),
                            regrade_id=regrade_id,
                        )
                    )
        before = [getattr(attempt, name) for name in RESULT_FIELDS]
        state_before = Attempt.State.RUNNING if was_running else attempt.state
        score_before = attempt.score
        total = summarise(marked, exam.pass_percentage)
        for name, value in finished_result(total).items():
            setattr(attempt, name, value)
        attempt.completed_at = attempt.completed_at or now
        first_finish = attempt.original_percentage is None
        if first_finish:  # kept for good: later rescores and essay marks leave it
            attempt.original_percentage = total.percentage
        moved = was_running or before != [getattr(attempt, name) for name in RESULT_FIELDS]
        moved_count += moved
        if moved or first_finish:
            finished.append(attempt)
        if moved or always_record:
            kept = {"result_before": _result_json(RESULT_FIELDS, before)} if keep_before else {}
            events.append(
                event(
                    attempt.pk,
                    kind,
                    before=(state_before, score_before),
                    after=(attempt.state, attempt.score),
                    now=now,
                    actor=actor,
                    **(details or {}),
                    **kept,
                )
            )
    UserAnswer.objects.bulk_create(missing, batch_size=1000)
    UserAnswer.objects.bulk_update(changed, ["result", "marks_awarded"], batch_size=500)
    UserAnswer.objects.bulk_update(
        capped.values(), ["override_marks", "evaluated_marks"], batch_size=500
    )
    # ``original_percentage`` is written as loaded, except on a first finish.
    Attempt.objects.bulk_update(finished, [*RESULT_FIELDS, "original_percentage"], batch_size=500)
    MarkChange.objects.bulk_create(history, batch_size=1000)
    record(*events)
    return moved_count


def _result_json(names, values) -> dict:
    """A stored result as JSON: datetimes and Decimals as strings, None and bools as is."""
    return {
        name: value if value is None or isinstance(value, bool | int) else str(value)
        for name, value in zip(names, values, strict=True)
    }


@transaction.atomic
def exam_ranks_refresh(*, exam: Exam) -> int:
    """After the exam's rank policy changed: every learner's ranked attempt is chosen again by
    the new policy and the exam's stored sums are counted afresh (their "ranked" population
    moved with the flags). Returns how many ranked attempts the exam has now.

    Nothing else changes: scores, states and answers stay, so no event is recorded (as for
    ``refresh_rank_population``). One UPDATE over the exam's attempts, then the rebuild."""
    refresh_rank_population(exam=exam)
    exam_sums_rebuild(exam)
    return Attempt.objects.filter(exam_id=exam.pk, counts_for_rank=True).count()


def refresh_rank_population(*, exam: Exam, user_ids: Iterable[int] | None = None) -> int:
    """Set ``counts_for_rank`` on the one completed attempt per learner the policy picks;
    returns how many attempts' flags flipped.

    first: the lowest attempt number; last: the highest; best: the highest score (the earlier
    attempt on a tie). Attempts that are not completed never count. ``counts_for_rank``
    follows from the stored results (it is not a result itself), so it records no event.

    One UPDATE statement, of the rows whose flag changes only (it flips them). The attempts
    the policy picks are numbered once per learner (``ROW_NUMBER() OVER (PARTITION BY
    user_id ORDER BY ...)``), an uncorrelated subquery the database runs once: a whole exam's
    refresh no longer runs a subquery per attempt nor rewrites every row (405,802 attempts:
    368 s before, under load).
    """
    completed = Attempt.objects.filter(exam_id=exam.pk, state=Attempt.State.COMPLETED)
    scope = Attempt.objects.filter(exam_id=exam.pk)
    if user_ids is not None:
        user_ids = list(user_ids)
        completed = completed.filter(user_id__in=user_ids)
        scope = scope.filter(user_id__in=user_ids)
    chosen = (
        completed.annotate(
            place=Window(
                RowNumber(), partition_by=[F("user_id")], order_by=RANK_ORDER[exam.rank_policy]
            )
        )
        .filter(place=1)
        .values("pk")
    )
    return (
        scope.alias(picked=Case(When(pk__in=chosen, then=Value(True)), default=Value(False)))
        .exclude(counts_for_rank=F("picked"))
        .update(
            counts_for_rank=Case(When(counts_for_rank=True, then=Value(False)), default=Value(True))
        )
    )


__all__ = [
    "DEADLINE_GRACE",
    "accommodation_set",
    "answer_evaluate",
    "attempt_forgive",
    "answer_override",
    "exam_regrade",
    "regrade_run",
    "regrade_undo",
    "attempt_extend_deadline",
    "attempt_open",
    "attempt_save_answer",
    "attempt_start",
    "attempt_submit",
    "attempt_submit_answers",
    "attempts_finalize",
    "attempts_finalize_overdue",
    "attempts_forgive",
    "attempts_rescore",
    "exam_ranks_refresh",
    "exam_rescore",
    "record",
    "refresh_rank_population",
    "score_attempts",
]


# -------------------------------------------------------------- results taken on paper

OFFLINE_COLUMNS = ("username", "exam", "started_at", "completed_at")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
OFFLINE_NUMBER = DecimalValidator(max_digits=18, decimal_places=6)  # UserAnswer's column
OFFLINE_TEXT_MAX = 50_000  # as the submissions API takes an essay


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row was refused: ``line`` of the file (the header is line 1) and ``column``."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """``imported`` attempts, or none and the ``errors`` of every refused row."""

    rows: int
    imported: int
    errors: list[RowError]


@dataclass(frozen=True, slots=True)
class _OfflineSheet:
    line: int
    user: object
    exam: Exam
    started_at: datetime
    completed_at: datetime
    responses: dict[int, Response]


def _offline_moment(text: str) -> datetime | None:
    """ISO 8601; without an offset the time is in the site's zone (``TIME_ZONE``)."""
    try:
        moment = parse_datetime(text.strip())
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _offline_response(question: Question, text: str) -> Response:
    """One cell as a response (blank: unanswered); ``ValueError`` says what is wrong.

    Choice questions: the letters of the chosen options in their order (A the first), e.g.
    ``B``, or ``A,C`` (``AC``) for multiple choice; numeric: a number (``9.8``, ``-3``); short
    text and essays: the text itself."""
    text = text.strip()
    if not text:
        return Response()
    kind = Question.Type
    if question.type == kind.NUMERIC:
        try:
            number = Decimal(text.replace(" ", ""))
        except ArithmeticError:
            raise ValueError(f"“{text}” is not a number.") from None
        if not number.is_finite():
            raise ValueError(f"“{text}” is not a number.")
        try:  # what the answer's column stores: 12 digits before the point, 6 after
            OFFLINE_NUMBER(number)
        except ValidationError:
            raise ValueError(f"“{text}” has too many digits (12 and 6 decimals).") from None
        return Response(number=number)
    if question.type in (kind.SHORT_TEXT, kind.ESSAY):
        if len(text) > OFFLINE_TEXT_MAX:
            raise ValueError(f"The answer is longer than {OFFLINE_TEXT_MAX:,} characters.")
        return Response(text=text)
    return Response(chosen=frozenset(_letters(text)))


def _letters(text: str) -> list[int]:
    """Positions (0 for A) of the letters of ``text``, separators ``,`` ``;`` and spaces."""
    letters = [c for c in text.upper() if c not in ",; "]
    wrong = [c for c in letters if c not in LETTERS]
    if wrong:
        raise ValueError(f"“{text}” is not a choice letter (A, B, C…).")
    return [LETTERS.index(c) for c in letters]


@transaction.atomic
def attempts_import_offline(
    *,
    rows: Sequence[Mapping[str, str]],
    actor,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store results taken on paper as finished attempts, scored like a submitted sheet.

    ``rows`` are a CSV file's rows (``csv.DictReader``): ``username``, ``exam`` (its uuid),
    ``started_at`` and ``completed_at`` (ISO 8601), then ``q1``, ``q2``… the answer to the
    exam's question at that position (see ``_offline_response``); the file's line numbers
    (header line 1) name the refused rows. Each learner must be enrolled in the exam's course.
    Every row is checked first; when any is refused nothing is stored and the report lists
    every error. Otherwise each row becomes a finished attempt (the learner's next number)
    with one answer row per question and an ``imported`` event whose details say
    ``{"source": "offline"}`` (the webhooks send ``dataSource: "offline"``). Admins only.
    ``progress(1)`` is called after each row is checked (a progress bar's ``update``).

    Queries: users, exams, enrolments and attempt numbers one each, the marking 2 per distinct
    exam, then the inserts in batches (attempts, answers, chosen choices, events) and the
    rank population per exam.
    """
    if not access.is_admin(actor):
        raise NotAllowedError("Only administrators import offline results.")
    now = _now(now)
    rows = list(rows)
    errors: list[RowError] = []
    if rows:
        header = list(rows[0].keys())
        errors += [
            RowError(1, name, "This column is missing.")
            for name in OFFLINE_COLUMNS
            if name not in header
        ]
        errors += [
            RowError(1, str(name), "Unknown column: expected q1, q2…")
            for name in header
            if name not in OFFLINE_COLUMNS and not re.fullmatch(r"q[1-9][0-9]*", name or "")
        ]
        if errors:
            return ImportReport(rows=len(rows), imported=0, errors=errors)
    # 1: the learners, 2: the exams (their marking below, per exam)
    users = {
        u.username: u
        for u in User.objects.filter(username__in={(r["username"] or "").strip() for r in rows})
    }
    exam_ids = set()
    for r in rows:
        with contextlib.suppress(ValueError):
            exam_ids.add(uuid.UUID((r["exam"] or "").strip()))
    exams = {e.uuid: e for e in Exam.objects.filter(uuid__in=exam_ids).select_related("course")}
    # 3: who is enrolled where
    enrolled = set(
        Enrollment.objects.filter(
            user__in=list(users.values()), course_id__in={e.course_id for e in exams.values()}
        ).values_list("user_id", "course_id")
    )
    markings = {e.pk: exam_marking(e.pk) for e in exams.values()}
    sheets: list[_OfflineSheet] = []
    for index, row in enumerate(rows):
        line = index + 2
        found = _offline_row(row, line, users=users, exams=exams, enrolled=enrolled, now=now)
        if isinstance(found, RowError):
            errors.append(found)
        else:
            user, exam, started_at, completed_at = found
            responses, wrong = _offline_answers(row, line, markings[exam.pk])
            errors += wrong
            if not wrong:
                sheets.append(_OfflineSheet(line, user, exam, started_at, completed_at, responses))
        if progress is not None:
            progress(1)
    if errors or not sheets:
        return ImportReport(rows=len(rows), imported=0, errors=errors)
    _store_offline(sheets, markings, actor=actor, now=now)
    return ImportReport(rows=len(rows), imported=len(sheets), errors=[])


def _offline_row(row, line, *, users, exams, enrolled, now):
    """(user, exam, started_at, completed_at) of a row, or the first error of those cells."""
    username = (row["username"] or "").strip()
    user = users.get(username)
    if user is None:
        return RowError(line, "username", f"No user “{username}”.")
    text = (row["exam"] or "").strip()
    try:
        exam = exams.get(uuid.UUID(text))
    except ValueError:
        return RowError(line, "exam", f"“{text}” is not an exam id (a uuid).")
    if exam is None:
        return RowError(line, "exam", f"No exam “{text}”.")
    if (user.pk, exam.course_id) not in enrolled:
        return RowError(line, "username", f"“{username}” is not enrolled in “{exam.course}”.")
    moments = []
    for column in ("started_at", "completed_at"):
        moment = _offline_moment(row[column] or "")
        if moment is None:
            return RowError(line, column, "Not a date and time (2026-10-01T09:00:00+00:00).")
        if moment > now:
            return RowError(line, column, "This moment is in the future.")
        moments.append(moment)
    if moments[1] < moments[0]:
        return RowError(line, "completed_at", "The attempt ends before it starts.")
    return user, exam, *moments


def _offline_answers(row, line, marking: ExamMarking):
    """({exam_question_id: Response}, errors) of a row's q1, q2… cells."""
    responses: dict[int, Response] = {}
    errors: list[RowError] = []
    count = len(marking.placements)
    for column, text in row.items():
        if column is None:  # csv.DictReader's key of the cells beyond the header
            errors.append(RowError(line, "-", "This row has more cells than the header."))
            continue
        if column in OFFLINE_COLUMNS or not (text or "").strip():
            continue
        position = int(column[1:])
        if position > count:
            errors.append(RowError(line, column, f"The exam has {count} questions."))
            continue
        placement = marking.placements[position - 1]
        question = placement.question
        try:
            response = _offline_response(question, text)
        except ValueError as error:
            errors.append(RowError(line, column, str(error)))
            continue
        if response.chosen:
            options = list(marking.choices.get(question.pk, {}))
            if max(response.chosen) >= len(options):
                letters = LETTERS[: len(options)]
                errors.append(RowError(line, column, f"Choose among {', '.join(letters)}."))
                continue
            if len(response.chosen) > 1 and question.type != Question.Type.MULTIPLE:
                errors.append(RowError(line, column, "Choose one option only."))
                continue
            response = Response(chosen=frozenset(options[i] for i in response.chosen))
        responses[placement.pk] = response
    return responses, errors


def _store_offline(sheets: list[_OfflineSheet], markings, *, actor, now: datetime) -> None:
    """Insert the attempts, their answers and events in batches (no query per row), moving
    the tallies of the learners' attempts at those exams."""
    scope = Q(exam_id__in={s.exam.pk for s in sheets}, user_id__in={s.user.pk for s in sheets})
    with moving(scope):
        _insert_offline(sheets, markings, actor=actor, now=now)


def _insert_offline(sheets: list[_OfflineSheet], markings, *, actor, now: datetime) -> None:
    last = dict.fromkeys(((s.user.pk, s.exam.pk) for s in sheets), 0)
    numbers = (
        Attempt.objects.filter(user_id__in={u for u, _ in last}, exam_id__in={e for _, e in last})
        .values("user_id", "exam_id")
        .annotate(last=Max("attempt_number"))
        .values_list("user_id", "exam_id", "last")
    )
    for user_id, exam_id, number in numbers:
        if (user_id, exam_id) in last:
            last[user_id, exam_id] = number
    attempts, marked_of = [], []
    for sheet in sorted(sheets, key=lambda s: (s.started_at, s.line)):
        exam, marking = sheet.exam, markings[sheet.exam.pk]
        marked = {
            pk: score_answer(rule, sheet.responses.get(pk)) for pk, rule in marking.rules.items()
        }
        total = summarise(
            ((marking.rules[pk], result) for pk, result in marked.items()), exam.pass_percentage
        )
        last[sheet.user.pk, exam.pk] += 1
        attempts.append(
            Attempt(
                user=sheet.user,
                exam=exam,
                attempt_number=last[sheet.user.pk, exam.pk],
                started_at=sheet.started_at,
                last_started_at=sheet.started_at,
                completed_at=sheet.completed_at,
                last_answer_at=sheet.completed_at if sheet.responses else None,
                **finished_result(total),
                original_percentage=total.percentage,
            )
        )
        marked_of.append((sheet, marked))
    Attempt.objects.bulk_create(attempts, batch_size=500)
    answers, links = [], []
    for attempt, (sheet, marked) in zip(attempts, marked_of, strict=True):
        for pk in markings[sheet.exam.pk].rules:
            response = sheet.responses.get(pk)
            answers.append(
                UserAnswer(
                    attempt_id=attempt.pk,
                    exam_question_id=pk,
                    text_response=response.text if response else "",
                    numeric_response=response.number if response else None,
                    result=marked[pk].outcome,
                    marks_awarded=marked[pk].marks,
                    created_at=sheet.completed_at,
                    updated_at=sheet.completed_at,
                )
            )
    UserAnswer.objects.bulk_create(answers, batch_size=500)
    through = UserAnswer.selected_choices.through
    chosen = {(a.attempt_id, a.exam_question_id): a.pk for a in answers}
    for attempt, (sheet, _) in zip(attempts, marked_of, strict=True):
        for pk, response in sheet.responses.items():
            links += [
                through(useranswer_id=chosen[attempt.pk, pk], answerchoice_id=choice_id)
                for choice_id in sorted(response.chosen)
            ]
    through.objects.bulk_create(links, batch_size=500)
    AttemptEvent.objects.bulk_create(
        [
            event(
                attempt.pk,
                Kind.IMPORTED,
                before=(None, None),
                after=(attempt.state, attempt.score),
                now=now,
                actor=actor,
                source=AttemptEvent.OFFLINE_SOURCE,
                answers=len(sheet.responses),
            )
            for attempt, (sheet, _) in zip(attempts, marked_of, strict=True)
        ],
        batch_size=500,
    )
    for exam_id in sorted({a.exam_id for a in attempts}):
        exam = next(a.exam for a in attempts if a.exam_id == exam_id)
        refresh_rank_population(
            exam=exam, user_ids=sorted({a.user_id for a in attempts if a.exam_id == exam_id})
        )
