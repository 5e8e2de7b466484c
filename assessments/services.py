"""Writes about exams that other parts of the product react to."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question

# Changes that make stored scores stale: on an exam question, and on a bank question.
EXAM_QUESTION_MARKING_FIELDS = frozenset(
    {"marks", "negative_marks", "partial_marks", "is_bonus", "question", "exam"}
)
QUESTION_KEY_FIELDS = frozenset({"type", "numeric_answer", "numeric_tolerance", "accepted_answers"})
CHOICE_KEY_FIELDS = frozenset({"is_correct", "question"})


def exams_marking_changed(*, exam_ids: Iterable[int], now: datetime) -> int:
    """Record that the marking of these exams changed at ``now`` (the earliest change is
    kept: every attempt finished before it is stale). Returns how many exams were marked."""
    return Exam.objects.filter(pk__in=list(exam_ids)).update(
        marking_changed_at=Coalesce(F("marking_changed_at"), Value(now))
    )


def exams_placing(*, question_ids: Iterable[int]) -> list[int]:
    """Ids of the exams that place any of these bank questions (their key is shared)."""
    return list(
        ExamQuestion.objects.filter(question_id__in=list(question_ids))
        .values_list("exam_id", flat=True)
        .distinct()
    )


def exam_marking_settled(*, exam_id: int, since: datetime) -> bool:
    """Clear the flag after a rescore that started at ``since``, unless the marking changed
    again meanwhile (then the flag stays for the next rescore)."""
    return bool(
        Exam.objects.filter(
            Q(marking_changed_at__lte=since) | Q(marking_changed_at__isnull=True), pk=exam_id
        ).update(marking_changed_at=None, marking_baseline=None)
    )


def marking_of(exam_ids: Iterable[int]) -> dict[int, dict]:
    """The marking of each exam as JSON: its placements' marks, negative and partial marks
    and bonus flags, and its questions' keys (correct choices, numeric answer and tolerance,
    accepted answers). 3 queries whatever the number of exams."""
    placements = list(
        ExamQuestion.objects.filter(exam_id__in=list(exam_ids)).values(
            "pk", "exam_id", "question_id", "marks", "negative_marks", "partial_marks", "is_bonus"
        )
    )
    question_ids = {row["question_id"] for row in placements}
    correct: dict[int, list[int]] = defaultdict(list)
    for question_id, pk in AnswerChoice.objects.filter(
        question_id__in=question_ids, is_correct=True
    ).values_list("question_id", "pk"):
        correct[question_id].append(pk)
    keys = {
        pk: {
            "correct": sorted(correct[pk]),
            "numeric_answer": None if number is None else str(number),
            "numeric_tolerance": str(tolerance),
            "accepted_answers": list(accepted or []),
        }
        for pk, number, tolerance, accepted in Question.objects.filter(
            pk__in=question_ids
        ).values_list("pk", "numeric_answer", "numeric_tolerance", "accepted_answers")
    }

    def text(value):
        return None if value is None else str(value)

    marking: dict[int, dict] = {pk: {"questions": [], "keys": {}} for pk in exam_ids}
    for row in placements:
        exam = marking[row["exam_id"]]
        exam["questions"].append(
            {
                "id": row["pk"],
                "question": row["question_id"],
                "marks": str(row["marks"]),
                "negative_marks": str(row["negative_marks"]),
                "partial_marks": text(row["partial_marks"]),
                "is_bonus": row["is_bonus"],
            }
        )
        exam["keys"][str(row["question_id"])] = keys[row["question_id"]]
    return marking


def exams_marking_changing(*, exam_ids: Iterable[int]) -> None:
    """Call BEFORE a change of marks or keys: the exams whose results are up to date keep
    their marking as it is now (``Exam.marking_baseline``) for a regrade's undo."""
    fresh = list(
        Exam.objects.filter(pk__in=list(exam_ids), marking_changed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if not fresh:
        return
    baselines = marking_of(fresh)
    Exam.objects.bulk_update(
        [Exam(pk=pk, marking_baseline=baselines[pk]) for pk in fresh], ["marking_baseline"]
    )


def marking_restore(*, exam_id: int, baseline: dict) -> list[int] | None:
    """Put an exam's marking back as ``baseline`` (``marking_of``) says: its placements'
    marks and its questions' keys. Returns the other exams placing a question whose key
    changed back (their results may be stale now), or None, changing nothing, when the
    exam's questions are no longer those of the baseline."""
    current = marking_of([exam_id])[exam_id]
    placed = {(row["id"], row["question"]) for row in baseline["questions"]}
    if placed != {(row["id"], row["question"]) for row in current["questions"]}:
        return None
    ExamQuestion.objects.bulk_update(
        [
            ExamQuestion(
                pk=row["id"],
                marks=row["marks"],
                negative_marks=row["negative_marks"],
                partial_marks=row["partial_marks"],
                is_bonus=row["is_bonus"],
            )
            for row in baseline["questions"]
        ],
        ["marks", "negative_marks", "partial_marks", "is_bonus"],
    )
    moved = [pk for pk, key in baseline["keys"].items() if current["keys"].get(pk) != key]
    if not moved:
        return []
    keys = {int(pk): baseline["keys"][pk] for pk in moved}
    correct = [choice for key in keys.values() for choice in key["correct"]]
    AnswerChoice.objects.filter(question_id__in=keys).update(
        is_correct=Case(When(pk__in=correct, then=Value(True)), default=Value(False))
    )
    Question.objects.bulk_update(
        [
            Question(
                pk=pk,
                numeric_answer=key["numeric_answer"],
                numeric_tolerance=key["numeric_tolerance"],
                accepted_answers=key["accepted_answers"],
            )
            for pk, key in keys.items()
        ],
        ["numeric_answer", "numeric_tolerance", "accepted_answers"],
    )
    return [pk for pk in exams_placing(question_ids=keys) if pk != exam_id]
