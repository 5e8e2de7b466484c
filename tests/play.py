"""Attempts played through the services: the one place tests start, answer and submit.

A test that needs an attempt in some state plays it here rather than writing its rows, so the
stored results the pages and the API read are the ones a learner's attempt really leaves.
Every step reads the clock it is given, ``NOW`` unless told otherwise: never the real one.
"""

from datetime import UTC, datetime

from attempts import services

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def start(exam, learner, *, now=NOW):
    """``learner`` starts ``exam`` (or resumes their running attempt)."""
    return services.attempt_start(user=learner, exam=exam, now=now)


def answer(attempt, exam_question, *, choices=(), now=NOW, **given):
    """Save an answer: ``choices`` are the chosen ``AnswerChoice`` rows, ``given`` the other
    fields of ``attempt_save_answer`` (``text``, ``number``, ``time_spent_seconds``, ...)."""
    return services.attempt_save_answer(
        attempt=attempt,
        exam_question=exam_question,
        choice_ids=[choice.pk for choice in choices],
        now=now,
        **given,
    )


def submit(attempt, *, now=NOW):
    return services.attempt_submit(attempt=attempt, now=now)


def play(exam, learner, answers=(), *, now=NOW, submit_at=None):
    """A whole attempt: start at ``now``, save each ``(exam_question, fields)`` of ``answers``
    (``fields`` as ``answer`` takes them; at ``now`` unless they say otherwise), then submit
    at ``submit_at``, or leave the attempt running when it is None."""
    attempt = start(exam, learner, now=now)
    for exam_question, fields in answers:
        answer(attempt, exam_question, **{"now": now, **fields})
    return attempt if submit_at is None else submit(attempt, now=submit_at)
