"""Demo attempts played through ``attempts.services``, as learners would take them.

:func:`create_demo_attempts` plays a thousand or so attempts through ``attempts.services``
(``attempt_start``, ``attempt_save_answer`` per question, ``attempt_submit``, and
``answer_evaluate`` by the course's instructor for essays), each call with a simulated ``now``,
so the default demo goes through the real write path and shows every state: completed, pending
evaluation, running (some past their deadline) and not started. The learners' answers come from
the model of :mod:`lms.demo.simulation`; :func:`plan_chains` decides, without the database, who
takes which exam how often and when.
"""

import random
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from django.db import connection
from django.db.models import Count

from assessments.models import Exam
from attempts.models import Attempt, UserAnswer
from attempts.services import (
    answer_evaluate,
    attempt_open,
    attempt_save_answer,
    attempt_start,
    attempt_submit,
)
from lms.demo.bulk import analyze_attempts
from lms.demo.plan import rng_for
from lms.demo.simulation import (
    BULK_MARKER,
    DAY,
    DEMO_MARKER,
    HOUR,
    LAST_START,
    PENDING_SHARE,
    WINDOW_SECONDS,
    WINDOW_START,
    ExamSim,
    Progress,
    enrolled_through_the_window,
    essay_award,
    essay_comment,
    learner_ability,
    sitting,
)
from lms.models import Enrollment, User

# Attempts played through the services by default. Each costs about 0.1 s on SQLite (a start,
# some 18 calls of attempt_save_answer and a submit, each a handful of queries): 1,000 take
# about 100 s, 2,000 would take over three minutes.
DEFAULT_DEMO_ATTEMPTS = 2000  # asked for; about 1,260 fit the learners and attempt limits

# Shares of the attempts played through the services that do not end in a submit.
RUNNING_SHARE = 0.03  # running on the untimed exam: never overdue
OVERDUE_SHARE = 0.004  # running on a timed exam past its deadline (for finalize_overdue)
NOT_STARTED_SHARE = 0.005
# Chain of attempts of one learner at one exam: its length (capped by max_attempts).
CHAIN_LENGTHS, CHAIN_WEIGHTS = (1, 2, 3, 4), (55, 27, 12, 6)

SUBMIT, RUNNING, OVERDUE, NOT_STARTED = "submit", "running", "overdue", "not started"


def _at(offset: int) -> datetime:
    return WINDOW_START + timedelta(seconds=offset)


@dataclass
class PlannedAttempt:
    marker: int  # institute_attempt_id
    start: int  # seconds after WINDOW_START
    ending: str = SUBMIT
    leave_pending: bool = False  # essays left for the instructor


@dataclass
class Chain:
    """One learner's attempts at one exam, in order (each starts after the previous ends)."""

    username: str
    exam: ExamSim
    attempts: list[PlannedAttempt] = field(default_factory=list)


def plan_chains(
    rng: random.Random,
    count: int,
    exams: Sequence[ExamSim],
    pools: dict[int, list[str]],
    featured: str | None = None,
) -> list[Chain]:
    """Who takes which exam how often, when, and how each attempt ends (no database).

    ``pools`` lists, per exam id, the usernames that may start it (sorted); ``featured`` (the
    demo login) gets a chain at every exam it may take before the others are drawn.
    """
    pools = {pk: list(names) for pk, names in pools.items()}
    chains: list[Chain] = []
    total = 0

    def add(username: str, exam: ExamSim) -> None:
        nonlocal total
        length = rng.choices(CHAIN_LENGTHS, CHAIN_WEIGHTS)[0]
        length = min(length, exam.cap or length, count - total)
        gaps = [rng.randint(DAY, 10 * DAY) for _ in range(length - 1)]
        first = rng.randint(0, LAST_START - sum(gaps))
        starts = list(accumulate(gaps, initial=first))
        chain = Chain(username, exam)
        for start in starts:
            chain.attempts.append(PlannedAttempt(DEMO_MARKER + total, start))
            total += 1
        chains.append(chain)

    if featured:
        for exam in exams:
            if total < count and featured in pools[exam.exam.pk]:
                pools[exam.exam.pk].remove(featured)
                add(featured, exam)
    live = [exam for exam in exams if pools[exam.exam.pk]]
    while total < count and live:
        exam = rng.choices(live, [e.weight for e in live])[0]
        pool = pools[exam.exam.pk]
        add(pool.pop(rng.randrange(len(pool))), exam)
        if not pool:
            live.remove(exam)

    def endings(candidates: list[Chain], share: float, ending: str) -> None:
        wanted = min(max(1, round(count * share)), len(candidates))
        for chain in rng.sample(candidates, wanted):
            chain.attempts[-1].ending = ending

    endings([c for c in chains if c.exam.exam.duration is None], RUNNING_SHARE, RUNNING)
    for chain in chains:
        last = chain.attempts[-1]
        if last.ending == RUNNING:  # in progress: started in the last days of the window
            last.start = max(last.start, WINDOW_SECONDS - rng.randint(3 * HOUR, 5 * DAY))
    finished = [c for c in chains if c.attempts[-1].ending == SUBMIT]
    endings([c for c in finished if c.exam.exam.duration is not None], OVERDUE_SHARE, OVERDUE)
    endings([c for c in chains if c.attempts[-1].ending == SUBMIT], NOT_STARTED_SHARE, NOT_STARTED)
    with_essays = [a for c in chains if c.exam.has_essays for a in c.attempts if a.ending == SUBMIT]
    if with_essays:
        wanted = max(1, round(len(with_essays) * PENDING_SHARE))
        for attempt in rng.sample(with_essays, wanted):
            attempt.leave_pending = True
    return chains


@dataclass
class DemoAttempts:
    created: int = 0
    kept: int = 0  # already there: the step was skipped
    by_state: dict[str, int] = field(default_factory=dict)
    overdue: int = 0  # running attempts past their deadline
    evaluated: int = 0  # essays marked by an instructor


def demo_attempt_count(exams: Iterable[Exam]) -> int:
    return Attempt.objects.filter(
        exam__in=list(exams),
        institute_attempt_id__gte=DEMO_MARKER,
        institute_attempt_id__lt=BULK_MARKER,
    ).count()


def create_demo_attempts(
    *,
    seed: int,
    count: int,
    exams: Sequence[ExamSim],
    users: Iterable[User],
    featured: str | None = None,
    progress: Progress,
) -> DemoAttempts:
    """Play ``count`` attempts of ``users`` through the services (skipped when they exist).

    Only learners actively enrolled in an exam's course take it, and never at an exam they
    already have attempts at (the services would number after those, or refuse).
    """
    kept = demo_attempt_count(e.exam for e in exams)
    if kept or count <= 0:
        return DemoAttempts(kept=kept)
    users = sorted(users, key=lambda u: u.username)
    by_name = {u.username: u for u in users}
    pools = _pools(exams, users)
    chains = plan_chains(rng_for(seed, "attempts"), count, exams, pools, featured)
    result = DemoAttempts()
    with (
        progress(sum(len(c.attempts) for c in chains), "Demo attempts (services)") as bar,
        _alone_in_the_transaction(),
    ):
        for chain in chains:
            for planned in chain.attempts:
                _play(seed, by_name[chain.username], chain.exam, planned, result)
                bar.update(1)
    analyze_attempts()  # the demo site then plans its rank updates well (see there)
    states = Attempt.objects.filter(
        institute_attempt_id__gte=DEMO_MARKER, institute_attempt_id__lt=BULK_MARKER
    )
    labels = dict(Attempt.State.choices)
    result.by_state = {
        labels[state]: n
        for state, n in states.values_list("state").annotate(n=Count("pk")).order_by("state")
    }
    return result


@contextmanager
def _alone_in_the_transaction():
    """Inside the builder's transaction, the services' own atomic blocks open no savepoints.

    A savepoint lets a caller survive one failed call and go on; the play is the only writer
    and stops at the first error (which rolls the whole transaction back), so the SAVEPOINT
    and RELEASE around each call were two of its ten or so round trips for nothing: about a
    fifth of the play's queries on PostgreSQL (60 attempts: 11,680 queries, 9,224 without).
    Outside a transaction nothing changes; SQLite's backend decides savepoints by itself
    and keeps them."""
    features = connection.features
    if not connection.in_atomic_block:
        yield
        return
    features.uses_savepoints = False  # read by connection.savepoint(), per connection
    try:
        yield
    finally:
        del features.uses_savepoints  # the backend's own value again


def _pools(exams: Sequence[ExamSim], users: list[User]) -> dict[int, list[str]]:
    """Per exam, the usernames actively enrolled in its course for the whole window and
    without an attempt at it yet."""
    ids = [u.pk for u in users]
    names = {u.pk: u.username for u in users}
    active = set(
        Enrollment.objects.filter(enrolled_through_the_window(), user_id__in=ids).values_list(
            "user_id", "course_id"
        )
    )
    taken = set(
        Attempt.objects.filter(user_id__in=ids, exam__in=[e.exam for e in exams]).values_list(
            "user_id", "exam_id"
        )
    )
    return {
        e.exam.pk: sorted(
            names[pk]
            for pk in ids
            if (pk, e.exam.course_id) in active and (pk, e.exam.pk) not in taken
        )
        for e in exams
    }


def _play(seed: int, user: User, exam: ExamSim, planned: PlannedAttempt, result: DemoAttempts):
    rng = rng_for(seed, f"attempt/{planned.marker}")
    ability = learner_ability(seed, user.username)
    started = _at(planned.start)
    if planned.ending == NOT_STARTED:
        # The learner opened the exam page and went no further.
        attempt_open(user=user, exam=exam.exam, now=started, institute_attempt_id=planned.marker)
        result.created += 1
        return
    attempt = attempt_start(
        user=user, exam=exam.exam, now=started, institute_attempt_id=planned.marker
    )
    answers = sitting(rng, exam, ability, answer_essay=planned.leave_pending)
    if planned.ending != SUBMIT:  # running: part of the way through
        answers = answers[: rng.randint(1, max(1, len(answers) - 2))]
    now = started
    for q, (chosen, text, number), seconds, flagged, guessed in answers:
        now += timedelta(seconds=seconds)
        attempt_save_answer(
            attempt=attempt,
            exam_question=q.placement,
            choice_ids=chosen,
            text=text,
            number=number,
            time_spent_seconds=seconds,
            flagged=flagged,
            guessed=guessed,
            now=now,
        )
    result.created += 1
    if planned.ending == OVERDUE:
        result.overdue += 1
    if planned.ending != SUBMIT:
        return
    attempt = attempt_submit(attempt=attempt, now=now)
    if planned.leave_pending or attempt.state != Attempt.State.PENDING_EVALUATION:
        return
    replies = {q.placement.pk: (q, reply) for q, reply, *_ in answers}
    evaluated_at = now + timedelta(seconds=rng.randint(2 * HOUR, 5 * DAY))
    pending = UserAnswer.objects.filter(attempt=attempt, result=UserAnswer.Result.PENDING)
    for answer in pending.order_by("pk"):
        q, reply = replies[answer.exam_question_id]
        award = essay_award(rng, q, ability, reply)
        answer_evaluate(
            answer=answer,
            evaluator=exam.evaluator,
            marks=award,
            comment=essay_comment(award, q.rule.marks),
            now=evaluated_at,
        )
        evaluated_at += timedelta(seconds=rng.randint(60, 600))
        result.evaluated += 1
