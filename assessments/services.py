"""Writes about exams that other parts of the product react to."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, F, Max, Q, Value, When
from django.db.models.functions import Coalesce

from assessments.html import clean_html
from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section

# Changes that make stored scores stale: on an exam question, and on a bank question.
EXAM_QUESTION_MARKING_FIELDS = frozenset(
    {"marks", "negative_marks", "partial_marks", "is_bonus", "question", "exam"}
)
QUESTION_KEY_FIELDS = frozenset({"type", "numeric_answer", "numeric_tolerance", "accepted_answers"})
# On the exam itself: the pass mark decides every stored ``passed``.
EXAM_MARKING_FIELDS = frozenset({"pass_percentage"})
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


@transaction.atomic
def exam_question_create(
    *,
    exam: Exam,
    question: Question,
    choices: Iterable[AnswerChoice] = (),
    section_title: str | None = None,
    marks: Decimal = Decimal("1"),
    negative_marks: Decimal = Decimal("0"),
    partial_marks: Decimal | None = None,
    is_bonus: bool = False,
    now: datetime,
) -> ExamQuestion:
    """Save a new bank question with its choices and place it last in ``exam``.

    The section is the exam's section titled ``section_title`` (created after the others
    when there is none), or its last section (a first one, "Questions", for an exam with
    none). Choice HTML is cleaned here, as ``AnswerChoice.save`` would (their INSERT is one
    bulk statement). When the exam already has finished attempts their stored results miss
    the new question: the exam's marking is flagged as changed, for a rescore.
    """
    exam = Exam.objects.select_for_update().get(pk=exam.pk)  # serialises the numbering
    sections = list(Section.objects.filter(exam=exam).order_by("order", "id"))
    if section_title is not None:
        section = next((s for s in sections if s.title == section_title), None)
    else:
        section = sections[-1] if sections else None
        section_title = "Questions"
    if section is None:
        order = max((s.order for s in sections), default=-1) + 1
        section = Section.objects.create(exam=exam, title=section_title, order=order)
    question.save()
    choices = list(choices)
    for position, choice in enumerate(choices):
        choice.question = question
        choice.text_html = clean_html(choice.text_html)
        choice.order = position
    AnswerChoice.objects.bulk_create(choices)
    last = ExamQuestion.objects.filter(exam=exam).aggregate(n=Max("order"))["n"]
    placed = ExamQuestion.objects.create(
        exam=exam,
        section=section,
        question=question,
        marks=marks,
        negative_marks=negative_marks,
        partial_marks=partial_marks,
        is_bonus=is_bonus,
        order=0 if last is None else last + 1,
    )
    # Attempts' states by name would import attempts (which imports this app): the reverse
    # manager is Attempt's own queryset.
    if exam.attempts.finished().exists():
        exams_marking_changed(exam_ids=[exam.pk], now=now)
    return placed


@transaction.atomic
def exam_update(*, exam: Exam, changes: dict, now: datetime) -> Exam:
    """Change an exam's own fields (title, pass mark, duration, attempts, status...).

    A new pass mark makes the stored pass or fail of finished attempts stale: the exam's
    marking is flagged as changed, for a rescore (when it has finished attempts)."""
    stale = any(
        name in EXAM_MARKING_FIELDS and getattr(exam, name) != value
        for name, value in changes.items()
    )
    for name, value in changes.items():
        setattr(exam, name, value)
    exam.full_clean(exclude=["course"])
    exam.save()
    if stale and exam.attempts.finished().exists():
        exams_marking_changed(exam_ids=[exam.pk], now=now)
        exam.refresh_from_db(fields=["marking_changed_at"])
    return exam


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
