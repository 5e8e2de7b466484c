"""Attempts for the contract tests: played on the kit exam through ``kit.start``,
``kit.answer`` and ``tests.play.submit`` (tests/attempts/conftest.py: 6 questions × 4 marks,
max 24, negative 1, pass mark 50 %, 60 minutes), or built by hand with ``AttemptFactory`` for
lists that only sort and filter.
Expected values are computed by hand in the comments next to them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from attempts.models import Attempt
from tests import play
from tests.attempts.conftest import NOW
from tests.factories import AttemptFactory, UserFactory

D = Decimal
State = Attempt.State


def thirteen_of_24(kit, user=None, *, minutes=10):
    """Answers 5 of the 6 questions (not the essay) and submits ``minutes`` after NOW.

    single +4, multiple 2 of 3 keys +2 (partial), true/false wrong -1, numeric +4, short +4:
    score 13 of 24 = 54.17 % (pass mark 50 %); correct 3, incorrect 1, partial 1,
    unanswered 1 (the essay, so nothing is pending and the attempt completes).
    """
    attempt = kit.start(user)
    answered_at = NOW + timedelta(minutes=5)
    kit.answer(attempt, "single", choices=[0], now=answered_at)
    kit.answer(attempt, "multiple", choices=[0, 1], now=answered_at)
    kit.answer(attempt, "true_false", choices=[1], now=answered_at)
    kit.answer(attempt, "numeric", number=D("9.81"), now=answered_at)
    kit.answer(attempt, "short", text="Paris", now=answered_at)
    return play.submit(attempt, now=NOW + timedelta(minutes=minutes))


def hand_built(exam, *, started_at, correct=0, incorrect=0, unanswered=0, **fields):
    """A completed attempt with the given counts (their sum is ``total_questions``, as the
    ``attempt_counts_add_up`` check constraint requires)."""
    fields.setdefault("state", State.COMPLETED)
    if "user" not in fields:
        fields["user"] = UserFactory()
    return AttemptFactory(
        exam=exam,
        started_at=started_at,
        total_questions=correct + incorrect + unanswered,
        correct_count=correct,
        incorrect_count=incorrect,
        unanswered_count=unanswered,
        **fields,
    )


def at(day, hms="10:00:00"):
    return datetime.fromisoformat(f"2026-10-{day:02d}T{hms}").replace(tzinfo=UTC)
