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

:func:`standing` reads one attempt's standing with one aggregate; :func:`rank_table` loads
the population's scores grouped (one query) so a page or export ranks every row without a
query per row. Both apply :func:`rank_from` and :func:`percentile_from`.
"""

from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from attempts.models import Attempt
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


def standing(attempt: Attempt) -> Standing:
    """Rank and percentile of ``attempt`` among its exam's ranked attempts.

    An attempt outside the population (see the module docstring) gets rank and percentile
    None; the population's size is still reported. One aggregate query over the
    ``attempt_rank`` partial index; no score is loaded.
    """
    ranked = Attempt.objects.filter(exam_id=attempt.exam_id, counts_for_rank=True)
    totals = ranked.aggregate(
        population=Count("pk"),
        higher=Count("pk", filter=Q(score__gt=attempt.score)),
        at_or_below=Count("pk", filter=Q(score__lte=attempt.score)),
    )
    population = totals["population"]
    if not in_population(attempt):
        return Standing(rank=None, percentile=None, population=population)
    return Standing(
        rank=rank_from(totals["higher"]),
        percentile=percentile_from(totals["at_or_below"], population),
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

    def rank_of(self, attempt: Attempt) -> int | None:
        """The rank of ``attempt``; None outside the ranked population."""
        return self.rank(attempt.score) if in_population(attempt) else None


def rank_table(exam_id: int) -> RankTable:
    """Ranks of one exam for any score, from ONE grouped query over the ranked population:
    the scores are grouped (an index-only pass over the ``attempt_rank`` partial index;
    distinct scores are few), then each row's rank is a lookup, never a count per row."""
    counts = (
        Attempt.objects.filter(exam_id=exam_id, counts_for_rank=True)
        .values("score")
        .annotate(n=Count("pk"))
        .order_by("-score")
    )
    return RankTable([(row["score"], row["n"]) for row in counts])
