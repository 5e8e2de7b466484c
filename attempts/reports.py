"""Read-side aggregates over many attempts of an exam (the per-attempt ones are in
``attempts.statistics``). Each function runs a fixed number of grouped queries."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q

from attempts.models import Attempt

CENT = Decimal("0.01")
State = Attempt.State


@dataclass(frozen=True)
class ExamOverview:
    """Attempt counts by state, mean score and pass rate of one exam.

    Mean score and pass rate use completed attempts only (pending evaluation ones have no
    final score yet). Pass rate is passed / completed × 100 (2 places), None when the exam has
    no pass mark or no completed attempt.
    """

    exam: object
    by_state: dict = field(default_factory=dict)  # State -> count
    mean_score: Decimal | None = None
    pass_rate: Decimal | None = None

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    def state_rows(self):
        return [(state.label, self.by_state.get(state, 0)) for state in State]


def _rounded(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def exam_overviews(exams) -> dict[int, ExamOverview]:
    """``{exam_id: ExamOverview}`` for the given exams, in one grouped query."""
    exams = list(exams)
    completed = Q(state=State.COMPLETED)
    rows = (
        Attempt.objects.filter(exam__in=[exam.pk for exam in exams])
        .values("exam_id")
        .annotate(
            **{f"state_{state.value}": Count("pk", filter=Q(state=state)) for state in State},
            mean=Avg("score", filter=completed),
            passed=Count("pk", filter=completed & Q(passed=True)),
        )
        .order_by()
    )
    found = {row["exam_id"]: row for row in rows}
    overviews = {}
    for exam in exams:
        row = found.get(exam.pk, {})
        by_state = {state: row.get(f"state_{state.value}", 0) for state in State}
        done = by_state[State.COMPLETED]
        rate = None
        if exam.pass_percentage is not None and done:
            rate = _rounded(Decimal(100) * row["passed"] / done)
        overviews[exam.pk] = ExamOverview(
            exam=exam, by_state=by_state, mean_score=_rounded(row.get("mean")), pass_rate=rate
        )
    return overviews
