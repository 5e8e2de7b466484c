"""Load what ``attempts.scoring`` needs from the database, a fixed number of queries per call.

``exam_rules`` turns an exam's questions into ``MarkingRule`` values (2 queries whatever the
number of questions); ``stored_responses`` reads the answers of many attempts at once
(2 queries whatever the number of attempts or answers).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Q, Value

from assessments.models import AnswerChoice, ExamQuestion
from attempts.models import UserAnswer
from attempts.scoring import MarkingRule, Response


def rule_for(exam_question: ExamQuestion, key: frozenset[int]) -> MarkingRule:
    """The marking rule of one placed question; ``key`` holds its correct choice ids."""
    question = exam_question.question
    return MarkingRule(
        kind=question.type,
        marks=exam_question.marks,
        negative_marks=exam_question.negative_marks,
        partial_marks=exam_question.partial_marks,
        is_bonus=exam_question.is_bonus,
        key=key,
        numeric_answer=question.numeric_answer,
        tolerance=question.numeric_tolerance,
        accepted_answers=tuple(question.accepted_answers or ()),
    )


def exam_rules(exam_id: int) -> dict[int, MarkingRule]:
    """Marking rule of each exam question of the exam, keyed by exam question id, in order."""
    placements = list(
        ExamQuestion.objects.filter(exam_id=exam_id)
        .select_related("question")
        .order_by("order", "id")
    )
    keys: dict[int, set[int]] = defaultdict(set)
    for question_id, choice_id in AnswerChoice.objects.filter(
        question_id__in=[placement.question_id for placement in placements], is_correct=True
    ).values_list("question_id", "id"):
        keys[question_id].add(choice_id)
    return {
        placement.pk: rule_for(placement, frozenset(keys[placement.question_id]))
        for placement in placements
    }


def marking_snapshot(rules: dict[int, MarkingRule]) -> list[dict]:
    """The marking of an exam as JSON (what a regrade applied, kept on its row): per exam
    question, its marks, negative and partial marks, bonus flag and its question's key."""

    def text(value):
        return None if value is None else str(value)

    return [
        {
            "exam_question": exam_question_id,
            "kind": str(rule.kind),
            "marks": str(rule.marks),
            "negative_marks": str(rule.negative_marks),
            "partial_marks": text(rule.partial_marks),
            "is_bonus": rule.is_bonus,
            "key": sorted(rule.key),
            "numeric_answer": text(rule.numeric_answer),
            "tolerance": str(rule.tolerance),
            "accepted_answers": list(rule.accepted_answers),
        }
        for exam_question_id, rule in rules.items()
    ]


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer row as the scorer sees it, with what it currently stores."""

    id: int
    attempt_id: int
    exam_question_id: int
    response: Response
    result: str
    marks_awarded: object


def stored_responses(attempt_ids) -> dict[int, dict[int, StoredAnswer]]:
    """``{attempt_id: {exam_question_id: StoredAnswer}}`` for the given attempts."""
    rows = list(
        UserAnswer.objects.filter(attempt_id__in=attempt_ids).values(
            "id",
            "attempt_id",
            "exam_question_id",
            "text_response",
            "numeric_response",
            "evaluated_marks",
            "override_marks",
            "result",
            "marks_awarded",
        )
    )
    chosen: dict[int, set[int]] = defaultdict(set)
    through = UserAnswer.selected_choices.through
    for answer_id, choice_id in through.objects.filter(
        useranswer__attempt_id__in=attempt_ids
    ).values_list("useranswer_id", "answerchoice_id"):
        chosen[answer_id].add(choice_id)
    answers: dict[int, dict[int, StoredAnswer]] = defaultdict(dict)
    for row in rows:
        answers[row["attempt_id"]][row["exam_question_id"]] = StoredAnswer(
            id=row["id"],
            attempt_id=row["attempt_id"],
            exam_question_id=row["exam_question_id"],
            response=Response(
                chosen=frozenset(chosen[row["id"]]),
                text=row["text_response"],
                number=row["numeric_response"],
                awarded=row["evaluated_marks"],
                override=row["override_marks"],
            ),
            result=row["result"],
            marks_awarded=row["marks_awarded"],
        )
    return answers


@dataclass(frozen=True, slots=True)
class ExamMarking:
    """An exam's questions as a whole submission needs them: the placements in order (with
    their bank question), every choice of those questions, and each placement's rule."""

    placements: list[ExamQuestion]
    # {question_id: {choice_id: is_correct}}, in the choices' order.
    choices: dict[int, dict[int, bool]]
    # {choice_id: stored HTML}, for the pages and APIs that show the questions.
    choice_texts: dict[int, str]
    rules: dict[int, MarkingRule]

    def key(self, question_id: int) -> list[int]:
        return [pk for pk, correct in self.choices.get(question_id, {}).items() if correct]


def exam_marking(exam_id: int) -> ExamMarking:
    """2 queries whatever the number of questions: the placements with their question (and
    section, for the order), then every choice of those questions."""
    placements = list(
        ExamQuestion.objects.filter(exam_id=exam_id)
        .select_related("question", "section")
        .order_by("order", "id")
    )
    choices: dict[int, dict[int, bool]] = defaultdict(dict)
    texts: dict[int, str] = {}
    for question_id, choice_id, correct, text in (
        AnswerChoice.objects.filter(question_id__in=[p.question_id for p in placements])
        .order_by("question_id", "order", "id")
        .values_list("question_id", "id", "is_correct", "text_html")
    ):
        choices[question_id][choice_id] = correct
        texts[choice_id] = text
    rules = {
        placement.pk: rule_for(
            placement,
            frozenset(pk for pk, correct in choices[placement.question_id].items() if correct),
        )
        for placement in placements
    }
    return ExamMarking(
        placements=placements, choices=dict(choices), choice_texts=texts, rules=rules
    )


def stored_results(attempt_id: int) -> dict[int, tuple[str, object]]:
    """``{exam_question_id: (result, marks_awarded)}`` of one attempt's answers (1 query)."""
    return {
        exam_question_id: (result, marks)
        for exam_question_id, result, marks in UserAnswer.objects.filter(
            attempt_id=attempt_id
        ).values_list("exam_question_id", "result", "marks_awarded")
    }


def answer_tuples(*, exam_id: int, first: int, last: int) -> dict[int, dict[int, tuple]]:
    """``{attempt_id: {exam_question_id: (response, result, marks_awarded)}}`` for the
    attempts of ``exam_id`` with ids in ``first..last``, ``response`` being the tuple of
    ``Response``'s fields (chosen, text, number, awarded, override).

    The answers of many attempts as plain values, for callers that mark each distinct
    response once (``attempts.regrade_preview``): building a ``Response`` per row, as
    ``stored_responses`` does, costs more than loading it. A range of ids rather than a list
    keeps the statements short whatever the chunk. On PostgreSQL the chosen choices come
    with their answer as an array (1 query); elsewhere from the join table (2 queries).
    """
    answers_of = UserAnswer.objects.filter(
        attempt__exam_id=exam_id, attempt_id__gte=first, attempt_id__lte=last
    )
    fields = [
        "id",
        "attempt_id",
        "exam_question_id",
        "text_response",
        "numeric_response",
        "evaluated_marks",
        "override_marks",
        "result",
        "marks_awarded",
    ]
    if connection.vendor == "postgresql":
        rows = answers_of.annotate(
            chosen=ArrayAgg(
                "selected_choices__id",
                filter=Q(selected_choices__isnull=False),
                default=Value([]),
            )
        ).values_list(*fields, "chosen")
    else:
        chosen: dict[int, list[int]] = defaultdict(list)
        through = UserAnswer.selected_choices.through
        for answer_id, choice_id in through.objects.filter(
            useranswer__in=answers_of.values("pk")
        ).values_list("useranswer_id", "answerchoice_id"):
            chosen[answer_id].append(choice_id)
        rows = ((*row, chosen.get(row[0])) for row in answers_of.values_list(*fields))
    empty = frozenset()
    answers: dict[int, dict[int, tuple]] = defaultdict(dict)
    for (
        _,
        attempt_id,
        exam_question_id,
        text,
        number,
        awarded,
        override,
        result,
        marks,
        picked,
    ) in rows:
        response = (frozenset(picked) if picked else empty, text, number, awarded, override)
        answers[attempt_id][exam_question_id] = (response, result, marks)
    return answers
