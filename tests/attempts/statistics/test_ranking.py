"""Ranks and percentiles read from the stored histogram of the ranked population
(``attempts.statistics.ranking``: ``ExamTally`` cells, population RANKED) equal the ones
counted from the attempt rows themselves, after attempts played through the services, after a
rescore that rebuilds the exam's stored sums, and when one score sits in several cells.

Kit (tests/attempts/conftest.py): single (key 0), multiple, true/false (key 0), numeric, short
text, essay; 4 marks each, negative 1. An unanswered question scores 0; an answered essay
leaves the attempt pending evaluation.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from assessments.models import AnswerChoice
from attempts import services
from attempts.models import Attempt
from attempts.statistics.ranking import Standing, rank_table, standing
from tests.attempts.tally_checks import assert_sums_match
from tests.factories import AttemptFactory, ExamFactory, UserFactory
from tests.play import NOW, submit

D = Decimal
LATER = NOW + timedelta(minutes=5)


def counted_from_rows(exam) -> dict:
    """{attempt id: (rank, percentile, population)} counted in Python from the attempt rows:
    the population is the completed attempts with ``counts_for_rank``; rank = 1 + how many
    of them score strictly higher; percentile = how many score at or below, in percent,
    half-up to 2 places. Attempts outside the population get (None, None, population)."""
    rows = list(
        Attempt.objects.filter(exam=exam).values_list("pk", "state", "counts_for_rank", "score")
    )
    scores = [
        score for _, state, ranked, score in rows if state == Attempt.State.COMPLETED and ranked
    ]
    out = {}
    for pk, state, ranked, score in rows:
        if state == Attempt.State.COMPLETED and ranked:
            higher = sum(1 for other in scores if other > score)
            at_or_below = sum(1 for other in scores if other <= score)
            percent = (D(100 * at_or_below) / D(len(scores))).quantize(D("0.01"), ROUND_HALF_UP)
            out[pk] = (1 + higher, percent, len(scores))
        else:
            out[pk] = (None, None, len(scores))
    return out


def read_from_cells(exam, django_assert_num_queries) -> dict:
    """The same figures from the two functions the pages call: ``rank_table`` (the list and
    its exports) and ``standing`` (the attempt page and the Testpress detail)."""
    attempts = list(Attempt.objects.filter(exam=exam))
    with django_assert_num_queries(1):  # the exam's RANKED cells grouped by score
        table = rank_table(exam.pk)
    with django_assert_num_queries(len(attempts)):  # one aggregate over the cells each
        standings = {attempt.pk: standing(attempt) for attempt in attempts}
    out = {}
    for attempt in attempts:
        mine = standings[attempt.pk]
        assert table.rank_of(attempt) == mine.rank  # the list and the attempt page agree
        assert table.population == mine.population
        out[attempt.pk] = (mine.rank, mine.percentile, mine.population)
    return out


def played(kit, learner, *, single=None, true_false=None, essay=False, submitted=True):
    """``learner`` answers the single choice and true/false questions (choice indices, or
    None to leave them unanswered) and the essay when ``essay``, then submits."""
    attempt = kit.start(learner)
    if single is not None:
        kit.answer(attempt, "single", choices=[single])
    if true_false is not None:
        kit.answer(attempt, "true_false", choices=[true_false])
    if essay:
        kit.answer(attempt, "essay", text="Because.")
    return submit(attempt, now=LATER) if submitted else attempt


@pytest.fixture
def cohort(kit):
    """Under the "best" policy: dee and eve (her retake) tie at 8, ada and bob at 4, cy -1;
    eve's first attempt (-1) is not her best, fay's essay awaits marks, gus is still running.
    """
    kit.exam.rank_policy = "best"
    kit.exam.save(update_fields=["rank_policy"])
    learners = {name: kit.enrol(name) for name in ("bob", "cy", "dee", "eve", "fay", "gus")}
    learners["ada"] = kit.learner
    attempts = {
        "ada": played(kit, learners["ada"], single=0),  # 4
        "bob": played(kit, learners["bob"], single=0),  # 4
        "cy": played(kit, learners["cy"], single=1),  # -1
        "dee": played(kit, learners["dee"], single=0, true_false=0),  # 8
        "eve 1": played(kit, learners["eve"], single=1),  # -1
        "eve 2": played(kit, learners["eve"], single=0, true_false=0),  # 8: her best
        "fay": played(kit, learners["fay"], single=0, essay=True),  # pending evaluation
        "gus": played(kit, learners["gus"], single=0, submitted=False),  # running
    }
    return kit, attempts


class TestRanksFromTheStoredHistogram:
    def test_ties_share_a_rank_and_only_the_policy_population_is_ranked(
        self, cohort, django_assert_num_queries
    ):
        kit, attempts = cohort

        figures = read_from_cells(kit.exam, django_assert_num_queries)

        assert figures == counted_from_rows(kit.exam)
        # By hand: population 8, 8, 4, 4, -1 (5); at or below 8: 5, 4: 3, -1: 1.
        by_name = {name: figures[attempt.pk] for name, attempt in attempts.items()}
        assert by_name == {
            "dee": (1, D("100.00"), 5),
            "eve 2": (1, D("100.00"), 5),
            "ada": (3, D("60.00"), 5),
            "bob": (3, D("60.00"), 5),
            "cy": (5, D("20.00"), 5),
            "eve 1": (None, None, 5),
            "fay": (None, None, 5),
            "gus": (None, None, 5),
        }

    def test_a_rescore_rebuilds_the_stored_sums_and_the_ranks_follow(
        self, cohort, django_assert_num_queries
    ):
        kit, attempts = cohort
        assert standing(attempts["cy"]) == Standing(rank=5, percentile=D("20.00"), population=5)

        # The key of the single choice question moves from choice 0 to choice 1, then the exam
        # is rescored (its rank flags refreshed and its stored sums rebuilt).
        choices = kit.choices["single"]
        AnswerChoice.objects.filter(pk=choices[0].pk).update(is_correct=False)
        AnswerChoice.objects.filter(pk=choices[1].pk).update(is_correct=True)
        services.exam_rescore(exam=kit.exam, now=LATER + timedelta(minutes=1))
        assert_sums_match(kit.exam)

        figures = read_from_cells(kit.exam, django_assert_num_queries)

        assert figures == counted_from_rows(kit.exam)
        # By hand: cy 4; eve's first attempt 4 is now her best (her second: -1 + 4 = 3);
        # dee 3; ada and bob -1. Population 4, 4, 3, -1, -1.
        by_name = {name: figures[attempt.pk] for name, attempt in attempts.items()}
        assert by_name == {
            "cy": (1, D("100.00"), 5),
            "eve 1": (1, D("100.00"), 5),
            "dee": (3, D("60.00"), 5),
            "ada": (4, D("40.00"), 5),
            "bob": (4, D("40.00"), 5),
            "eve 2": (None, None, 5),
            "fay": (None, None, 5),
            "gus": (None, None, 5),
        }

    def test_one_score_in_cells_of_two_percentages_counts_once_per_attempt(
        self, db, django_assert_num_queries
    ):
        # The exam's maximum changed between the two 8s (8 of 16 and 8 of 24): two cells.
        exam = ExamFactory()
        for score, percentage in (("8", "50.00"), ("8", "33.33"), ("12", "50.00")):
            AttemptFactory(
                exam=exam,
                user=UserFactory(),
                state=Attempt.State.COMPLETED,
                started_at=NOW,
                completed_at=LATER,
                score=D(score),
                percentage=D(percentage),
                counts_for_rank=True,
            )

        figures = read_from_cells(exam, django_assert_num_queries)

        assert figures == counted_from_rows(exam)
        assert sorted(figures.values()) == [
            (1, D("100.00"), 3),
            (2, D("66.67"), 3),
            (2, D("66.67"), 3),
        ]

    def test_an_exam_without_ranked_attempts_has_an_empty_table(
        self, kit, django_assert_num_queries
    ):
        running = played(kit, kit.learner, single=0, submitted=False)

        with django_assert_num_queries(1):  # the exam's RANKED cells: none
            table = rank_table(kit.exam.pk)

        assert table.population == 0
        assert table.rank_of(running) is None
        assert standing(running) == Standing(rank=None, percentile=None, population=0)
