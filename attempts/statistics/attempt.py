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
from decimal import Decimal

from django.utils import timezone

from assessments.models import ExamQuestion, Question, Section
from attempts.models import Attempt, UserAnswer
from attempts.scoring import Outcome
from attempts.statistics.ranking import Standing, standing
from attempts.statistics.rounding import half_up, ratio_half_up
from attempts.statistics.subjects import (
    NO_SUBJECT_NAME,
    SubjectNode,
    ids_in_paths,
    load_subjects,
    roll_up,
)

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

ZERO = Decimal("0.00")
# Report order of the difficulty rows; unlabelled questions (None) come last.
DIFFICULTY_ORDER = tuple(Question.Difficulty.values)


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
            score=half_up(score),
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
    return ids_in_paths(row.subject_path for row in rows)


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
    rolled = roll_up(rows, lambda row: row.subject_id, subjects)
    report = [
        SubjectStats(
            subject_id=node.id,
            name=node.name,
            parent_subject_id=node.parent_id,
            depth=node.depth,
            is_leaf=rolled.is_leaf(node),
            counts=OutcomeCounts.of(rolled.members[node.id]),
        )
        for node in rolled.nodes
    ]
    if rolled.unfiled:
        report.append(
            SubjectStats(None, NO_SUBJECT_NAME, None, 0, True, OutcomeCounts.of(rolled.unfiled))
        )
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
    return ratio_half_up(answered * 60_000_000, microseconds)


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
