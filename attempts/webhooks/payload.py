"""The seed's AttemptStatus object, built from an attempt and its answers: a pure mapping (no
query; ``relay.load_statuses`` loads what it reads in a fixed number of queries).

Status (the seed's eight; ``suspended``, ``active`` and ``incomplete`` never occur: an attempt
is never paused, and a finished one is complete):

=====================================  ===============
our attempt                            ``status``
=====================================  ===============
NOT_STARTED (opened, not started)      ``notStarted``
RUNNING                                ``inProgress``
PENDING_EVALUATION (essays unmarked)   ``completed``
COMPLETED, no pass mark                ``completed``
COMPLETED, passed                      ``passed``
COMPLETED, not passed                  ``failed``
=====================================  ===============

Question types (SCORM ``cmi.interactions.n.type``): single and multiple choice ``choice``,
true/false ``true-false``, numeric ``numeric``, short text ``fill-in``, essay ``long-fill-in``.
Responses follow SCORM 2004's formats: choice ids joined by ``[,]``; true/false ``true`` or
``false`` (the chosen option's text when it says so, its id otherwise); numeric a number and the
key as the range ``min[:]max`` (answer ± tolerance); fill-in the accepted answers joined by
``[,]``; no key for essays.

Results: correct ``correct``; incorrect ``incorrect``; partly correct ``incorrect`` (SCORM's
"real" would need the number, which ``weighting`` and the score already carry); unanswered and
awaiting marks ``neutral``.

External ids: ``activity.externalId`` is the course's ``external_id``, ``item.externalId`` the
exam's, each null when blank. ``dataSource`` is ``offline`` for an attempt imported from paper
(an ``imported`` event whose details say ``{"source": "offline"}``), ``online`` otherwise.

Scores: ``scoreRaw`` is the sum of marks awarded and can be negative under negative marking;
``scoreMinimum`` is the lowest score the exam allows (minus the sum of every non-bonus
question's negative marks, 0 without negative marking); ``scoreMaximum`` the sum of marks;
``scoreScaled`` is raw / maximum clamped to 0..1, 4 places. All four are null until the
attempt is finished.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from assessments.html import html_excerpt
from assessments.kinds import QuestionKind

NOT_STARTED, RUNNING, COMPLETED, PENDING = "notStarted", "inProgress", "completed", "pending"

QUESTION_TYPES = {
    QuestionKind.SINGLE: "choice",
    QuestionKind.MULTIPLE: "choice",
    QuestionKind.TRUE_FALSE: "true-false",
    QuestionKind.NUMERIC: "numeric",
    QuestionKind.SHORT_TEXT: "fill-in",
    QuestionKind.ESSAY: "long-fill-in",
}
RESULTS = {
    "correct": "correct",
    "incorrect": "incorrect",
    "partial": "incorrect",
    "unanswered": "neutral",
    "pending": "neutral",
}
SCORM_LIST = "[,]"  # SCORM 2004's delimiter of multiple responses
SCORM_RANGE = "[:]"  # and of a numeric range


def utc(moment: datetime | None) -> str | None:
    """ "2015-08-21T15:35:17": UTC, to the second, no offset, as the seed writes them."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def status_of(attempt) -> str:
    """>>> from types import SimpleNamespace as A
    >>> status_of(A(state=1, passed=False)), status_of(A(state=2, passed=None))
    ('failed', 'completed')
    """
    if attempt.state == 3:  # Attempt.State.NOT_STARTED
        return NOT_STARTED
    if attempt.state == 0:  # RUNNING
        return RUNNING
    if attempt.state == 1 and attempt.passed is not None:  # COMPLETED
        return "passed" if attempt.passed else "failed"
    return COMPLETED


def _number(value: Decimal | None, places: str = "0.0001") -> float | None:
    return None if value is None else float(Decimal(value).quantize(Decimal(places), ROUND_HALF_UP))


def _plain_number(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _truth(choice) -> str:
    text = html_excerpt(choice.text_html, 20).lower()
    return text if text in ("true", "false") else str(choice.pk)


def responses(question, chosen: Iterable, key: Iterable) -> tuple[str, str | None]:
    """(learnerResponse, correctResponse) of one answer in SCORM's formats.

    ``chosen`` and ``key`` are AnswerChoice rows (in their order) for choice questions; for the
    others ``chosen`` holds the answer (``text_response`` / ``numeric_response``)."""
    kind = question.type
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return (
            SCORM_LIST.join(str(c.pk) for c in chosen),
            SCORM_LIST.join(str(c.pk) for c in key),
        )
    if kind == QuestionKind.TRUE_FALSE:
        return "".join(_truth(c) for c in chosen[:1]), "".join(_truth(c) for c in key[:1])
    if kind == QuestionKind.NUMERIC:
        (given,) = chosen
        low = question.numeric_answer - question.numeric_tolerance
        high = question.numeric_answer + question.numeric_tolerance
        return (
            "" if given is None else _plain_number(given),
            f"{_plain_number(low)}{SCORM_RANGE}{_plain_number(high)}",
        )
    (given,) = chosen
    if kind == QuestionKind.SHORT_TEXT:
        return given, SCORM_LIST.join(question.accepted_answers)
    return given, None  # essay: marked by hand, no key


def interaction(number: int, answer, chosen: list, key: list) -> dict:
    question = answer.exam_question.question
    if question.type in (QuestionKind.NUMERIC,):
        chosen = [answer.numeric_response]
    elif question.type in (QuestionKind.SHORT_TEXT, QuestionKind.ESSAY):
        chosen = [answer.text_response]
    learner, correct = responses(question, chosen, key)
    return {
        "number": number,
        "id": str(question.uuid),
        "questionType": QUESTION_TYPES[question.type],
        "description": html_excerpt(question.text_html, 250),
        "learnerResponse": learner,
        "correctResponse": correct,
        "result": RESULTS[answer.result],
        "weighting": _number(answer.exam_question.marks, "0.001"),
        "latencySeconds": answer.time_spent_seconds,
        "timestamp": utc(answer.updated_at) if answer.result != "unanswered" else None,
    }


def attempt_status(
    attempt,
    answers: list,
    *,
    chosen: Mapping[int, list],
    keys: Mapping[int, list],
    minimum: Decimal,
    client_id: str,
    offline: bool = False,
) -> dict:
    """The AttemptStatus of ``attempt`` (with ``user`` and ``exam.course`` loaded).

    ``answers`` are its UserAnswer rows in exam order (``exam_question.question`` loaded);
    ``chosen`` maps an answer's id to its chosen AnswerChoice rows, ``keys`` a question's id
    to its correct ones; ``minimum`` is the exam's lowest possible score."""
    finished = attempt.state in (1, 2)
    exam, course = attempt.exam, attempt.exam.course
    maximum = attempt.max_score
    scaled = None
    if finished and maximum:
        scaled = min(max(Decimal(attempt.score) / Decimal(maximum), Decimal(0)), Decimal(1))
    duration = None
    if attempt.completed_at is not None:
        duration = round((attempt.completed_at - attempt.started_at).total_seconds(), 2)
    return {
        "clientId": client_id,
        "user": {"id": str(attempt.user.uuid), "username": attempt.user.username},
        "activity": {
            "id": str(course.uuid),
            "title": course.title,
            "type": "course",
            "externalId": course.external_id or None,
        },
        "item": {
            "id": str(exam.uuid),
            "title": exam.title,
            "type": "assessment",
            "externalId": exam.external_id or None,
        },
        "attemptId": str(attempt.uuid),
        "attemptNumber": attempt.attempt_number,
        "status": status_of(attempt),
        "scoreScaled": _number(scaled),
        "scoreRaw": _number(attempt.score) if finished else None,
        "scoreMinimum": _number(minimum) if finished else None,
        "scoreMaximum": _number(maximum) if finished else None,
        "startedDateTime": utc(attempt.started_at) if attempt.state != 3 else None,
        "completedDateTime": utc(attempt.completed_at),
        "durationSeconds": duration,
        "dataSource": "offline" if offline else "online",
        "interactions": [
            interaction(n, a, chosen.get(a.pk, []), keys.get(a.exam_question.question_id, []))
            for n, a in enumerate(answers)
        ],
    }


def envelope(*, event_type: str, message_id: str, sequence: int, at: datetime, data: dict) -> dict:
    return {
        "type": event_type,
        "id": message_id,
        "sequence": sequence,
        "timestamp": utc(at),
        "data": data,
    }
