"""Demo attempts for ``manage.py seed_demo``: simulated learners sitting the demo exams.

One model of a learner answering a question (:func:`draw_answer`) feeds two writers:

* :func:`create_demo_attempts` plays a thousand or so attempts through ``attempts.services``
  (``attempt_start``, ``attempt_save_answer`` per question, ``attempt_submit``, and
  ``answer_evaluate`` by the course's instructor for essays), each call with a simulated
  ``now``, so the default demo goes through the real write path and shows every state.
* :func:`bulk_attempts` writes tens of thousands of finished attempts straight into the tables
  (``executemany`` of plain tuples on SQLite, ``COPY`` on PostgreSQL, in chunked transactions;
  both about six times faster than ``bulk_create`` here), marking each answer with the pure
  ``attempts.scoring.score_answer`` and totalling each attempt with ``summarise``: the functions
  the services call, so ``score_attempts`` on a bulk attempt changes nothing.

The learner model: each learner has an ability in 0..1 (a Beta(4, 3) draw keyed by seed and
username, see :func:`learner_ability`). The chance of a right answer is a logistic curve of
ability minus the question's difficulty; weaker learners skip more questions (more so when a
wrong answer costs marks), guess more, flag more for review and write weaker essays. A wrong
multiple-choice answer is a proper subset of the key half of the time (partial marks on the
JEE-style exam). Time per question is 20-240 s, longer for harder questions; on a timed exam the
times are squeezed so that the attempt ends before the deadline.

Determinism: every draw comes from ``random.Random`` seeded with the seed and a part name, every
simulated time is an offset from :data:`WINDOW_START` and lies before :data:`WINDOW_END`, and
whatever is read from the database is sorted first. Idempotence: each attempt carries a marker in
``institute_attempt_id`` (:data:`DEMO_MARKER` + n through the services, :data:`BULK_MARKER` + n in
bulk); the service step is skipped when its attempts exist, the bulk step tops up to its target.
"""

import math
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from itertools import accumulate, combinations

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce

from assessments.models import AnswerChoice, Exam, ExamQuestion
from attempts.marking import exam_rules
from attempts.models import Attempt, AttemptEvent, UserAnswer
from attempts.scoring import (
    AnswerScore,
    MarkingRule,
    QuestionKind,
    Response,
    normalise_text,
    score_answer,
    summarise,
)
from attempts.services import (
    answer_evaluate,
    attempt_save_answer,
    attempt_start,
    attempt_submit,
    refresh_rank_population,
)
from lms.models import Enrollment, User

# Every simulated instant lies in this window (the exams are open from 1 September 2026).
WINDOW_START = datetime(2026, 9, 2, tzinfo=UTC)
WINDOW_END = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW_SECONDS = int((WINDOW_END - WINDOW_START).total_seconds())
DAY, HOUR = 86_400, 3_600
# Attempts start this long before the window ends at the latest, so that retakes and essay
# evaluations (up to 5 days after a submit) still fall inside it.
LAST_START = WINDOW_SECONDS - 6 * DAY

# institute_attempt_id of the demo's attempts: a marker that makes re-runs idempotent.
DEMO_MARKER = 1_000_000_000  # + n for the n-th attempt played through the services
BULK_MARKER = 2_000_000_000  # + n for the n-th attempt written in bulk

# Attempts played through the services by default. Each costs about 0.1 s on SQLite (some 18
# calls of attempt_save_answer at about 16 queries each): 1,000 take about 100 s, 2,000 would
# take over three minutes.
DEFAULT_DEMO_ATTEMPTS = 2000  # asked for; about 1,260 fit the learners and attempt limits

# Share of attempts per exam (by title); an exam not listed gets DEFAULT_WEIGHT.
EXAM_WEIGHTS = {
    "Physics Mock Test 1": 30,
    "JEE-style Multiple Correct Practice": 20,
    "General Studies Quiz": 30,
    "Mathematics Midterm": 20,
}
DEFAULT_WEIGHT = 25

# Difficulty on the ability scale: a learner of this ability answers right half of the time.
DIFFICULTY_LEVEL = {"easy": 0.25, "medium": 0.45, "hard": 0.65, None: 0.45}
SLOPE = 7.0  # steepness of the logistic curve of ability minus difficulty
# Seconds spent on a question, by difficulty (None: not labelled).
SECONDS = {"easy": (20, 90), "medium": (30, 150), "hard": (60, 240), None: (25, 180)}
ESSAY_SECONDS = (150, 240)
SKIP_SECONDS = (20, 45)  # a look at a question left blank
MIN_SECONDS = 20
# Taken off a timed exam's duration: the learner submits with this much time to spare.
SPARE_SECONDS = 120

# Shares of the attempts played through the services that do not end in a submit.
RUNNING_SHARE = 0.03  # running on the untimed exam: never overdue
OVERDUE_SHARE = 0.004  # running on a timed exam past its deadline (for finalize_overdue)
NOT_STARTED_SHARE = 0.005
PENDING_SHARE = 0.3  # of the finished attempts with essays: left for the instructor
EVALUATED_SHARE = 1 - PENDING_SHARE
# Chain of attempts of one learner at one exam: its length (capped by max_attempts).
CHAIN_LENGTHS, CHAIN_WEIGHTS = (1, 2, 3, 4), (55, 27, 12, 6)

GOOD_ESSAYS = (
    "I start from the definitions and state the result precisely. Then I prove it step by "
    "step, work a small example by hand to check each step, and end by explaining which "
    "assumptions the argument needs and what fails without them.",
    "The key idea is to reduce the problem to a case we already understand. I set up the "
    "notation, derive the main identity, apply it to two examples and compare the results "
    "with a direct calculation, which agrees.",
)
WEAK_ESSAYS = (
    "I think this is about how the quantities depend on each other. I remember the main "
    "formula but not how to prove it, so I wrote down an example.",
    "This topic was covered in the lectures. The answer uses the rule from the textbook; I ran "
    "out of time before finishing the explanation.",
)
WRONG_WORDS = ("energy", "velocity", "pressure", "matrix", "series", "oxygen", "empire", "delta")
COMMENTS = (
    (0.8, "Clear and complete: well done."),
    (0.5, "A good start; parts of the argument need more detail."),
    (0.0, "Revise the definitions and work through the examples again."),
)

SUBMIT, RUNNING, OVERDUE, NOT_STARTED = "submit", "running", "overdue", "not started"

# A response: (chosen choice ids, sorted), text, number. Built once per question, then reused,
# so that marking can be memoised on it.
Reply = tuple[tuple[int, ...], str, Decimal | None]
BLANK: Reply = ((), "", None)
MICRO = Decimal("0.000001")  # numeric_response has 6 decimal places
CENT = Decimal("0.01")

Progress = Callable[[int, str], AbstractContextManager]


def rng_for(seed: int, part: str) -> random.Random:
    """A generator for one part (string seeds hash the same in every process)."""
    return random.Random(f"{seed}/{part}")


def learner_ability(seed: int, username: str) -> float:
    """The learner's ability in 0..1 (mean 0.57): the same for a seed and username everywhere."""
    return rng_for(seed, f"ability/{username}").betavariate(4, 3)


def chance_right(ability: float, level: float) -> float:
    return 1 / (1 + math.exp(-SLOPE * (ability - level)))


# ---------------------------------------------------------------------------------------------
# Exams and questions as the simulation sees them.
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class QuestionSim:
    """One exam question: its marking rule and the replies a learner may give."""

    placement: ExamQuestion  # with its question loaded (attempt_save_answer reads it)
    rule: MarkingRule
    pk: int  # of the placement (read once per answer in bulk: a plain attribute is faster)
    is_essay: bool
    level: float  # difficulty on the ability scale
    seconds: tuple[int, int]
    right: tuple[Reply, ...]
    wrong: tuple[Reply, ...]
    partial: tuple[Reply, ...] = ()  # proper subsets of a multiple-choice key
    options: tuple[Reply, ...] = ()  # what a guess picks from (choice questions only)


@dataclass(eq=False)
class ExamSim:
    exam: Exam
    questions: tuple[QuestionSim, ...]
    evaluator: User | None  # the course's first instructor: marks the essays
    weight: int

    @cached_property
    def budget(self) -> int | None:
        """Seconds a learner spends at most (None: untimed)."""
        if self.exam.duration is None:
            return None
        return int(self.exam.duration.total_seconds()) - SPARE_SECONDS

    @cached_property
    def has_essays(self) -> bool:
        return any(q.is_essay for q in self.questions)

    @property
    def cap(self) -> int | None:
        return self.exam.max_attempts


def load_exams(exams: Iterable[Exam]) -> list[ExamSim]:
    """The simulation's view of the exams: a few queries per exam."""
    sims = []
    for exam in exams:
        rules = exam_rules(exam.pk)
        placements = {
            p.pk: p for p in ExamQuestion.objects.filter(exam=exam).select_related("question")
        }
        choices: dict[int, list[int]] = {}
        for question_id, choice_id in AnswerChoice.objects.filter(
            question__placements__exam=exam
        ).values_list("question_id", "id"):
            choices.setdefault(question_id, []).append(choice_id)
        questions = tuple(
            _question_sim(placements[pk], rule, sorted(choices.get(placements[pk].question_id, [])))
            for pk, rule in rules.items()
        )
        evaluator = exam.course.instructors.order_by("pk").first()
        sims.append(
            ExamSim(exam, questions, evaluator, EXAM_WEIGHTS.get(exam.title, DEFAULT_WEIGHT))
        )
    return sims


def _question_sim(placement: ExamQuestion, rule: MarkingRule, choice_ids: list[int]) -> QuestionSim:
    difficulty = placement.question.difficulty
    kind, key = rule.kind, rule.key
    sim = {
        "placement": placement,
        "rule": rule,
        "pk": placement.pk,
        "is_essay": kind is QuestionKind.ESSAY,
        "level": DIFFICULTY_LEVEL[difficulty],
        "seconds": SECONDS[difficulty],
    }
    if kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE):
        options = tuple(((c,), "", None) for c in choice_ids)
        sim |= {
            "right": tuple(o for o in options if set(o[0]) == key),
            "wrong": tuple(o for o in options if set(o[0]) != key),
            "options": options,
        }
    elif kind is QuestionKind.MULTIPLE:
        options = tuple(
            (subset, "", None)
            for size in range(1, len(choice_ids) + 1)
            for subset in combinations(choice_ids, size)
        )
        sim |= {
            "right": tuple(o for o in options if set(o[0]) == key),
            "partial": tuple(o for o in options if set(o[0]) < key),
            "wrong": tuple(o for o in options if not set(o[0]) <= key),
            "options": options,
        }
    elif kind is QuestionKind.NUMERIC:
        answer = rule.numeric_answer
        near = (answer + 1, answer - 1, answer * 2, answer / 2, -answer, answer + 10)
        wrong = {v.quantize(MICRO) for v in near if abs(v - answer) > rule.tolerance}
        sim |= {
            "right": (((), "", answer.quantize(MICRO)),),
            "wrong": tuple(((), "", v) for v in sorted(wrong)),
        }
    elif kind is QuestionKind.SHORT_TEXT:
        accepted = rule.accepted_answers or ("answer",)
        variants = dict.fromkeys([*accepted, accepted[0].upper(), f"  {accepted[0].title()} "])
        taken = {normalise_text(a) for a in accepted}
        sim |= {
            "right": tuple(((), text, None) for text in variants),
            "wrong": tuple(((), w, None) for w in WRONG_WORDS if w not in taken)[:4],
        }
    else:  # essay
        sim |= {
            "seconds": ESSAY_SECONDS,
            "right": tuple(((), text, None) for text in GOOD_ESSAYS),
            "wrong": tuple(((), text, None) for text in WEAK_ESSAYS),
        }
    return QuestionSim(**sim)


# ---------------------------------------------------------------------------------------------
# One learner answering one question.
# ---------------------------------------------------------------------------------------------


def draw_answer(
    rng: random.Random, q: QuestionSim, ability: float, *, answer_essay: bool = False
) -> tuple[Reply, int, bool, bool | None]:
    """(reply, seconds spent, flagged for review, guessed) of one learner on one question.

    ``guessed`` is None where the player does not ask (blank answers, questions without
    choices). ``answer_essay`` forces an essay to be written (one left for evaluation).
    """
    draw = rng.random
    p = chance_right(ability, q.level)
    if q.is_essay:
        skip = not answer_essay and draw() < 0.1 + 0.25 * (1 - ability)
    else:
        # Weaker learners leave more blank: a blank costs nothing under negative marking.
        skip = draw() < 0.03 + 0.2 * (1 - p)
    if skip:
        low, high = SKIP_SECONDS
        return BLANK, low + int(draw() * (high - low + 1)), draw() < 0.4, None
    guessed = None
    if q.options:
        guessed = draw() < 0.12 * (1 - p)
    if guessed:
        pool = q.options
    elif draw() < p:
        pool = q.right
    elif q.partial and draw() < 0.5:
        pool = q.partial
    else:
        pool = q.wrong
    low, high = q.seconds
    seconds = low + int(draw() * (high - low + 1))
    return pool[int(draw() * len(pool))], seconds, draw() < 0.04 + 0.16 * (1 - p), guessed


def fit_seconds(seconds: list[int], budget: int | None) -> list[int]:
    """Squeeze the times spent (keeping at least 20 s each) so that they fit the budget."""
    total = sum(seconds)
    if budget is None or total <= budget:
        return seconds
    floor = MIN_SECONDS * len(seconds)
    factor = max(budget - floor, 0) / max(total - floor, 1)
    return [MIN_SECONDS + int(max(s - MIN_SECONDS, 0) * factor) for s in seconds]


def essay_award(rng: random.Random, q: QuestionSim, ability: float, reply: Reply) -> Decimal:
    """The instructor's marks, in half marks: the better the learner and essay, the more."""
    quality = ability + rng.gauss(0, 0.12)
    if reply in q.wrong:
        quality *= 0.6
    quality = min(max(quality, 0.0), 1.0)
    halves = round(float(q.rule.marks) * quality * 2)
    return min(Decimal(halves) / 2, q.rule.marks).quantize(CENT)


def essay_comment(award: Decimal, marks: Decimal) -> str:
    share = float(award / marks) if marks else 1.0
    return next(text for threshold, text in COMMENTS if share >= threshold)


def sitting(
    rng: random.Random, exam: ExamSim, ability: float, *, answer_essay: bool = False
) -> list[tuple[QuestionSim, Reply, int, bool, bool | None]]:
    """One learner's pass over every question of the exam, in order, within its duration."""
    drawn = [draw_answer(rng, q, ability, answer_essay=answer_essay) for q in exam.questions]
    seconds = fit_seconds([d[1] for d in drawn], exam.budget)
    return [
        (q, reply, spent, flagged, guessed)
        for q, (reply, _, flagged, guessed), spent in zip(
            exam.questions, drawn, seconds, strict=True
        )
    ]


def _at(offset: int) -> datetime:
    return WINDOW_START + timedelta(seconds=offset)


# ---------------------------------------------------------------------------------------------
# About a thousand attempts through the services.
# ---------------------------------------------------------------------------------------------


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
    with progress(sum(len(c.attempts) for c in chains), "Demo attempts (services)") as bar:
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


def _pools(exams: Sequence[ExamSim], users: list[User]) -> dict[int, list[str]]:
    """Per exam, the usernames actively enrolled in its course for the whole window and
    without an attempt at it yet."""
    ids = [u.pk for u in users]
    names = {u.pk: u.username for u in users}
    active = set(
        Enrollment.objects.filter(user_id__in=ids, status=Enrollment.Status.ACTIVE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=WINDOW_END))
        .values_list("user_id", "course_id")
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
        # No service opens an attempt without starting it: the row the player creates when a
        # learner opens the exam page, numbered after the learner's earlier attempts.
        used = Attempt.objects.filter(user=user, exam=exam.exam).aggregate(n=Max("attempt_number"))
        Attempt.objects.create(
            user=user,
            exam=exam.exam,
            state=Attempt.State.NOT_STARTED,
            attempt_number=(used["n"] or 0) + 1,
            started_at=started,
            institute_attempt_id=planned.marker,
            total_questions=len(exam.questions),
            unanswered_count=len(exam.questions),
            max_score=sum(q.rule.marks for q in exam.questions),
        )
        result.created += 1
        return
    attempt = attempt_start(user=user, exam=exam.exam, now=started)
    Attempt.objects.filter(pk=attempt.pk).update(institute_attempt_id=planned.marker)
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


# ---------------------------------------------------------------------------------------------
# Tens of thousands of finished attempts in bulk.
# ---------------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    existing: int = 0
    created: int = 0
    answers: int = 0
    choices: int = 0
    short: int = 0  # attempts that did not fit (every learner at its cap)


ATTEMPT_COLUMNS = (
    "id",
    "uuid",
    "user_id",
    "exam_id",
    "attempt_number",
    "state",
    "started_at",
    "last_started_at",
    "completed_at",
    "last_answer_at",
    "deadline_at",
    "institute_attempt_id",
    *Attempt.RESULT_FIELDS,
    "counts_for_rank",
)
ANSWER_COLUMNS = (
    "id",
    "attempt_id",
    "exam_question_id",
    "text_response",
    "numeric_response",
    "result",
    "marks_awarded",
    "time_spent_seconds",
    "is_flagged",
    "is_guessed",
    "evaluated_marks",
    "evaluated_by_id",
    "evaluated_at",
    "evaluator_comment",
    "created_at",
    "updated_at",
)
CHOICE_COLUMNS = ("useranswer_id", "answerchoice_id")


def _insert_sql(model, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )


def _copy(cursor, model, columns: Sequence[str], rows: list[tuple]) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN``, several times faster than ``executemany`` there."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with cursor.cursor.copy(sql) as copy:  # the psycopg cursor under Django's wrapper
        for row in rows:
            copy.write_row(row)


def bulk_attempt_count(exams: Iterable[Exam]) -> int:
    return Attempt.objects.filter(
        exam__in=list(exams), institute_attempt_id__gte=BULK_MARKER
    ).count()


class _Picker:
    """Draws (exam, learner, attempt number, start) for the next bulk attempt.

    Respects ``max_attempts``, starts each retake after the learner's previous attempt at the
    exam ended (the database's attempts included), and leaves alone the learners with an
    attempt running or not started at an exam (the player would resume that one).
    """

    def __init__(self, rng, exams, pools, history):
        self.rng = rng
        self.pools = pools  # exam id -> [user id], sorted by username
        self.history = history  # (exam id, user id) -> [attempts so far, earliest next start]
        self.live = [e for e in exams if pools[e.exam.pk]]

    def next(self) -> tuple[ExamSim, int, int, int] | None:
        rng = self.rng
        while self.live:
            exam = rng.choices(self.live, [e.weight for e in self.live])[0]
            pool = self.pools[exam.exam.pk]
            at = int(rng.random() * len(pool))
            user_id = pool[at]
            done, earliest = self.history.get((exam.exam.pk, user_id), (0, 0))
            if (exam.cap is not None and done >= exam.cap) or earliest > LAST_START:
                pool[at] = pool[-1]  # this learner is done with this exam
                pool.pop()
                if not pool:
                    self.live.remove(exam)
                continue
            if done == 0 and earliest == 0:
                start = rng.randint(0, LAST_START)
            else:  # a retake, typically a few days later
                start = min(earliest + int(rng.expovariate(1 / (5 * DAY))), LAST_START)
            return exam, user_id, done + 1, start
        return None

    def finished(self, exam_id: int, user_id: int, number: int, end: int) -> None:
        self.history[exam_id, user_id] = [number, end + DAY]


def bulk_attempts(
    *,
    seed: int,
    target: int,
    exams: Sequence[ExamSim],
    users,
    progress: Progress,
    chunk_size: int = 4000,
) -> BulkResult:
    """Top the bulk attempts of ``exams`` up to ``target``, taken by ``users`` (a queryset).

    Each attempt is finished (completed, or pending evaluation when an essay is left for the
    instructor) and has one answer per exam question, as a submitted attempt has. Each chunk
    is one transaction; see :func:`_insert` for how its rows get their ids. Afterwards the
    planner statistics are refreshed and each exam's rank population set (one UPDATE each).
    """
    result = BulkResult(existing=bulk_attempt_count(e.exam for e in exams))
    todo = target - result.existing
    if todo <= 0:
        return result
    pools = _bulk_pools(exams, users)
    ids = sorted({pk for pool in pools.values() for pk in pool})
    generator = _BulkGenerator(
        seed,
        _Picker(rng_for(seed, f"bulk/{result.existing}"), exams, pools, _bulk_history(exams)),
        dict(User.objects.filter(pk__in=ids).values_list("pk", "username")),
        first_marker=BULK_MARKER + result.existing,
    )
    with progress(todo, "Bulk attempts") as bar, _large_page_cache():
        while result.created < todo:
            with transaction.atomic():
                batch = _insert(generator, min(chunk_size, todo - result.created))
            if not batch.attempts:
                break  # every learner has used their attempts
            result.created += len(batch.attempts)
            result.answers += len(batch.answers)
            result.choices += len(batch.choices)
            bar.update(len(batch.attempts))
    result.short = todo - result.created
    analyze_attempts()
    for exam in exams:
        with transaction.atomic():
            refresh_rank_population(exam=exam.exam)
    return result


@contextmanager
def _large_page_cache():
    """On SQLite, a 256 MB page cache while inserting (the default is 2 MB): the answer table
    has six indexes to keep in memory; about 10 % faster at 100,000 attempts."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def analyze_attempts() -> None:
    """Refresh the planner's statistics of the attempt tables after loading attempts.

    Without statistics SQLite plans the correlated subquery of ``refresh_rank_population`` for a
    "best" exam on the (exam, score) index, scanning the exam's attempts once per attempt it
    updates (quadratic over an exam: minutes for 25,000 attempts; linear for each submit); with
    them it uses the (user, exam, number) index.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Attempt, UserAnswer):
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def _bulk_pools(exams: Sequence[ExamSim], users) -> dict[int, list[int]]:
    active = (
        Enrollment.objects.filter(user__in=users, status=Enrollment.Status.ACTIVE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=WINDOW_END))
        .order_by("user__username")
        .values_list("course_id", "user_id")
    )
    by_course: dict[int, list[int]] = {}
    for course_id, user_id in active:
        by_course.setdefault(course_id, []).append(user_id)
    return {e.exam.pk: list(by_course.get(e.exam.course_id, [])) for e in exams}


def _bulk_history(exams: Sequence[ExamSim]) -> dict[tuple[int, int], list[int]]:
    """(exam id, user id) -> [highest attempt number, earliest next start] from the database;
    learners with an unfinished attempt get a start past the window, which keeps them out."""
    rows = (
        Attempt.objects.filter(exam__in=[e.exam for e in exams])
        .values("exam_id", "user_id")
        .annotate(
            number=Max("attempt_number"),
            last=Max(Coalesce("completed_at", "started_at")),
            unfinished=Count(
                "pk", filter=Q(state__in=[Attempt.State.RUNNING, Attempt.State.NOT_STARTED])
            ),
        )
        .order_by()
    )
    history = {}
    for row in rows:
        end = int((row["last"] - WINDOW_START).total_seconds()) + DAY
        history[row["exam_id"], row["user_id"]] = [
            row["number"],
            WINDOW_SECONDS if row["unfinished"] else max(end, 1),
        ]
    return history


@dataclass
class _Batch:
    """The rows of one chunk, numbered from ``first_attempt`` and ``first_answer``."""

    first_attempt: int
    first_answer: int
    attempts: list[tuple] = field(default_factory=list)  # ATTEMPT_COLUMNS
    answers: list[tuple] = field(default_factory=list)  # ANSWER_COLUMNS
    choices: list[tuple] = field(default_factory=list)  # CHOICE_COLUMNS


def _insert(generator: "_BulkGenerator", size: int) -> _Batch:
    """Generate a chunk and insert it inside the current transaction, with explicit ids.

    The ids follow the largest ones, read where no one else can insert until the transaction
    ends (SQLite: the transaction holds the write lock; PostgreSQL: the tables are locked),
    which works the same on both and needs no RETURNING. On PostgreSQL the identity sequences
    are then moved past the new ids.
    """
    postgres = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if postgres:
            names = ", ".join(quote(model._meta.db_table) for model in (Attempt, UserAnswer))
            cursor.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
        first = []
        for model in (Attempt, UserAnswer):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(model._meta.db_table)}")
            first.append(cursor.fetchone()[0] + 1)
        batch = generator.batch(*first, size)
        for model, columns, rows in (
            (Attempt, ATTEMPT_COLUMNS, batch.attempts),
            (UserAnswer, ANSWER_COLUMNS, batch.answers),
            (UserAnswer.selected_choices.through, CHOICE_COLUMNS, batch.choices),
        ):
            if postgres:
                _copy(cursor, model, columns, rows)
            else:
                cursor.executemany(_insert_sql(model, columns), rows)
        if postgres and batch.attempts:
            for model in (Attempt, UserAnswer):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"(SELECT MAX(id) FROM {quote(table)}))",
                    [table],
                )
    return batch


class _BulkGenerator:
    """Draws bulk attempts and turns them into rows (no database access: what it needs is read
    beforehand)."""

    def __init__(self, seed: int, picker: _Picker, usernames: dict[int, str], first_marker: int):
        self.seed, self.picker, self.rng = seed, picker, picker.rng
        self.usernames = usernames
        self.abilities: dict[int, float] = {}
        self.marks: dict[tuple, tuple[AnswerScore, str, Decimal]] = {}  # memo of score_answer
        self.next_marker = first_marker
        # SQLite stores naive UTC text (what Django's adapter writes); PostgreSQL timestamptz.
        self.aware = connection.features.supports_timezones
        self.start = WINDOW_START if self.aware else WINDOW_START.replace(tzinfo=None)
        self.native_uuid = connection.features.has_native_uuid_field  # else 32 hex digits

    def batch(self, first_attempt: int, first_answer: int, size: int) -> _Batch:
        batch = _Batch(first_attempt, first_answer)
        attempt_id, answer_id = first_attempt, first_answer
        for _ in range(size):
            picked = self.picker.next()
            if picked is None:
                break
            answer_id = self._attempt(picked, attempt_id, answer_id, batch)
            attempt_id += 1
        return batch

    def _time(self, offset: int):
        when = self.start + timedelta(seconds=offset)
        return when if self.aware else str(when)

    def _ability(self, user_id: int) -> float:
        ability = self.abilities.get(user_id)
        if ability is None:
            ability = self.abilities[user_id] = learner_ability(self.seed, self.usernames[user_id])
        return ability

    def _mark(self, q: QuestionSim, reply: Reply, awarded: Decimal | None):
        key = (q.pk, reply, awarded)
        marked = self.marks.get(key)
        if marked is None:
            chosen, text, number = reply
            score = score_answer(
                q.rule,
                Response(chosen=frozenset(chosen), text=text, number=number, awarded=awarded),
            )
            marked = self.marks[key] = (score, str(score.outcome), score.marks)
        return marked

    def _attempt(self, picked, attempt_id: int, answer_id: int, batch: _Batch) -> int:
        exam, user_id, attempt_number, start = picked
        rng, at = self.rng, self._time
        ability = self._ability(user_id)
        evaluate = exam.has_essays and rng.random() < EVALUATED_SHARE
        sat = sitting(rng, exam, ability)
        end = start + sum(s for _, _, s, _, _ in sat)
        evaluated_when = at(end + rng.randint(2 * HOUR, 5 * DAY))
        evaluator = exam.evaluator.pk if exam.evaluator else None
        answers, choices, marked, now = batch.answers, batch.choices, [], start
        for q, reply, seconds, flagged, guessed in sat:
            now += seconds
            when = at(now)
            award = evaluator_id = evaluated_at = None
            comment = ""
            if evaluate and q.is_essay and reply is not BLANK:
                award = essay_award(rng, q, ability, reply)
                evaluator_id, evaluated_at = evaluator, evaluated_when
                comment = essay_comment(award, q.rule.marks)
            score, outcome, marks = self._mark(q, reply, award)
            marked.append((q.rule, score))
            chosen, text, number = reply
            answers.append(
                (
                    answer_id,
                    attempt_id,
                    q.pk,
                    text,
                    number,
                    outcome,
                    marks,
                    seconds,
                    flagged,
                    guessed,
                    award,
                    evaluator_id,
                    evaluated_at,
                    comment,
                    when,  # created_at
                    evaluated_at or when,  # updated_at
                )
            )
            choices.extend((answer_id, choice) for choice in chosen)
            answer_id += 1
        total = summarise(marked, exam.exam.pass_percentage)
        key = uuid.UUID(int=rng.getrandbits(128), version=4)
        duration = exam.exam.duration
        started = at(start)
        batch.attempts.append(
            (
                attempt_id,
                key if self.native_uuid else key.hex,
                user_id,
                exam.exam.pk,
                attempt_number,
                int(Attempt.State.PENDING_EVALUATION if total.pending else Attempt.State.COMPLETED),
                started,  # started_at
                started,  # last_started_at
                at(end),  # completed_at
                at(end),  # last_answer_at
                at(start + int(duration.total_seconds())) if duration else None,
                self.next_marker,
                total.total,
                total.correct,
                total.incorrect,
                total.partial,
                total.unanswered,
                total.pending,
                total.score,
                total.max_score,
                total.percentage,
                None if total.pending else total.passed,
                False,  # counts_for_rank: set per exam by refresh_rank_population afterwards
            )
        )
        self.next_marker += 1
        self.picker.finished(exam.exam.pk, user_id, attempt_number, end)
        return answer_id


def delete_exam_attempts(exams: Iterable[Exam]) -> int:
    """Delete every attempt of ``exams`` with its answers and events: set-based DELETEs (the ORM's
    cascade would load each answer to delete its selected choices)."""
    ids = [exam.pk for exam in exams]
    doomed = Attempt.objects.filter(exam_id__in=ids)
    count = doomed.count()
    if not count:
        return 0
    quote = connection.ops.quote_name
    attempts, answers = quote(Attempt._meta.db_table), quote(UserAnswer._meta.db_table)
    events = quote(AttemptEvent._meta.db_table)
    through = quote(UserAnswer.selected_choices.through._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    in_exams = f"SELECT id FROM {attempts} WHERE exam_id IN ({marks})"
    in_answers = f"SELECT id FROM {answers} WHERE attempt_id IN ({in_exams})"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {through} WHERE useranswer_id IN ({in_answers})", ids)
        cursor.execute(f"DELETE FROM {answers} WHERE attempt_id IN ({in_exams})", ids)
        cursor.execute(f"DELETE FROM {events} WHERE attempt_id IN ({in_exams})", ids)
        cursor.execute(f"DELETE FROM {attempts} WHERE exam_id IN ({marks})", ids)
    return count
