"""Loads what the item analysis needs (``attempts.statistics.items``) in a fixed number of
grouped queries, whatever the number of attempts: histograms, never rows per attempt.

Which attempts (``Which``): the completed attempts of the exam, one per learner chosen as the
rank policy chooses (first: the lowest attempt number; last: the highest; best: the highest
score, the earlier attempt on a tie; ``attempts.services.RANK_ORDER``), or all of them. The
default is the exam's own rank policy, whose attempts carry ``counts_for_rank`` (an indexed
flag); another policy keeps each learner's attempt that no other of their completed attempts
beats in the policy's order (a NOT EXISTS: one anti-join). Attempts pending evaluation are left out (their
score is not final) and counted apart.

Where the counts come from. The default population (the exam's rank policy) and ``all`` are
kept as stored histograms (``attempts.tallies``: ``ExamTally``, ``QuestionTally``,
``ChoiceTally``, populations RANKED and ALL), updated in the same transaction as every
submit, evaluation, override and rescore, so a cold analysis reads a few thousand cells
instead of every answer row. The two other policies (first/last/best when they are not the
exam's) have no stored population: they keep the grouped queries over the answer rows below
(an anti-join picks each learner's attempt).

The queries (:func:`exam_item_analysis`):

1. the exam's questions with their bank question (type, difficulty);
2. the choices of its choice questions;
3. attempts pending evaluation and the chosen attempts' scores grouped (``{X: n}``): one
   read of the exam's ``ExamTally`` cells (stored), or a count and a grouped query;
4. the joint histogram ``{(question, x, X): n}`` of the chosen attempts with ``x != 0`` (a
   zero row adds nothing the score histogram does not already give), from the
   ``QuestionTally`` cells or the answer rows;
5. per choice: pickers, the sums of their scores and marks, and how many are in the top 27%
   (skipped when the exam has no choice question or no attempt was chosen), from the
   ``ChoiceTally`` cells or the chosen choices' rows.

Why this is enough for Moodle's sorted-data figures (the median, the discriminative
efficiency): both come from histograms (``attempts.statistics.items``), which the cells are.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, DecimalField, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.kinds import QuestionKind
from assessments.models import AnswerChoice, Exam, ExamQuestion
from attempts.models import (
    Attempt,
    ChoiceTally,
    ExamTally,
    Population,
    QuestionTally,
    UserAnswer,
)
from attempts.statistics.items import (
    ChoiceInput,
    ItemAnalysis,
    QuestionInput,
    analyse,
    random_guess_fraction,
    top_cut,
)

# Sums over 100k attempts outgrow the 7 digits of a marks column.
WIDE_MARKS = DecimalField(max_digits=20, decimal_places=2)
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE)


class Which:
    """The ``attempts`` parameter: which finished attempts the statistics use."""

    FIRST = "first"
    LAST = "last"
    BEST = "best"
    ALL = "all"
    CHOICES = (FIRST, LAST, BEST, ALL)
    LABELS = {
        FIRST: "First attempt of each learner",
        LAST: "Last attempt of each learner",
        BEST: "Best attempt of each learner",
        ALL: "All attempts",
    }


def _beats(which: str, outer: str) -> Q:
    """An attempt of the same learner that the policy ``which`` prefers to the attempt at
    ``outer`` (the policy's order: ``attempts.services.RANK_ORDER``)."""
    number = OuterRef(f"{outer}attempt_number")
    if which == Which.FIRST:
        return Q(attempt_number__lt=number)
    if which == Which.LAST:
        return Q(attempt_number__gt=number)
    score = OuterRef(f"{outer}score")  # best: a higher score, or the same one earlier
    return Q(score__gt=score) | Q(score=score, attempt_number__lt=number)


def used_filter(exam: Exam, which: str, prefix: str = "") -> Q:
    """The chosen attempts as a filter on Attempt (``prefix`` "") or on a related model
    (``prefix`` leads to the attempt, e.g. ``"attempt__"``).

    All attempts and the rank policy's are plain columns (``counts_for_rank``); another
    policy keeps the attempts no other completed attempt of the same learner beats: a NOT
    EXISTS that PostgreSQL runs as one hash anti-join over the exam's attempts."""
    wanted = Q(**{f"{prefix}exam_id": exam.pk, f"{prefix}state": Attempt.State.COMPLETED})
    if which == Which.ALL:
        return wanted
    if which == exam.rank_policy:
        return wanted & Q(**{f"{prefix}counts_for_rank": True})
    better = Attempt.objects.filter(
        _beats(which, prefix),
        exam_id=exam.pk,
        user_id=OuterRef(f"{prefix}user_id"),
        state=Attempt.State.COMPLETED,
    )
    return wanted & ~Exists(better)


def attempts_used(exam: Exam, which: str):
    """The completed attempts of ``exam`` the statistics use (see the module docstring)."""
    return Attempt.objects.filter(used_filter(exam, which))


@dataclass(frozen=True)
class ExamItemAnalysis:
    """An item analysis with what it was computed from (pages and the API show both)."""

    exam: Exam
    which: str
    generated_at: datetime
    pending: int  # attempts pending evaluation, left out
    analysis: ItemAnalysis
    # exam question id -> {"question_id", "type", "difficulty", "text_html", "choices": [...]}
    questions: dict


def _questions(exam: Exam) -> list[dict]:
    return list(
        ExamQuestion.objects.filter(exam_id=exam.pk)
        .order_by("order", "id")
        .values(
            "id",
            "question_id",
            "marks",
            "negative_marks",
            "is_bonus",
            "question__type",
            "question__difficulty",
            "question__text_html",
        )
    )


def exam_item_analysis(exam: Exam, which: str | None = None, *, now=None) -> ExamItemAnalysis:
    """The item analysis of ``exam`` over the attempts ``which`` (default: its rank policy),
    in at most five queries from the stored sums, six for another policy (see the module
    docstring)."""
    which = which or exam.rank_policy
    placements = _questions(exam)
    choice_rows = list(
        AnswerChoice.objects.filter(
            question__placements__exam_id=exam.pk, question__type__in=CHOICE_KINDS
        )
        .order_by("question_id", "order", "id")
        .values("id", "question_id", "is_correct", "text_html")
    )
    question_ids = [q["id"] for q in placements]
    if which in (Which.ALL, exam.rank_policy):
        pending, scores, cells, picks = _stored_counts(exam, which, bool(choice_rows))
    else:
        pending, scores, cells, picks = _counted(exam, which, question_ids, bool(choice_rows))
    return _assemble(exam, which, now, placements, choice_rows, pending, scores, cells, picks)


def _counted(exam: Exam, which: str, question_ids: list[int], has_choices: bool):
    """Pending, ``{X: n}``, ``{question: {(x, X): n}}`` and the per-choice sums of a
    population that is not stored, from grouped queries over the answer rows."""
    pending = Attempt.objects.filter(
        exam_id=exam.pk, state=Attempt.State.PENDING_EVALUATION
    ).count()
    used = attempts_used(exam, which)
    scores = {
        row["score"]: row["n"] for row in used.order_by().values("score").annotate(n=Count("pk"))
    }
    # The exam's question ids as literals: the (exam_question, result) index then reads this
    # exam's answer rows only, instead of scanning every exam's.
    answers = answers_used(exam, which).filter(exam_question_id__in=question_ids)
    cells: dict = {}
    if scores:
        grouped = (
            answers.exclude(marks_awarded=0)
            .order_by()
            .values_list("exam_question_id", "marks_awarded", "attempt__score")
            .annotate(n=Count("pk"))
        )
        for eq_id, x, total, n in grouped:
            cells.setdefault(eq_id, {})[(x, total)] = n
    picks: dict = {}
    if scores and has_choices:
        cut = top_cut(scores)
        through = UserAnswer.selected_choices.through
        picked = (
            through.objects.filter(
                used_filter(exam, which, "useranswer__attempt__"),
                useranswer__exam_question_id__in=question_ids,
            )
            .order_by()
            .values("answerchoice_id")
            .annotate(
                n=Count("pk"),
                sum_total=Sum("useranswer__attempt__score", output_field=WIDE_MARKS),
                sum_marks=Sum("useranswer__marks_awarded", output_field=WIDE_MARKS),
                top=Count("pk", filter=Q(useranswer__attempt__score__gte=cut)),
            )
        )
        picks = {row["answerchoice_id"]: row for row in picked}
    return pending, scores, cells, picks


def _stored_counts(exam: Exam, which: str, has_choices: bool):
    """Pending, ``{X: n}``, ``{question: {(x, X): n}}`` and the per-choice sums of a stored
    population (ALL or the rank policy's RANKED): three queries over the exam's tallies."""
    population = Population.ALL if which == Which.ALL else Population.RANKED
    pending, scores = 0, {}
    stored = ExamTally.objects.filter(
        Q(population=Population.ALL, state=Attempt.State.PENDING_EVALUATION)
        | Q(population=population, state=Attempt.State.COMPLETED),
        exam_id=exam.pk,
    ).exclude(n=0)
    for state, score, n in stored.values_list("state", "score", "n"):
        if state == Attempt.State.PENDING_EVALUATION:
            pending += n
        else:  # one score may sit in several cells (percentages of other maxima)
            scores[score] = scores.get(score, 0) + n
    cells: dict = {}
    if not scores:
        return pending, scores, cells, {}
    grouped = (
        QuestionTally.objects.filter(exam_id=exam.pk, population=population)
        .exclude(x=0)
        .exclude(n=0)
        .order_by()
        .values_list("exam_question_id", "x", "total")
        .annotate(count=Sum("n"))
    )
    for eq_id, x, total, n in grouped:
        cells.setdefault(eq_id, {})[(x, total)] = n
    picks: dict = {}
    if has_choices:
        cut = top_cut(scores)
        picked = (
            ChoiceTally.objects.filter(exam_id=exam.pk, population=population)
            .exclude(n=0)
            .order_by()
            .values("choice_id")
            .annotate(  # the sums over the column n come before the annotation n
                sum_total=Sum(F("total") * F("n"), output_field=WIDE_MARKS),
                sum_marks=Sum("marks", output_field=WIDE_MARKS),
                top=Coalesce(Sum("n", filter=Q(total__gte=cut)), 0),
                n=Sum("n"),
            )
        )
        picks = {row["choice_id"]: row for row in picked}
    return pending, scores, cells, picks


def _assemble(exam, which, now, placements, choice_rows, pending, scores, cells, picks):
    choices_of: dict = {}
    for row in choice_rows:
        choices_of.setdefault(row["question_id"], []).append(row)
    inputs = []
    described = {}
    for slot, q in enumerate(placements, start=1):
        choices = choices_of.get(q["question_id"], [])
        inputs.append(
            QuestionInput(
                exam_question_id=q["id"],
                question_id=q["question_id"],
                slot=slot,
                max_mark=q["marks"],
                random_guess=random_guess_fraction(
                    q["question__type"],
                    q["marks"],
                    q["negative_marks"],
                    [c["is_correct"] for c in choices],
                ),
                difficulty=q["question__difficulty"] or None,
                cells=cells.get(q["id"], {}),
                choices=tuple(
                    ChoiceInput(
                        choice_id=c["id"],
                        is_correct=c["is_correct"],
                        count=picks.get(c["id"], {}).get("n", 0),
                        sum_total=picks.get(c["id"], {}).get("sum_total") or Decimal(0),
                        sum_marks=picks.get(c["id"], {}).get("sum_marks") or Decimal(0),
                        top_count=picks.get(c["id"], {}).get("top", 0),
                    )
                    for c in choices
                ),
            )
        )
        described[q["id"]] = {
            "question_id": q["question_id"],
            "type": q["question__type"],
            "difficulty": q["question__difficulty"] or None,
            "is_bonus": q["is_bonus"],
            "text_html": q["question__text_html"],
            "choices": {c["id"]: c["text_html"] for c in choices},
        }
    return ExamItemAnalysis(
        exam=exam,
        which=which,
        generated_at=now or timezone.now(),
        pending=pending,
        analysis=analyse(scores, inputs),
        questions=described,
    )


def answers_used(exam: Exam, which: str):
    """The answer rows of the chosen attempts."""
    return UserAnswer.objects.filter(used_filter(exam, which, "attempt__"))


# How long a computed analysis is kept; its key changes as soon as the data does (below).
CACHE_SECONDS = 24 * 60 * 60


def item_analysis(exam: Exam, which: str | None = None, *, now=None) -> ExamItemAnalysis:
    """:func:`exam_item_analysis`, kept in Django's cache under a stamp of the data.

    The stamp is one aggregate over the exam's finished attempts (how many completed and
    pending, the sum of their scores, the latest completion and the highest id) with the
    exam's rank policy and ``marking_changed_at``: a submit, an evaluation, a rescore that
    moves a score, a new or deleted attempt or a marking change gives a new key, so the
    figures are never older than the data they show (``generated_at`` says when they were
    computed). A change the stamp cannot see is a rescore that moves marks between the
    questions of an attempt without changing its score: the figures catch up at the next
    change of any stamped value, or after ``CACHE_SECONDS``.
    """
    which = which or exam.rank_policy
    finished = Q(state__in=Attempt.FINISHED_STATES)
    stamp = Attempt.objects.filter(exam_id=exam.pk).aggregate(
        completed=Count("pk", filter=Q(state=Attempt.State.COMPLETED)),
        pending=Count("pk", filter=Q(state=Attempt.State.PENDING_EVALUATION)),
        scores=Sum("score", filter=finished, output_field=WIDE_MARKS),
        last=Max("completed_at", filter=finished),
        top=Max("pk"),
    )
    stamped = (exam.rank_policy, exam.marking_changed_at, *stamp.values())
    digest = hashlib.sha256(repr(stamped).encode()).hexdigest()
    key = f"item-analysis:{exam.uuid}:{which}:{digest}"
    found = cache.get(key)
    if found is None:
        found = exam_item_analysis(exam, which, now=now)
        cache.set(key, found, CACHE_SECONDS)
    return found
