"""The one rank of the product, and the population it ranks within.

The ranked population of an exam is its completed attempts with ``counts_for_rank`` set: one
per learner, chosen by the exam's rank policy (``attempts.services.refresh_rank_population``
keeps the flag). Only those attempts have a rank; a learner's other attempts (a retake when
the policy keeps the first, an attempt pending evaluation, a running one) get none, in every
page, export and API.

* rank = 1 + the number of ranked attempts with a strictly higher score, so ties share a rank:
  scores 90, 80, 80, 70 rank 1, 2, 2, 4;
* percentile = the ranked attempts scoring <= the score, over the population, × 100, half-up
  to 2 places: 100.00, 75.00, 75.00, 25.00 above.

Where the counts come from: the population's histogram of scores is stored
(``attempts.models.ExamTally``, population ``RANKED``: the completed attempts with
``counts_for_rank``, kept by ``attempts.tallies`` in the transaction of every change of an
attempt's state, score or flag). An exam's cells are its distinct (score, percentage) pairs,
a few hundred at most whatever its number of attempts, so neither function reads an attempt
row: :func:`standing` sums one attempt's standing from the cells (one query), and
:func:`rank_table` loads the cells grouped by score (one query) so a page or export ranks
every row without a query per row. Both apply :func:`rank_from` and :func:`percentile_from`.
Only the exam's own rank policy has a rank (its population is the stored one); the other
policies of the item analysis (``attempts.statistics.item_inputs``) rank nothing.
"""

from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from attempts.models import Attempt, ExamTally, Population
from attempts.statistics.rounding import ratio_half_up


def rank_from(higher: int) -> int:
    """The rank of a score that ``higher`` ranked attempts beat."""
    return 1 + higher


def percentile_from(at_or_below: int, population: int) -> Decimal | None:
    """The share of the population scoring at or below, in percent (2 places, half-up)."""
    return ratio_half_up(100 * at_or_below, population)


@dataclass(frozen=True)
class Standing:
    """Rank and percentile of one attempt; both None outside the ranked population."""

    rank: int | None
    percentile: Decimal | None
    population: int


def in_population(attempt: Attempt) -> bool:
    """Does ``attempt`` stand for its learner in the exam's ranks?"""
    return attempt.state == Attempt.State.COMPLETED and attempt.counts_for_rank


def ranked_cells(exam_id: int):
    """The exam's stored histogram of its ranked population: ``ExamTally`` cells (score,
    percentage, n) read through their unique index (exam, population, ...)."""
    return ExamTally.objects.filter(exam_id=exam_id, population=Population.RANKED).exclude(n=0)


def standing(attempt: Attempt) -> Standing:
    """Rank and percentile of ``attempt`` among its exam's ranked attempts.

    An attempt outside the population (see the module docstring) gets rank and percentile
    None; the population's size is still reported. One aggregate query over the exam's
    stored cells (:func:`ranked_cells`); no attempt row is read.
    """
    totals = ranked_cells(attempt.exam_id).aggregate(
        population=Coalesce(Sum("n"), 0),
        higher=Coalesce(Sum("n", filter=Q(score__gt=attempt.score)), 0),
        at_or_below=Coalesce(Sum("n", filter=Q(score__lte=attempt.score)), 0),
    )
    # PostgreSQL sums a bigint as a numeric: counts are ints here.
    population = int(totals["population"])
    if not in_population(attempt):
        return Standing(rank=None, percentile=None, population=population)
    return Standing(
        rank=rank_from(int(totals["higher"])),
        percentile=percentile_from(int(totals["at_or_below"]), population),
        population=population,
    )


class RankTable:
    """Rank of any score among a population given as (score, how many) pairs, best first."""

    def __init__(self, score_counts):
        scores, at_or_above, total = [], [], 0
        for score, count in score_counts:
            total += count
            scores.append(score)
            at_or_above.append(total)
        self._scores = scores[::-1]  # ascending, for bisect
        self._at_or_above = at_or_above[::-1]
        self.population = total

    def rank(self, score) -> int:
        """:func:`rank_from` the number of attempts with a strictly higher score."""
        index = bisect_right(self._scores, score)  # the first strictly higher score
        return rank_from(self._at_or_above[index] if index < len(self._scores) else 0)

    def steps(self) -> tuple[list, list[int]]:
        """The table as a step function, for a lookup outside Python (the CSV written by
        PostgreSQL: ``attempts.web.export_copy``): the scores ascending, and the rank of a
        score that ``k`` of them are at or below (``k`` = ``bisect_right``), one more than
        the scores: ``rank(score) == ranks[bisect_right(scores, score)]``."""
        n = len(self._scores)
        ranks = [rank_from(self._at_or_above[k] if k < n else 0) for k in range(n + 1)]
        return list(self._scores), ranks

    def rank_of(self, attempt: Attempt) -> int | None:
        """The rank of ``attempt``; None outside the ranked population."""
        return self.rank(attempt.score) if in_population(attempt) else None


def rank_table(exam_id: int) -> RankTable:
    """Ranks of one exam for any score, from ONE grouped query over the exam's stored cells
    (:func:`ranked_cells`; one score may sit in several cells, one per percentage when the
    exam's maximum changed), then each row's rank is a lookup, never a count per row."""
    counts = ranked_cells(exam_id).values("score").annotate(count=Sum("n")).order_by("-score")
    return RankTable([(row["score"], int(row["count"])) for row in counts])
