"""What both writers of the demo's attempts share: the simulated window, the markers of the
demo's attempts, the exams as the simulation sees them, and the model of a learner sitting one.

One model of a learner answering a question (:func:`draw_answer`) feeds two writers:
:mod:`lms.demo.play` plays attempts through ``attempts.services``, :mod:`lms.demo.bulk` writes
finished attempts straight into the tables (with the same model vectorised by numpy,
``bulk._ExamDraws``: a change to the model here goes there too).

The learner model: each learner has an ability in 0..1 (a Beta(4, 3) draw keyed by seed and
username, see :func:`learner_ability`). The chance of a right answer is a logistic curve of
ability minus the question's difficulty; weaker learners skip more questions (more so when a
wrong answer costs marks), guess more, flag more for review and write weaker essays. A wrong
multiple-choice answer is a proper subset of the key half of the time (partial marks on the
JEE-style exam). Time per question is 20-240 s, longer for harder questions; on a timed exam the
times are squeezed so that the attempt ends before the deadline. What learners write (essays,
wrong words) and what the instructor comments are data: ``content/replies.json``.

Determinism: every draw comes from ``random.Random`` seeded with the seed and a part name, every
simulated time is an offset from :data:`WINDOW_START` and lies before :data:`WINDOW_END`, and
whatever is read from the database is sorted first. Idempotence: each attempt carries a marker in
``institute_attempt_id`` (:data:`DEMO_MARKER` + n through the services, :data:`BULK_MARKER` + n in
bulk); the service step is skipped when its attempts exist, the bulk step tops up to its target.
"""

import math
import random
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from itertools import combinations

from django.db.models import Q

from assessments.models import AnswerChoice, Exam, ExamQuestion
from attempts.marking import exam_rules
from attempts.scoring import MarkingRule, QuestionKind, normalise_text
from lms.demo.content import load
from lms.demo.plan import rng_for
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

# Of the finished attempts with essays, the share left for the instructor to evaluate (both
# writers: the services' essays are evaluated through answer_evaluate, the bulk ones in place).
PENDING_SHARE = 0.3
EVALUATED_SHARE = 1 - PENDING_SHARE

_REPLIES = load("replies")
GOOD_ESSAYS, WEAK_ESSAYS = tuple(_REPLIES["good_essays"]), tuple(_REPLIES["weak_essays"])
WRONG_WORDS = tuple(_REPLIES["wrong_words"])  # wrong short answers
# (lowest share of the marks, comment): the first whose share the award reaches.
COMMENTS = tuple((c["from_share"], c["comment"]) for c in _REPLIES["evaluator_comments"])

# A response: (chosen choice ids, sorted), text, number. Built once per question, then reused,
# so that marking can be memoised on it.
Reply = tuple[tuple[int, ...], str, Decimal | None]
BLANK: Reply = ((), "", None)
MICRO = Decimal("0.000001")  # numeric_response has 6 decimal places
CENT = Decimal("0.01")

# A progress bar: given the total and a label, a context manager whose update(n) counts n done.
Progress = Callable[[int, str], AbstractContextManager]


def enrolled_through_the_window() -> Q:
    """Enrollments that let a learner take attempts anywhere in the window: active, and not
    expiring before it ends."""
    return Q(status=Enrollment.Status.ACTIVE) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=WINDOW_END)
    )


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
