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

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Max, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question
from assessments.services import exam_marking_settled
from attempts.errors import (
    AttemptLimitError,
    AttemptNotRunningError,
    ConflictError,
    DeadlinePassedError,
    ExamNotOpenError,
    InvalidAnswerError,
    NotAllowedError,
)
from attempts.marking import exam_rules, rule_for, stored_responses
from attempts.models import DEADLINE_GRACE as models_grace
from attempts.models import Accommodation, Attempt, AttemptEvent, UserAnswer
from attempts.scoring import (
    MarkingRule,
    Outcome,
    Response,
    ScoringError,
    percentage,
    score_answer,
    summarise,
)
from lms import access
from lms.models import Enrollment

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
    if running is not None:
        if running.deadline_at is None or now <= running.deadline_at + DEADLINE_GRACE:
            Attempt.objects.filter(pk=running.pk).update(last_started_at=now)
            running.last_started_at = now
            state = (Attempt.State.RUNNING, running.score)
            record(event(running.pk, Kind.RESUMED, before=state, after=state, now=now, actor=user))
            return running
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
    used = Attempt.objects.filter(user=user, exam=exam).aggregate(n=Max("attempt_number"))["n"]
    if exam.max_attempts is not None and (used or 0) >= exam.max_attempts:
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
        attempt_number=(used or 0) + 1,
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
    # answer row and the running totals below are read and written without races.
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
    # One query for the question's choices serves both the check and the key.
    choices = dict(
        AnswerChoice.objects.filter(question_id=exam_question.question_id).values_list(
            "pk", "is_correct"
        )
    )
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
    Attempt.objects.filter(pk__in=[pk for pk, _, _ in rows], state=Attempt.State.RUNNING).update(
        state=Attempt.State.COMPLETED, completed_at=completed_at
    )
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
    # The attempt row first, as every writer of its result locks it (a rescore chunk too):
    # an evaluation and a rescore of the same attempt run one after the other.
    list(Attempt.objects.select_for_update().filter(pk=answer.attempt_id).values_list("pk"))
    answer = (
        UserAnswer.objects.select_for_update()
        .select_related("attempt__exam", "exam_question__question")
        .get(pk=answer.pk)
    )
    attempt = answer.attempt
    if not access.can_review_attempt(evaluator, attempt):
        raise NotAllowedError("Only an instructor of this course can evaluate its answers.")
    if answer.exam_question.question.type != Question.Type.ESSAY:
        raise InvalidAnswerError("Only essay answers are evaluated by hand.", field="marks")
    if not attempt.is_finished:
        raise ConflictError("The attempt is still running: evaluate it after it is submitted.")
    if answer.result == Outcome.UNANSWERED:
        raise ConflictError("This essay was not answered: there is nothing to evaluate.")
    maximum = answer.exam_question.marks
    if marks is None or not (Decimal("0") <= Decimal(marks) <= maximum):
        raise InvalidAnswerError(f"Award between 0 and {maximum} marks.", field="marks")
    previous = answer.evaluated_marks
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
    )
    refresh_rank_population(exam=attempt.exam, user_ids=[attempt.user_id])
    answer.refresh_from_db()
    return answer


# -------------------------------------------------------------------------------- rescore


def exam_rescore(
    *,
    exam: Exam,
    actor=None,
    chunk_size: int = 500,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> int:
    """Recompute every finished attempt of an exam from its stored answers.

    For after a key or marks change. Set-based: the rules are loaded once, answers a chunk of
    attempts at a time, and only rows whose outcome or marks changed are written (each
    attempt whose result changed gets a ``rescored`` event). Each chunk is its own
    transaction; ``progress`` is called with the number of attempts done. At the end the
    exam's "marking changed" flag is cleared, unless the marking changed again meanwhile.
    Returns how many attempts were rescored.
    """
    started = _now(now)
    rules = exam_rules(exam.pk)
    finished = Attempt.objects.finished().filter(exam=exam)
    done, last_pk = 0, 0
    while True:
        ids = list(
            finished.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:chunk_size]
        )
        if not ids:
            break
        with transaction.atomic():
            score_attempts(
                exam=exam, attempt_ids=ids, kind=Kind.RESCORED, actor=actor, rules=rules, now=now
            )
        done, last_pk = done + len(ids), ids[-1]
        if progress:
            progress(len(ids))
    with transaction.atomic():
        refresh_rank_population(exam=exam)
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
    return len(rows)


# ---------------------------------------------------------------------- shared machinery


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
) -> None:
    """Mark the answers of finished attempts, store every result field, record the events.

    Creates the rows of unanswered questions, writes the outcome and marks of rows that
    changed, and moves each attempt to completed, or to pending evaluation while an essay
    awaits marks (``passed`` stays None until then). Only attempts whose state or result
    changed are written, each with one ``kind`` event (every attempt when
    ``always_record``). ``was_running``: the caller has just moved these attempts from
    running to completed, so that is the state they had before. A fixed number of queries
    per call, whatever the number of attempts.
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
        "pk", "state", "completed_at", *Attempt.RESULT_FIELDS
    )
    changed, missing, finished, events = [], [], [], []
    for attempt in attempts:
        stored = answers.get(attempt.pk, {})
        marked = []
        for exam_question_id, rule in rules.items():
            row = stored.get(exam_question_id)
            result = score_answer(rule, row.response if row else None)
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
            elif row.result != result.outcome or row.marks_awarded != result.marks:
                changed.append(
                    UserAnswer(pk=row.id, result=result.outcome, marks_awarded=result.marks)
                )
        before = [getattr(attempt, name) for name in RESULT_FIELDS]
        state_before = Attempt.State.RUNNING if was_running else attempt.state
        score_before = attempt.score
        total = summarise(marked, exam.pass_percentage)
        attempt.state = (
            Attempt.State.PENDING_EVALUATION if total.pending else Attempt.State.COMPLETED
        )
        attempt.completed_at = attempt.completed_at or now
        attempt.total_questions = total.total
        attempt.correct_count = total.correct
        attempt.incorrect_count = total.incorrect
        attempt.partial_count = total.partial
        attempt.unanswered_count = total.unanswered
        attempt.pending_count = total.pending
        attempt.score = total.score
        attempt.max_score = total.max_score
        attempt.percentage = total.percentage
        attempt.passed = None if total.pending else total.passed
        moved = was_running or before != [getattr(attempt, name) for name in RESULT_FIELDS]
        if moved:
            finished.append(attempt)
        if moved or always_record:
            events.append(
                event(
                    attempt.pk,
                    kind,
                    before=(state_before, score_before),
                    after=(attempt.state, attempt.score),
                    now=now,
                    actor=actor,
                    **(details or {}),
                )
            )
    UserAnswer.objects.bulk_create(missing, batch_size=1000)
    UserAnswer.objects.bulk_update(changed, ["result", "marks_awarded"], batch_size=500)
    Attempt.objects.bulk_update(finished, RESULT_FIELDS, batch_size=500)
    record(*events)


def refresh_rank_population(*, exam: Exam, user_ids: Iterable[int] | None = None) -> None:
    """Set ``counts_for_rank`` on the one completed attempt per learner the policy picks.

    first: the lowest attempt number; last: the highest; best: the highest score (the earlier
    attempt on a tie). Attempts that are not completed never count. One UPDATE statement.
    ``counts_for_rank`` follows from the stored results (it is not a result itself), so it
    records no event.
    """
    completed = Attempt.objects.filter(
        exam_id=exam.pk, user_id=OuterRef("user_id"), state=Attempt.State.COMPLETED
    )
    chosen = completed.order_by(*RANK_ORDER[exam.rank_policy]).values("pk")[:1]
    scope = Attempt.objects.filter(exam_id=exam.pk)
    if user_ids is not None:
        scope = scope.filter(user_id__in=list(user_ids))
    scope.update(
        counts_for_rank=Case(
            When(Q(state=Attempt.State.COMPLETED) & Q(pk=Subquery(chosen)), then=Value(True)),
            default=Value(False),
        )
    )


__all__ = [
    "DEADLINE_GRACE",
    "accommodation_set",
    "answer_evaluate",
    "attempt_extend_deadline",
    "attempt_open",
    "attempt_save_answer",
    "attempt_start",
    "attempt_submit",
    "attempts_finalize",
    "attempts_finalize_overdue",
    "attempts_rescore",
    "exam_rescore",
    "record",
    "refresh_rank_population",
    "score_attempts",
]
