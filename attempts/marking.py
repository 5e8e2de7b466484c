"""Load what ``attempts.scoring`` needs from the database, a fixed number of queries per call.

``exam_rules`` turns an exam's questions into ``MarkingRule`` values (2 queries whatever the
number of questions); ``stored_responses`` reads the answers of many attempts at once
(2 queries whatever the number of attempts or answers).
"""

from collections import defaultdict
from dataclasses import dataclass

from assessments.models import AnswerChoice, ExamQuestion
from attempts.models import UserAnswer
from attempts.scoring import MarkingRule, Response


def exam_rules(exam_id: int, *, exam_question_ids=None) -> dict[int, MarkingRule]:
    """Marking rule of each exam question of the exam (or of the ones named), in order."""
    placements = ExamQuestion.objects.filter(exam_id=exam_id)
    if exam_question_ids is not None:
        placements = placements.filter(pk__in=exam_question_ids)
    placements = list(
        placements.order_by("order", "id").values(
            "id",
            "question_id",
            "marks",
            "negative_marks",
            "partial_marks",
            "is_bonus",
            "question__type",
            "question__numeric_answer",
            "question__numeric_tolerance",
            "question__accepted_answers",
        )
    )
    keys: dict[int, set[int]] = defaultdict(set)
    for question_id, choice_id in AnswerChoice.objects.filter(
        question_id__in=[row["question_id"] for row in placements], is_correct=True
    ).values_list("question_id", "id"):
        keys[question_id].add(choice_id)
    return {
        row["id"]: MarkingRule(
            kind=row["question__type"],
            marks=row["marks"],
            negative_marks=row["negative_marks"],
            partial_marks=row["partial_marks"],
            is_bonus=row["is_bonus"],
            key=frozenset(keys[row["question_id"]]),
            numeric_answer=row["question__numeric_answer"],
            tolerance=row["question__numeric_tolerance"],
            accepted_answers=tuple(row["question__accepted_answers"] or ()),
        )
        for row in placements
    }


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
            ),
            result=row["result"],
            marks_awarded=row["marks_awarded"],
        )
    return answers
