"""Read-side statistics of one attempt: by section, subject and difficulty, standing, speed.

Everything is computed from stored rows, never re-marked: the exam's ``ExamQuestion`` rows
(section, the question's subject and difficulty) and the attempt's ``UserAnswer`` rows
(``result``, ``marks_awarded``, ``time_spent_seconds``), written by ``attempts.services``.

An exam question with no answer row for the attempt counts as UNANSWERED with 0 marks and 0
seconds. That holds for a bonus question too: the services store a row (with its full marks)
for every question of a finished attempt, so a missing row only happens while the attempt is
running, and a running attempt's score is "so far" anyway.

:func:`attempt_statistics` runs a fixed number of queries, however many questions the exam
has (at most five):

1. the exam's questions, joined with the bank question and its subject;
2. the attempt's answers;
3. the exam's sections;
4. the subjects of the questions and all their ancestors (skipped when no question has one);
5. the standing aggregate (:func:`standing`).

The ``*_stats`` building blocks are pure functions over rows already loaded.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from assessments.models import ExamQuestion, Question, Section
from attempts.models import Attempt, UserAnswer
from attempts.scoring import Outcome
from lms.models import Subject

__all__ = [
    "AttemptStatistics",
    "DifficultyStats",
    "OutcomeCounts",
    "QuestionRow",
    "SectionStats",
    "Standing",
    "SubjectNode",
    "SubjectStats",
    "attempt_statistics",
    "difficulty_stats",
    "load_question_rows",
    "load_subjects",
    "needed_subject_ids",
    "section_stats",
    "speed",
    "standing",
    "subject_stats",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NO_SUBJECT_NAME = "No subject"
# Report order of the difficulty rows; unlabelled questions (None) come last.
DIFFICULTY_ORDER = tuple(Question.Difficulty.values)


def _cents_half_up(numerator: int, denominator: int) -> Decimal:
    """``numerator / denominator`` (both >= 0, denominator > 0) rounded half-up to 2 places,
    computed exactly in integers (``1/8 -> 0.13``, where banker's rounding would give 0.12)."""
    whole, rest = divmod(numerator * 100, denominator)
    if 2 * rest >= denominator:
        whole += 1
    return Decimal(whole).scaleb(-2).quantize(CENT)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class QuestionRow:
    """One question of the exam as this attempt stands on it (its answer row merged in)."""

    exam_question_id: int
    section_id: int
    subject_id: int | None
    # The subject's materialised path ("1/4/9/"); "" without a subject.
    subject_path: str
    difficulty: str | None
    result: Outcome
    # Marks the answer contributes (negative under negative marking); 0 without an answer row.
    marks_awarded: Decimal
    time_spent_seconds: int


@dataclass(frozen=True)
class SubjectNode:
    """A subject of the tree as loaded for a report."""

    id: int
    name: str
    parent_id: int | None
    path: str
    depth: int

    @property
    def path_ids(self) -> tuple[int, ...]:
        """Ids from the root down to this subject itself, read from ``path``."""
        return tuple(int(part) for part in self.path.split("/") if part)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class OutcomeCounts:
    """Outcome counts, score and time of a group of questions.

    ``total`` is the number of questions and always equals the sum of the five outcome counts.
    ``score`` sums ``marks_awarded`` (it can be negative); ``time_spent_seconds`` sums the time
    spent on the questions.
    """

    total: int
    correct: int
    incorrect: int
    partial: int
    unanswered: int
    pending: int
    score: Decimal
    time_spent_seconds: int

    @classmethod
    def of(cls, rows: Iterable[QuestionRow]) -> "OutcomeCounts":
        """Totals of ``rows`` (zeros for no rows)."""
        counts = dict.fromkeys(Outcome, 0)
        score = ZERO
        seconds = 0
        for row in rows:
            counts[row.result] += 1
            score += row.marks_awarded
            seconds += row.time_spent_seconds
        return cls(
            total=sum(counts.values()),
            correct=counts[Outcome.CORRECT],
            incorrect=counts[Outcome.INCORRECT],
            partial=counts[Outcome.PARTIAL],
            unanswered=counts[Outcome.UNANSWERED],
            pending=counts[Outcome.PENDING],
            score=score.quantize(CENT, rounding=ROUND_HALF_UP),
            time_spent_seconds=seconds,
        )

    @property
    def answered(self) -> int:
        """Questions with an answer: correct + incorrect + partial + pending."""
        return self.total - self.unanswered


@dataclass(frozen=True)
class SectionStats:
    section_id: int
    title: str
    order: int
    counts: OutcomeCounts


@dataclass(frozen=True)
class SubjectStats:
    """One row of the subject report. ``subject_id`` None is the "No subject" row."""

    subject_id: int | None
    name: str
    parent_subject_id: int | None
    depth: int
    # True when no other row of the same report is a child of this one.
    is_leaf: bool
    counts: OutcomeCounts


@dataclass(frozen=True)
class DifficultyStats:
    # "easy", "medium", "hard", or None for unlabelled questions.
    level: str | None
    counts: OutcomeCounts


@dataclass(frozen=True)
class Standing:
    """Rank and percentile among the exam's ranked attempts (see :func:`standing`)."""

    rank: int | None
    percentile: Decimal | None
    population: int


@dataclass(frozen=True)
class AttemptStatistics:
    # The whole attempt (the sum of the section rows).
    totals: OutcomeCounts
    sections: list[SectionStats]
    subjects: list[SubjectStats]
    difficulties: list[DifficultyStats]
    standing: Standing
    time_taken: timedelta | None
    remaining_time: timedelta | None
    # Answered questions per minute of time taken.
    speed: Decimal | None


# --------------------------------------------------------------------------- loading


def load_question_rows(attempt: Attempt) -> list[QuestionRow]:
    """Every question of the attempt's exam in exam order, merged with its answer row.

    Two queries: the exam questions (joined with question and subject) and the answers. A
    question without an answer row is UNANSWERED with 0 marks and 0 seconds (bonus included,
    see the module docstring). Answer rows of questions no longer in the exam are ignored.
    """
    placements = (
        ExamQuestion.objects.filter(exam_id=attempt.exam_id)
        .order_by("order", "id")
        .values_list(
            "id",
            "section_id",
            "question__subject_id",
            "question__subject__path",
            "question__difficulty",
        )
    )
    answer_rows = (
        UserAnswer.objects.filter(attempt_id=attempt.pk)
        .order_by()
        .values_list("exam_question_id", "result", "marks_awarded", "time_spent_seconds")
    )
    answers = {exam_question_id: rest for exam_question_id, *rest in answer_rows}
    missing = (Outcome.UNANSWERED, ZERO, 0)
    rows = []
    for exam_question_id, section_id, subject_id, subject_path, difficulty in placements:
        result, marks, seconds = answers.get(exam_question_id, missing)
        rows.append(
            QuestionRow(
                exam_question_id=exam_question_id,
                section_id=section_id,
                subject_id=subject_id,
                subject_path=subject_path or "",
                difficulty=difficulty or None,
                result=Outcome(result),
                marks_awarded=marks,
                time_spent_seconds=seconds,
            )
        )
    return rows


def needed_subject_ids(rows: Iterable[QuestionRow]) -> set[int]:
    """The questions' subjects and every ancestor of them, read from their paths."""
    return {int(part) for row in rows for part in row.subject_path.split("/") if part}


def load_subjects(ids: Iterable[int]) -> list[SubjectNode]:
    """The subjects ``ids`` in one query (none when ``ids`` is empty)."""
    ids = set(ids)
    if not ids:
        return []
    found = (
        Subject.objects.filter(pk__in=ids)
        .order_by()
        .values_list("id", "name", "parent_id", "path", "depth")
    )
    return [SubjectNode(*values) for values in found]


# --------------------------------------------------------------------------- building blocks


def section_stats(
    rows: Iterable[QuestionRow], sections: Iterable[tuple[int, str, int]]
) -> list[SectionStats]:
    """One row per section ``(id, title, order)``, in (order, id) order.

    Each row counts the correct / incorrect / partial / unanswered / pending questions of the
    section, its score (sum of ``marks_awarded``) and time spent (sum of
    ``time_spent_seconds``). A section without questions appears with zeros; questions of a
    section not in ``sections`` are left out.
    """
    by_section = defaultdict(list)
    for row in rows:
        by_section[row.section_id].append(row)
    return [
        SectionStats(section_id, title, order, OutcomeCounts.of(by_section[section_id]))
        for section_id, title, order in sorted(sections, key=lambda s: (s[2], s[0]))
    ]


def subject_stats(
    rows: Sequence[QuestionRow], subjects: Iterable[SubjectNode]
) -> list[SubjectStats]:
    """One row per subject that has questions, plus one per ancestor of such a subject.

    A row's counts sum every question of its subtree, its own questions included (so Physics
    adds up Mechanics, Optics and the questions filed under Physics itself). Rows come in tree
    order: depth-first, by the ids along ``path`` compared as numbers (``9/`` before ``10/``,
    where a string sort would put ``10/`` first). ``is_leaf`` is True when no other row of
    this report is the row's child. Subjects in ``subjects`` without questions below them are
    not reported.

    Questions without a subject (or whose subject is missing from ``subjects``) make one last
    row with ``subject_id`` None, named "No subject", without parent, depth 0, a leaf.
    """
    nodes = {node.id: node for node in subjects}
    members: dict[int, list[QuestionRow]] = defaultdict(list)
    unfiled = []
    for row in rows:
        node = nodes.get(row.subject_id)
        if node is None:
            unfiled.append(row)
            continue
        for subject_id in node.path_ids:
            if subject_id in nodes:
                members[subject_id].append(row)

    reported = sorted((nodes[pk] for pk in members), key=lambda node: node.path_ids)
    parents = {node.parent_id for node in reported}
    report = [
        SubjectStats(
            subject_id=node.id,
            name=node.name,
            parent_subject_id=node.parent_id,
            depth=node.depth,
            is_leaf=node.id not in parents,
            counts=OutcomeCounts.of(members[node.id]),
        )
        for node in reported
    ]
    if unfiled:
        report.append(SubjectStats(None, NO_SUBJECT_NAME, None, 0, True, OutcomeCounts.of(unfiled)))
    return report


def difficulty_stats(rows: Iterable[QuestionRow]) -> list[DifficultyStats]:
    """One row per difficulty level present, in the order easy, medium, hard, then None
    (unlabelled; a blank label counts as unlabelled). A level no question has is left out."""
    by_level = defaultdict(list)
    for row in rows:
        by_level[row.difficulty].append(row)

    def position(level):
        if level is None:
            return (2, "")
        if level in DIFFICULTY_ORDER:
            return (0, DIFFICULTY_ORDER.index(level))
        return (1, level)  # a label outside the choices: after the known ones

    return [
        DifficultyStats(level, OutcomeCounts.of(by_level[level]))
        for level in sorted(by_level, key=position)
    ]


def standing(attempt: Attempt) -> Standing:
    """Rank and percentile of a completed attempt among its exam's ranked attempts.

    The population is the completed attempts of the exam with ``counts_for_rank`` set: one per
    learner, chosen by the exam's rank policy (the services keep the flag). With ``score`` the
    stored score of ``attempt``:

    * rank = 1 + the number of population attempts with a strictly higher score, so ties share
      a rank: scores 90, 80, 80, 70 rank 1, 2, 2, 4;
    * percentile = the number of population attempts scoring <= score, divided by the
      population size, times 100, half-up to 2 places: 100.00, 75.00, 75.00, 25.00 above.

    An attempt outside the population (a retake when the policy keeps the first attempt, say)
    is ranked against it without joining it: a retake scoring 85 among 90, 80, 80, 70 ranks 2
    at 75.00 with a population of 4. With an empty population it ranks 1 at 100.00.
    An attempt that is not COMPLETED (running, pending evaluation, not started) gets rank and
    percentile None; the population is still reported.

    One aggregate query over the ``attempt_rank`` partial index; no score is loaded.
    """
    ranked = Attempt.objects.filter(exam_id=attempt.exam_id, counts_for_rank=True)
    totals = ranked.aggregate(
        population=Count("pk"),
        higher=Count("pk", filter=Q(score__gt=attempt.score)),
        at_or_below=Count("pk", filter=Q(score__lte=attempt.score)),
    )
    population = totals["population"]
    if attempt.state != Attempt.State.COMPLETED:
        return Standing(rank=None, percentile=None, population=population)
    if population == 0:
        return Standing(rank=1, percentile=Decimal("100.00"), population=0)
    return Standing(
        rank=1 + totals["higher"],
        percentile=_cents_half_up(totals["at_or_below"] * 100, population),
        population=population,
    )


def speed(answered: int, time_taken: timedelta | None) -> Decimal | None:
    """Answered questions per minute of ``time_taken``, half-up to 2 places.

    None when the attempt has no time taken (never started); 0.00 when the time is zero.

    >>> speed(30, timedelta(minutes=15)), speed(1, timedelta(minutes=8))
    (Decimal('2.00'), Decimal('0.13'))
    >>> speed(4, timedelta(0)), speed(4, None)
    (Decimal('0.00'), None)
    """
    if time_taken is None:
        return None
    microseconds = time_taken // timedelta(microseconds=1)
    if microseconds <= 0:
        return ZERO
    return _cents_half_up(answered * 60_000_000, microseconds)


# --------------------------------------------------------------------------- the report


def attempt_statistics(
    attempt: Attempt, *, now=None, rows: list[QuestionRow] | None = None
) -> AttemptStatistics:
    """Every statistic of one attempt, in at most five queries whatever the exam's size.

    ``now`` (default: the current time) is the clock for a running attempt's time taken and
    remaining time. ``speed`` counts answered questions (all but the unanswered ones) per
    minute of time taken. See the module docstring for the queries. A page that already
    loaded the questions and answers passes them as ``rows`` (see ``load_question_rows``)
    and saves the first two queries.
    """
    now = now or timezone.now()
    rows = load_question_rows(attempt) if rows is None else rows
    sections = list(
        Section.objects.filter(exam_id=attempt.exam_id)
        .order_by("order", "id")
        .values_list("id", "title", "order")
    )
    subjects = load_subjects(needed_subject_ids(rows))
    totals = OutcomeCounts.of(rows)
    time_taken = attempt.time_taken(now)
    return AttemptStatistics(
        totals=totals,
        sections=section_stats(rows, sections),
        subjects=subject_stats(rows, subjects),
        difficulties=difficulty_stats(rows),
        standing=standing(attempt),
        time_taken=time_taken,
        remaining_time=attempt.remaining_time(now),
        speed=speed(totals.answered, time_taken),
    )
