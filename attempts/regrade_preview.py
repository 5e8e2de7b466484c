"""What a regrade of an exam would change, computed without writing anything.

Every finished attempt of the exam is marked again with the current key and marks (the pure
``attempts.scoring``, over what ``attempts.marking`` loads, as ``score_attempts`` does) and
compared with what it stores: score, pass or fail, and rank and percentile among the ranked
population before and after (the definitions of ``attempts.statistics.standing``, the
population rebuilt with the new scores by the exam's rank policy, as
``refresh_rank_population`` would).

Set-based: 3 queries for the exam's rules and attempts, then 2 per chunk of attempts (their
answers and selected choices), never one per attempt. An answer is marked once per distinct
response to a question (most learners give one of a few), and an attempt whose answers all
keep their outcome and marks keeps its totals (as ``score_attempts`` would), so the cost is
mostly loading.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from assessments.models import Exam
from attempts.marking import answer_tuples, exam_rules
from attempts.models import Attempt
from attempts.scoring import (
    AnswerScore,
    Outcome,
    Response,
    fitted,
    is_passed,
    score_answer,
    summarise,
)
from attempts.statistics.ranking import RankTable, percentile_from

RANK_CHOICE = {
    # Which completed attempt stands for a learner (services.RANK_ORDER, as a sort key over
    # (attempt number, score)); the smallest key wins.
    Exam.RankPolicy.FIRST: lambda number, score: (number,),
    Exam.RankPolicy.LAST: lambda number, score: (-number,),
    Exam.RankPolicy.BEST: lambda number, score: (-score, number),
}


@dataclass(frozen=True, slots=True)
class Standing:
    """Rank and percentile of a completed attempt (None for one that is not completed)."""

    rank: int | None
    percentile: Decimal | None


@dataclass(frozen=True, slots=True)
class Side:
    """One attempt's result, as stored (before) or as the regrade would store it (after)."""

    state: int
    score: Decimal
    passed: bool | None
    standing: Standing

    @property
    def result(self) -> str:
        if self.state != Attempt.State.COMPLETED:
            return Attempt.UNDECIDED_RESULT[self.state]
        if self.passed is None:
            return "No pass mark"
        return "Pass" if self.passed else "Fail"


@dataclass(frozen=True, slots=True)
class PreviewRow:
    attempt_id: int
    user_id: int
    attempt_number: int
    before: Side
    after: Side

    @property
    def changed(self) -> bool:
        """The stored result would change: score, state or pass/fail."""
        b, a = self.before, self.after
        return (b.state, b.score, b.passed) != (a.state, a.score, a.passed)

    @property
    def moved(self) -> bool:
        """Anything shown would change, rank and percentile included."""
        return self.changed or self.before.standing != self.after.standing

    @property
    def delta(self) -> Decimal:
        return self.after.score - self.before.score

    @property
    def flip(self) -> str | None:
        """ "to_fail" or "to_pass" when a decided result turns over; None otherwise."""
        b, a = self.before.passed, self.after.passed
        if b is None or a is None or b == a:
            return None
        return "to_pass" if a else "to_fail"


@dataclass(frozen=True)
class RegradePreview:
    exam: Exam
    clear_overrides: bool
    rows: list[PreviewRow]  # every finished attempt, by attempt id
    population_before: int
    population_after: int

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def changed(self) -> int:
        return sum(row.changed for row in self.rows)

    @property
    def flips(self) -> Counter:
        return Counter(row.flip for row in self.rows if row.flip)

    @property
    def to_fail(self) -> int:
        return self.flips["to_fail"]

    @property
    def to_pass(self) -> int:
        return self.flips["to_pass"]


def standings(
    rows: list[tuple[int, int, int, int, Decimal]], policy: str, ranked: set[int] | None = None
) -> tuple[dict[int, Standing], int]:
    """Rank and percentile of each completed attempt of ``rows`` (attempt id, user id, attempt
    number, state, score), and the population's size.

    The population is one completed attempt per learner, chosen by ``policy``, or the
    attempts in ``ranked`` when given (the stored ``counts_for_rank``). rank = 1 + the
    population attempts scoring strictly more; percentile = the population attempts scoring
    at most as much / the population × 100, half-up to 2 places. Attempts outside the
    population get no rank and no percentile, as on the pages.
    """
    completed = [row for row in rows if row[3] == Attempt.State.COMPLETED]
    if ranked is None:
        choose = RANK_CHOICE[policy]
        chosen: dict[int, tuple] = {}
        for pk, user_id, number, _, score in completed:
            key = (choose(number, score), pk)
            if user_id not in chosen or key < chosen[user_id][0]:
                chosen[user_id] = (key, score, pk)
        ranked = {pk for _, _, pk in chosen.values()}
    scores = Counter(row[4] for row in completed if row[0] in ranked)
    table = RankTable(sorted(scores.items(), reverse=True))
    population = table.population
    result = {}
    for pk, _, _, _, score in completed:
        if pk not in ranked:
            # As the pages show it (``attempts.statistics.ranking``): no rank outside.
            result[pk] = Standing(None, None)
            continue
        rank = table.rank(score)
        result[pk] = Standing(rank, percentile_from(population - (rank - 1), population))
    return result, population


def regrade_preview(
    exam: Exam, *, clear_overrides: bool = False, chunk_size: int = 10000
) -> RegradePreview:
    """Score every finished attempt of ``exam`` with its current marking, write nothing.

    ``clear_overrides``: as a regrade that clears overrides would (the key marks the
    overridden answers again). Queries: 2 for the rules, 1 for the attempts, 2 per chunk.
    """
    rules = exam_rules(exam.pk)
    stored = list(
        Attempt.objects.finished()
        .filter(exam_id=exam.pk)
        .order_by("pk")
        .values_list(
            "pk",
            "user_id",
            "attempt_number",
            "state",
            "score",
            "passed",
            "counts_for_rank",
            "max_score",
            "percentage",
        )
    )
    # What every attempt's maximum will be (summarise's sum of the rules' marks).
    nothing = AnswerScore(Outcome.UNANSWERED, Decimal("0"))
    max_score = summarise([(rule, nothing) for rule in rules.values()], None).max_score
    # The marks of each distinct (question, response): most learners give one of a few.
    memo: dict = {}
    after: dict[int, tuple[int, Decimal, bool | None]] = {}
    for start in range(0, len(stored), chunk_size):
        rows = stored[start : start + chunk_size]
        answers = answer_tuples(exam_id=exam.pk, first=rows[0][0], last=rows[-1][0])
        for pk, _, _, state, score, _, _, old_max, old_percentage in rows:
            given = answers.get(pk, {})
            marked, differs = [], old_max != max_score or len(given) != len(rules)
            for exam_question_id, rule in rules.items():
                row = given.get(exam_question_id)
                response, result_before, marks_before = row or (None, None, None)
                if response is not None and clear_overrides:
                    response = (*response[:4], None)
                key = (exam_question_id, response)
                result = memo.get(key)
                if result is None:
                    given_response = None if response is None else Response(*response)
                    result = memo[key] = score_answer(rule, fitted(rule, given_response))
                marked.append((rule, result))
                differs = differs or (
                    result.outcome != result_before or result.marks != marks_before
                )
            if differs:
                total = summarise(marked, exam.pass_percentage)
                state = (
                    Attempt.State.PENDING_EVALUATION if total.pending else Attempt.State.COMPLETED
                )
                after[pk] = (state, total.score, None if total.pending else total.passed)
            else:
                # Every answer keeps its outcome and marks: so do the totals (score_attempts
                # would write nothing); pass or fail follows the exam's pass mark as it is now.
                pending = state == Attempt.State.PENDING_EVALUATION
                passed = None if pending else is_passed(old_percentage, exam.pass_percentage)
                after[pk] = (state, score, passed)

    old_rows = [(pk, user, number, state, score) for pk, user, number, state, score, *_ in stored]
    new_rows = [(pk, user, number, *after[pk][:2]) for pk, user, number, *_ in stored]
    ranked = {row[0] for row in stored if row[6]}
    old_standing, population_before = standings(old_rows, exam.rank_policy, ranked)
    new_standing, population_after = standings(new_rows, exam.rank_policy)
    none = Standing(None, None)
    rows = [
        PreviewRow(
            attempt_id=pk,
            user_id=user_id,
            attempt_number=number,
            before=Side(state, score, passed, old_standing.get(pk, none)),
            after=Side(*after[pk], new_standing.get(pk, none)),
        )
        for pk, user_id, number, state, score, passed, *_ in stored
    ]
    return RegradePreview(exam, clear_overrides, rows, population_before, population_after)
