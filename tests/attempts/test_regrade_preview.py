"""The regrade preview: every figure checked against a recomputation by hand, nothing written.

Kit (tests/attempts/conftest.py): 6 questions × 4 marks (max 24), negative 1, pass mark 50 %;
rank policy "first attempt" unless a test says otherwise. The single choice question's key
moves from choice 0 to choice 1 (``move_single_key``), as an author fixing a wrong key would.

Answers (single / multiple / true-false / numeric / short), scores before → after the move:

- ada:  0 / 0,1,2 / 0          4 + 4 + 4 = 12 (50.00 %, pass)  →  -1 + 8 = 7 (29.17 %, fail)
- bob:  1 / 0,1,2 / 0          -1 + 8 = 7 (fail)               →  4 + 8 = 12 (pass)
- cy:   – / 0,1,2 / – / 9.81 / Paris    12 (pass)              →  12 (pass), unchanged
- dee#1: 0                     4 (fail)                        →  -1 (fail)
- dee#2: 1 / 0,1 (partial 2)   -1 + 2 = 1 (fail)               →  4 + 2 = 6 (fail)
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from assessments.models import AnswerChoice, Exam
from assessments.services import exams_marking_changed
from attempts import services
from attempts.models import Attempt, AttemptEvent, MarkChange, UserAnswer
from attempts.regrade_preview import Standing, regrade_preview
from attempts.statistics.ranking import standing
from tests.play import NOW

D = Decimal
# Queries per chunk of the preview: answers and their choices (one array query on PostgreSQL).
PER_CHUNK = 1 if connection.vendor == "postgresql" else 2


def move_single_key(kit):
    """The author's fix: choice 1 is the single choice question's key, not choice 0."""
    first, second = kit.choices["single"][:2]
    AnswerChoice.objects.filter(pk=first.pk).update(is_correct=False)
    AnswerChoice.objects.filter(pk=second.pk).update(is_correct=True)
    exams_marking_changed(exam_ids=[kit.exam.pk], now=NOW + timedelta(days=1))


def play(kit, learner, answers, *, hour=0):
    at = NOW + timedelta(hours=hour)
    attempt = kit.start(learner, now=at)
    for name, given in answers.items():
        if isinstance(given, list):
            kit.answer(attempt, name, choices=given, now=at)
        else:
            kit.answer(attempt, name, now=at, **given)
    return services.attempt_submit(attempt=attempt, now=at + timedelta(minutes=20))


@pytest.fixture
def cohort(kit):
    full_multiple = {"multiple": [0, 1, 2]}
    return {
        "ada": play(kit, kit.learner, {"single": [0], **full_multiple, "true_false": [0]}),
        "bob": play(kit, kit.enrol("bob"), {"single": [1], **full_multiple, "true_false": [0]}),
        "cy": play(
            kit,
            kit.enrol("cy"),
            {**full_multiple, "numeric": {"number": D("9.81")}, "short": {"text": "Paris"}},
        ),
        "dee1": play(kit, dee := kit.enrol("dee"), {"single": [0]}),
        "dee2": play(kit, dee, {"single": [1], "multiple": [0, 1]}, hour=1),
    }


def by_name(cohort, preview):
    names = {attempt.pk: name for name, attempt in cohort.items()}
    return {names[row.attempt_id]: row for row in preview.rows}


def figures(side):
    return (side.score, side.result, side.standing.rank, side.standing.percentile)


class TestFiguresAgainstARecomputationByHand:
    def test_old_and_new_score_result_rank_and_percentile_of_each_attempt(self, kit, cohort):
        move_single_key(kit)

        rows = by_name(cohort, regrade_preview(kit.exam))

        # Before: population (first attempts) ada 12, cy 12, bob 7, dee#1 4. Rank = 1 + the
        # population scoring more; percentile = the population scoring at most as much / 4.
        # dee#2 (a retake, outside the population) scores 1: no rank, no percentile.
        assert {name: figures(row.before) for name, row in rows.items()} == {
            "ada": (D("12.00"), "Pass", 1, D("100.00")),
            "cy": (D("12.00"), "Pass", 1, D("100.00")),
            "bob": (D("7.00"), "Fail", 3, D("50.00")),
            "dee1": (D("4.00"), "Fail", 4, D("25.00")),
            "dee2": (D("1.00"), "Fail", None, None),
        }
        # After: bob 12, cy 12, ada 7, dee#1 -1; dee#2 (6) stays outside.
        assert {name: figures(row.after) for name, row in rows.items()} == {
            "ada": (D("7.00"), "Fail", 3, D("50.00")),
            "cy": (D("12.00"), "Pass", 1, D("100.00")),
            "bob": (D("12.00"), "Pass", 1, D("100.00")),
            "dee1": (D("-1.00"), "Fail", 4, D("25.00")),
            "dee2": (D("6.00"), "Fail", None, None),
        }

    def test_totals_count_the_changes_and_the_flips(self, kit, cohort):
        move_single_key(kit)

        preview = regrade_preview(kit.exam)

        assert preview.total == 5
        assert preview.changed == 4  # everyone but cy
        assert (preview.to_fail, preview.to_pass) == (1, 1)  # ada fails now, bob passes
        assert (preview.population_before, preview.population_after) == (4, 4)
        assert {row.flip for row in preview.rows} == {"to_fail", "to_pass", None}

    def test_under_the_best_policy_the_population_is_rebuilt_with_the_new_scores(self, kit, cohort):
        Exam.objects.filter(pk=kit.exam.pk).update(rank_policy=Exam.RankPolicy.BEST)
        kit.exam.refresh_from_db()
        services.refresh_rank_population(exam=kit.exam)  # dee's best is #1 (4 > 1)
        move_single_key(kit)

        rows = by_name(cohort, regrade_preview(kit.exam))

        assert rows["dee1"].before.standing == Standing(4, D("25.00"))
        # After, dee's best is #2 (6 > -1): it joins the population (4th of 4, 25.00) and
        # #1 leaves it (no rank).
        assert rows["dee2"].after.standing == Standing(4, D("25.00"))
        assert rows["dee1"].after.standing == Standing(None, None)

    def test_committed_results_match_the_preview_and_the_pages_standing(self, kit, cohort):
        move_single_key(kit)
        preview = regrade_preview(kit.exam)

        regrade = services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="Key fix")
        services.regrade_run(regrade_id=regrade.pk)

        stored = {a.pk: a for a in Attempt.objects.filter(exam=kit.exam)}
        for row in preview.rows:
            attempt = stored[row.attempt_id]
            assert (attempt.score, attempt.passed) == (row.after.score, row.after.passed)
            page = standing(attempt)  # what the attempt page shows, counted by the database
            assert Standing(page.rank, page.percentile) == row.after.standing

    def test_clearing_overrides_previews_the_key_marking_them_again(self, kit, cohort):
        answer = UserAnswer.objects.get(attempt=cohort["cy"], exam_question=kit.eq["single"])
        services.answer_override(
            answer=answer, actor=kit.instructor, marks=D("2"), comment="Half credit"
        )  # cy: 12 + 2 = 14

        kept = by_name(cohort, regrade_preview(kit.exam))
        cleared = by_name(cohort, regrade_preview(kit.exam, clear_overrides=True))

        assert kept["cy"].after.score == D("14.00")
        assert not kept["cy"].changed
        assert cleared["cy"].after.score == D("12.00")  # unanswered again: 0

    def test_marks_lowered_below_an_override_preview_it_capped_as_the_regrade_does(
        self, kit, cohort
    ):
        answer = UserAnswer.objects.get(attempt=cohort["cy"], exam_question=kit.eq["single"])
        services.answer_override(
            answer=answer, actor=kit.instructor, marks=D("4"), comment="Full credit"
        )  # cy: 12 + 4 = 16
        kit.eq["single"].marks = D("1")
        kit.eq["single"].save()

        preview = by_name(cohort, regrade_preview(kit.exam))
        regrade = services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="Fewer")
        services.regrade_run(regrade_id=regrade.pk)

        assert preview["cy"].after.score == D("13.00")  # 12 + the override capped at 1
        cy = Attempt.objects.get(pk=cohort["cy"].pk)
        assert (cy.score, cy.passed) == (preview["cy"].after.score, preview["cy"].after.passed)


class TestWritesNothing:
    def test_the_preview_leaves_every_row_as_it_was(self, kit, cohort):
        move_single_key(kit)

        def state():
            return (
                sorted(Attempt.objects.values_list("pk", "score", "passed", "counts_for_rank")),
                sorted(UserAnswer.objects.values_list("pk", "result", "marks_awarded")),
                AttemptEvent.objects.count(),
                MarkChange.objects.count(),
                Exam.objects.get(pk=kit.exam.pk).marking_changed_at,
            )

        before = state()
        regrade_preview(kit.exam, clear_overrides=True)
        assert state() == before


class TestQueries:
    @pytest.mark.parametrize("learners", [2, 6])
    def test_a_fixed_number_of_queries_per_chunk_never_per_attempt(
        self, kit, learners, django_assert_num_queries
    ):
        for n in range(learners):
            play(kit, kit.enrol(f"learner{n}"), {"single": [n % 2], "multiple": [0]})
        move_single_key(kit)
        # exam questions + questions, key choices, the finished attempts; then per chunk of
        # 10000 attempts: their answers with their chosen choices (PostgreSQL: an array in
        # the same query; elsewhere a second query)
        with django_assert_num_queries(3 + PER_CHUNK):
            preview = regrade_preview(kit.exam)
        assert preview.total == learners

    def test_more_chunks_add_their_queries_each(self, kit, cohort, django_assert_num_queries):
        # the rules (2), the attempts (1), 3 chunks of 2, 2 and 1 attempts × their queries
        with django_assert_num_queries(3 + 3 * PER_CHUNK):
            regrade_preview(kit.exam, chunk_size=2)
