"""The demo's plan: everything ``seed_demo`` writes, drawn from a seed, without the database.

:func:`build_plan` draws everything random (question texts, choices, difficulties, exam
placements, learners, enrollments) without touching the database or the clock, from
``random.Random`` instances seeded with the seed *and a part name* (:func:`rng_for`). The same
seed gives the same plan; each part has its own generator, so changing the number of learners,
or adding a part later (attempts), leaves the other parts as they were.

The fixed cast (logins, courses, the subject tree) and the question content are data files of
:mod:`lms.demo.content`; the plan only draws from them. Every date is an offset from
:data:`BASE`; question uuids come from a stable marker (``question/<n>``), so question *n* is
the same row whatever the seed.
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from assessments.models import Exam, Question
from lms.demo.content import load
from lms.demo.problems import ZERO, Problem, number_text
from lms.demo.topics import APTITUDE, TOPICS, Concept, Topic
from lms.models import Enrollment

D = Decimal
Kind = Question.Type
Difficulty = Question.Difficulty


# All demo dates are offsets from this instant, never timezone.now(): two runs give equal rows.
BASE = datetime(2026, 9, 1, tzinfo=UTC)
EXAMS_OPEN = BASE
# Far enough ahead that the demo can start attempts for a long while.
EXAMS_CLOSE = datetime(2027, 12, 31, 23, 59, tzinfo=UTC)
# Where `make demo` serves the site; the command prints the pages under it.
SITE_URL = "http://127.0.0.1:8000"
# Namespace of every uuid the demo derives (users, courses, exams, questions).
DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://lms-assessments.invalid/demo")
LEARNER_PREFIX = "learner"
LEARNER_PASSWORD = "learner"


def demo_uuid(marker: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, marker)


def rng_for(seed: int, part: str) -> random.Random:
    """A generator for one part of the demo (string seeds hash the same in every process)."""
    return random.Random(f"{seed}/{part}")


# ---------------------------------------------------------------------------------------------
# Fixed cast: logins, courses and the subject tree (content/cast.json, content/subjects.json).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str  # demo only: printed by the command
    role: str
    first_name: str
    last_name: str
    admin: bool = False  # an admin account (``lms.access.admin_account_fields``)


@dataclass(frozen=True)
class CoursePlan:
    slug: str
    title: str
    instructor: str  # username; the course's only instructor
    uptake: float  # share of the learners enrolled in it


_CAST = load("cast")
LOGINS = tuple(DemoLogin(**login) for login in _CAST["logins"])
COURSES = tuple(CoursePlan(**course) for course in _CAST["courses"])

# Root › branch › leaves. Leaf names are unique across the tree, so questions name their leaf.
SUBJECT_TREE: dict[str, dict[str, list[str]]] = load("subjects")


# Root › branch › leaves: the demo organisation. Every demo learner belongs to one leaf;
# ``DEPARTMENT_ADMIN`` manages the branch at the path it names.
DEPARTMENT_TREE: dict[str, dict[str, list[str]]] = _CAST["departments"]
DEPARTMENT_ADMIN: dict = _CAST["department_admin"]


def department_paths() -> list[tuple[str, ...]]:
    """Every department as its path of names, parents before children."""
    paths = []
    for root, branches in DEPARTMENT_TREE.items():
        paths.append((root,))
        for branch, leaves in branches.items():
            paths.append((root, branch))
            paths.extend((root, branch, leaf) for leaf in leaves)
    return paths


def subject_paths() -> list[tuple[str, ...]]:
    """Every node as its path of names, parents before children."""
    paths = []
    for root, branches in SUBJECT_TREE.items():
        paths.append((root,))
        for branch, leaves in branches.items():
            paths.append((root, branch))
            paths.extend((root, branch, leaf) for leaf in leaves)
    return paths


LEAF_PATHS = {path[-1]: path for path in subject_paths() if len(path) == 3}

# ---------------------------------------------------------------------------------------------
# The question bank: how much of each kind the topics of lms.demo.topics give.
# ---------------------------------------------------------------------------------------------

# How many questions of each kind every leaf subject (and the aptitude set) gets: 11 per leaf
# and 5 without subject give 148 questions. Exams pick from these pools (see _plan_exams).
LEAF_QUOTA = {
    Kind.SINGLE: 3,
    Kind.MULTIPLE: 2,
    Kind.TRUE_FALSE: 2,
    Kind.NUMERIC: 2,
    Kind.SHORT_TEXT: 1,
    Kind.ESSAY: 1,
}
APTITUDE_QUOTA = {
    Kind.SINGLE: 1,
    Kind.MULTIPLE: 1,
    Kind.TRUE_FALSE: 1,
    Kind.NUMERIC: 1,
    Kind.SHORT_TEXT: 1,
}
# Share of each difficulty in the bank; None is "not labelled".
DIFFICULTY_WEIGHTS = {Difficulty.EASY: 35, Difficulty.MEDIUM: 35, Difficulty.HARD: 20, None: 10}

# ---------------------------------------------------------------------------------------------
# The plan: plain values, no database.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoicePlan:
    text_html: str
    is_correct: bool


@dataclass(frozen=True)
class QuestionPlan:
    key: uuid.UUID  # Question.uuid
    type: str
    subject: tuple[str, ...] | None  # path of names from the root, None for no subject
    text_html: str
    explanation_html: str = ""
    difficulty: str | None = None
    numeric_answer: Decimal | None = None
    numeric_tolerance: Decimal = ZERO
    accepted_answers: tuple[str, ...] = ()
    choices: tuple[ChoicePlan, ...] = ()


@dataclass(frozen=True)
class PlacementPlan:
    question: uuid.UUID
    marks: Decimal
    negative_marks: Decimal = ZERO
    partial_marks: Decimal | None = None
    is_bonus: bool = False


@dataclass(frozen=True)
class SectionPlan:
    title: str
    placements: tuple[PlacementPlan, ...]


@dataclass(frozen=True)
class ExamPlan:
    course: str  # slug
    title: str
    description: str
    sections: tuple[SectionPlan, ...]
    duration: timedelta | None
    pass_percentage: Decimal | None
    max_attempts: int | None
    rank_policy: str


@dataclass(frozen=True)
class EnrollmentPlan:
    course: str  # slug
    status: str
    enrolled_at: datetime
    due_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class LearnerPlan:
    username: str
    first_name: str
    last_name: str
    email: str
    phone: str
    joined_at: datetime
    enrollments: tuple[EnrollmentPlan, ...]

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class DemoPlan:
    seed: int
    questions: tuple[QuestionPlan, ...]
    exams: tuple[ExamPlan, ...]
    learners: tuple[LearnerPlan, ...]


def build_plan(*, seed: int = 42, learners: int = 300) -> DemoPlan:
    questions = _plan_questions(rng_for(seed, "questions"))
    return DemoPlan(
        seed=seed,
        questions=questions,
        exams=_plan_exams(rng_for(seed, "exams"), questions),
        learners=_plan_learners(rng_for(seed, "learners"), learners),
    )


def _p(text: str) -> str:
    return f"<p>{text}</p>"


def _plan_questions(rng: random.Random) -> tuple[QuestionPlan, ...]:
    drafts: list[dict] = []
    for leaf, topic in TOPICS.items():
        drafts.extend(_draft_topic(rng, topic, LEAF_QUOTA, subject=LEAF_PATHS[leaf]))
    drafts.extend(_draft_topic(rng, APTITUDE, APTITUDE_QUOTA, subject=None))
    # Fixed proportions, shuffled (not drawn one by one): every difficulty occurs whatever
    # the seed. The last level takes what rounding leaves.
    difficulties = [
        level
        for level, weight in DIFFICULTY_WEIGHTS.items()
        for _ in range(max(1, round(len(drafts) * weight / 100)))
    ][: len(drafts)]
    difficulties += [None] * (len(drafts) - len(difficulties))
    rng.shuffle(difficulties)
    return tuple(
        QuestionPlan(key=demo_uuid(f"question/{n}"), difficulty=level, **draft)
        for n, (draft, level) in enumerate(zip(drafts, difficulties, strict=True))
    )


def _draft_topic(
    rng: random.Random, topic: Topic, quota: dict[str, int], *, subject: tuple[str, ...] | None
) -> list[dict]:
    """Question fields (all but key and difficulty) for one topic, kinds in a fixed order."""
    drafts = []
    for kind, count in quota.items():
        for _ in range(count):
            draft = _DRAFTERS[kind](rng, topic)
            drafts.append({"type": kind.value, "subject": subject, **draft})
    return drafts


def _draft_single(rng: random.Random, topic: Topic) -> dict:
    source = rng.choice(topic.problems + topic.concepts)
    if isinstance(source, Concept):
        options = [(source.correct, True)] + [(text, False) for text in source.wrong]
        rng.shuffle(options)
        return {
            "text_html": _p(source.stem),
            "choices": tuple(ChoicePlan(text, correct) for text, correct in options),
        }
    problem = source(rng)
    values = [(problem.answer, True)] + [(v, False) for v in _wrong_values(rng, problem)]
    rng.shuffle(values)
    return {
        "text_html": _p(problem.stem),
        "explanation_html": _p(problem.explanation) if problem.explanation else "",
        "choices": tuple(
            ChoicePlan(f"{number_text(value)} {problem.unit}".strip(), correct)
            for value, correct in values
        ),
    }


def _wrong_values(rng: random.Random, problem: Problem) -> list[Decimal]:
    """Three plausible wrong values near the answer, keeping its sign and precision."""
    answer = problem.answer
    unit = D(1).scaleb(min(answer.as_tuple().exponent, 0))
    step = problem.step or max((abs(answer) / 10).quantize(unit), unit)
    near = {answer + k * step for k in (-3, -2, -1, 1, 2, 3)}
    if answer:
        near |= {(answer * 2).quantize(unit), (answer / 2).quantize(unit)}
    candidates = sorted(
        v
        for v in near
        if v != answer and (v >= 0 or answer < 0) and (problem.unit != "%" or v <= 100)
    )
    return rng.sample(candidates, 3)


def _draft_multiple(rng: random.Random, topic: Topic) -> dict:
    correct = rng.choice((2, 3))
    options = [(s, True) for s in rng.sample(topic.facts, correct)]
    options += [(s, False) for s in rng.sample(topic.myths, 4 - correct)]
    rng.shuffle(options)
    return {
        "text_html": _p(f"Which of the following statements about {topic.label} are correct?"),
        "explanation_html": _p(f"{correct} of the four statements are correct."),
        "choices": tuple(ChoicePlan(text, is_true) for text, is_true in options),
    }


def _draft_true_false(rng: random.Random, topic: Topic) -> dict:
    is_true = rng.random() < 0.5
    statement = rng.choice(topic.facts if is_true else topic.myths)
    return {
        "text_html": _p("True or false?") + _p(statement),
        "choices": (ChoicePlan("True", is_true), ChoicePlan("False", not is_true)),
    }


def _draft_numeric(rng: random.Random, topic: Topic) -> dict:
    problem = rng.choice(topic.problems)(rng)
    hint = {"": "Give a number.", "%": "Give your answer as a percentage."}.get(
        problem.unit, f"Give your answer in {problem.unit}."
    )
    return {
        "text_html": _p(problem.stem) + _p(hint),
        "explanation_html": _p(problem.explanation) if problem.explanation else "",
        "numeric_answer": problem.answer,
        "numeric_tolerance": problem.tolerance,
    }


def _draft_short_text(rng: random.Random, topic: Topic) -> dict:
    stem, accepted = rng.choice(topic.short)
    return {
        "text_html": _p(stem) + _p("Answer in a word or two."),
        "explanation_html": _p(f"Accepted: {', '.join(accepted)}."),
        "accepted_answers": accepted,
    }


def _draft_essay(rng: random.Random, topic: Topic) -> dict:
    words = rng.choice((200, 300, 400))
    return {
        "text_html": _p(rng.choice(topic.essays)) + _p(f"Write about {words} words."),
        "explanation_html": _p("Marked by an instructor against the course rubric."),
    }


_DRAFTERS: dict[str, Callable[[random.Random, Topic], dict]] = {
    Kind.SINGLE: _draft_single,
    Kind.MULTIPLE: _draft_multiple,
    Kind.TRUE_FALSE: _draft_true_false,
    Kind.NUMERIC: _draft_numeric,
    Kind.SHORT_TEXT: _draft_short_text,
    Kind.ESSAY: _draft_essay,
}


def _plan_exams(rng: random.Random, questions: Iterable[QuestionPlan]) -> tuple[ExamPlan, ...]:
    pools: dict[tuple[str, str], list[uuid.UUID]] = defaultdict(list)
    for question in questions:
        if question.subject:
            pools[question.subject[-1], question.type].append(question.key)

    def pick(leaves: Iterable[str], kinds: Iterable[str], k: int | None = None) -> list:
        keys = [key for leaf in leaves for kind in kinds for key in pools[leaf, kind]]
        return rng.sample(keys, len(keys) if k is None else k)  # a shuffled subset

    physics = ("Mechanics", "Optics", "Thermodynamics")
    chemistry = ("Organic", "Inorganic")
    maths = ("Linear algebra", "Polynomials", "Limits", "Integrals")
    history, geography = ("Ancient", "Modern"), ("Physical", "Human")
    objective = (Kind.SINGLE, Kind.NUMERIC, Kind.TRUE_FALSE)

    # Negative marking: 4 for a right answer, 1 off for a wrong one.
    mock = ExamPlan(
        course="physics-for-engineers",
        title="Physics Mock Test 1",
        description="Full mock test: +4 for a correct answer, −1 for a wrong one.",
        sections=tuple(
            SectionPlan(
                leaf,
                tuple(PlacementPlan(key, D(4), D(1)) for key in pick([leaf], objective)),
            )
            for leaf in physics
        ),
        duration=timedelta(minutes=60),
        pass_percentage=D(40),
        max_attempts=3,
        rank_policy=Exam.RankPolicy.FIRST,
    )

    # JEE Advanced style: +4 for the full key, +1 per correct option of a proper subset when
    # no wrong option is chosen, −2 for any wrong option.
    def jee(keys: list) -> tuple[PlacementPlan, ...]:
        return tuple(PlacementPlan(key, D(4), D(2), partial_marks=D(1)) for key in keys)

    multiple = ExamPlan(
        course="physics-for-engineers",
        title="JEE-style Multiple Correct Practice",
        description="One or more options are correct. Partial marks for a correct subset.",
        sections=(
            SectionPlan("Physics", jee(pick(physics, [Kind.MULTIPLE]))),
            SectionPlan("Chemistry", jee(pick(chemistry, [Kind.MULTIPLE]))),
            SectionPlan("Mathematics", jee(pick(maths, [Kind.MULTIPLE], 4))),
        ),
        duration=timedelta(minutes=45),
        pass_percentage=D(35),
        max_attempts=None,
        rank_policy=Exam.RankPolicy.FIRST,
    )

    # One flawed question is a bonus: everybody gets its marks.
    quiz_sections = [
        ("History", pick(history, [Kind.SINGLE, Kind.TRUE_FALSE])),
        ("Geography", pick(geography, [Kind.SINGLE, Kind.TRUE_FALSE])),
    ]
    kinds = {q.key: q.type for q in questions}
    bonus = rng.choice([key for _, keys in quiz_sections for key in keys])
    quiz = ExamPlan(
        course="general-studies",
        title="General Studies Quiz",
        description="Practice quiz: no time limit, no pass mark, retake it as often as you like.",
        sections=tuple(
            SectionPlan(
                title,
                tuple(
                    PlacementPlan(
                        key, D(2) if kinds[key] == Kind.SINGLE else D(1), is_bonus=key == bonus
                    )
                    for key in keys
                ),
            )
            for title, keys in quiz_sections
        ),
        duration=None,
        pass_percentage=None,
        max_attempts=None,
        rank_policy=Exam.RankPolicy.BEST,
    )

    part_a = rng.sample(pick(maths, [Kind.SINGLE], 6) + pick(maths, [Kind.NUMERIC], 4), 10)
    part_b = pick(maths, [Kind.SHORT_TEXT]) + pick(maths, [Kind.ESSAY], 2)
    written_marks = {Kind.SHORT_TEXT: D(3), Kind.ESSAY: D(10)}
    midterm = ExamPlan(
        course="mathematics-foundations",
        title="Mathematics Midterm",
        description="Part A is machine-marked; essays in Part B are marked by your instructor.",
        sections=(
            SectionPlan(
                "Part A: Objective",
                tuple(
                    PlacementPlan(key, D(2) if kinds[key] == Kind.SINGLE else D(3))
                    for key in part_a
                ),
            ),
            SectionPlan(
                "Part B: Written",
                tuple(PlacementPlan(key, written_marks[kinds[key]]) for key in part_b),
            ),
        ),
        duration=timedelta(minutes=90),
        pass_percentage=D(50),
        max_attempts=2,
        rank_policy=Exam.RankPolicy.LAST,
    )
    return (mock, multiple, quiz, midterm)


# ---------------------------------------------------------------------------------------------
# Learners and their enrollments.
# ---------------------------------------------------------------------------------------------

_NAMES = load("learners")
FIRST_NAMES, LAST_NAMES = tuple(_NAMES["first_names"]), tuple(_NAMES["last_names"])
# Most enrollments are active; the others exist so lists and filters have something to show.
ENROLLMENT_STATUS_WEIGHTS = {
    Enrollment.Status.ACTIVE: 88,
    Enrollment.Status.SUSPENDED: 4,
    Enrollment.Status.COMPLETED: 5,
    Enrollment.Status.EXPIRED: 3,
}
# Share of learners enrolled in each course, in the order of COURSES.
COURSE_UPTAKE = {course.slug: course.uptake for course in COURSES}


def learner_username(n: int) -> str:
    return f"{LEARNER_PREFIX}{n:03d}"


def _plan_learners(rng: random.Random, count: int) -> tuple[LearnerPlan, ...]:
    statuses, weights = list(ENROLLMENT_STATUS_WEIGHTS), list(ENROLLMENT_STATUS_WEIGHTS.values())
    learners = []
    for n in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        joined = BASE - timedelta(days=rng.randint(30, 120), minutes=rng.randrange(24 * 60))
        phone = f"+91 9{rng.randrange(10**9):09d}" if rng.random() < 0.6 else ""
        courses = [slug for slug, share in COURSE_UPTAKE.items() if rng.random() < share]
        enrollments = []
        for slug in courses or [rng.choice(list(COURSE_UPTAKE))]:
            enrolled = joined + timedelta(days=rng.randint(0, 20), minutes=rng.randrange(600))
            status = rng.choices(statuses, weights)[0]
            expires = None
            if status == Enrollment.Status.EXPIRED:
                expires = enrolled + timedelta(days=30)
            elif rng.random() < 0.2:
                expires = BASE + timedelta(days=365)
            due = BASE + timedelta(days=120) if rng.random() < 0.5 else None
            enrollments.append(EnrollmentPlan(slug, status, enrolled, due, expires))
        email_name = f"{first}.{last}".lower().replace("'", "")
        learners.append(
            LearnerPlan(
                username=learner_username(n),
                first_name=first,
                last_name=last,
                email=f"{email_name}.{n:03d}@example.com",
                phone=phone,
                joined_at=joined,
                enrollments=tuple(enrollments),
            )
        )
    return tuple(learners)
