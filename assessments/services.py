"""Writes about exams that other parts of the product react to."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max, Q, Value
from django.db.models.functions import Coalesce

from assessments.html import clean_html
from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section

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


# Exam fields whose change makes the stored results of finished attempts stale.
EXAM_MARKING_FIELDS = frozenset({"pass_percentage"})


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
