"""Writes about exams that other parts of the product react to."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from assessments.models import Exam, ExamQuestion

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
        ).update(marking_changed_at=None)
    )
