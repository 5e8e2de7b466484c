"""Statistics of one attempt (``attempts.statistics``), checked against hand-computed values."""

import doctest
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from assessments.models import ExamQuestion, Question
from attempts.models import Attempt, UserAnswer
from attempts.scoring import Outcome
from attempts.statistics import attempt as statistics
from attempts.statistics.attempt import (
    OutcomeCounts,
    QuestionRow,
    Standing,
    SubjectNode,
    attempt_statistics,
    section_stats,
    speed,
    standing,
    subject_stats,
)
from tests.factories import (
    AttemptFactory,
    ExamFactory,
    ExamQuestionFactory,
    SectionFactory,
    SubjectFactory,
    UserAnswerFactory,
    UserFactory,
)

D = Decimal
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
COMPLETED = Attempt.State.COMPLETED

# Budget of attempt_statistics: (1) exam questions joined with question and subject,
# (2) the attempt's answers, (3) the exam's sections, (4) the subjects and their ancestors,
# (5) the standing aggregate.
QUERY_BUDGET = 5


# --------------------------------------------------------------------------- one attempt


@pytest.fixture
def report(db):
    """A 3-section exam over Physics › {Mechanics, Optics}, Chemistry and no subject.

    Question  section  subject    difficulty  answer row                     marks   seconds
    q1        A        Mechanics  easy        correct                         4.00   30
    q2        A        Mechanics  medium      incorrect (negative marking)   -1.00   45
    q3        A        Optics     hard        partial                         2.00   60
    q4        B        Optics     easy        incorrect, bonus (full marks)   3.00   20
    q5        B        Physics    medium      unanswered (visited)            0.00    5
    q6        B        Chemistry  None        pending essay                   0.00  120
    q7        C        Chemistry  easy        no row -> unanswered            0       0
    q8        C        (none)     hard        correct                         1.00   10
    """
    physics = SubjectFactory(name="Physics")
    mechanics = SubjectFactory(name="Mechanics", parent=physics)
    optics = SubjectFactory(name="Optics", parent=physics)
    chemistry = SubjectFactory(name="Chemistry")
    SubjectFactory(name="Biology")  # no question in the exam: never reported

    exam = ExamFactory(duration=timedelta(hours=1))
    # Created out of order: sections are reported by their ``order``.
    part_b = SectionFactory(exam=exam, title="Part B", order=2)
    part_a = SectionFactory(exam=exam, title="Part A", order=1)
    part_c = SectionFactory(exam=exam, title="Part C", order=3)

    attempt = AttemptFactory(
        exam=exam,
        state=Attempt.State.PENDING_EVALUATION,
        started_at=T0,
        completed_at=T0 + timedelta(minutes=12),
        deadline_at=T0 + timedelta(hours=1),
        score=D("9.00"),
    )

    def question(section, subject, difficulty, result=None, awarded=None, seconds=0, **placement):
        placed = ExamQuestionFactory(
            section=section,
            question__subject=subject,
            question__difficulty=difficulty,
            **placement,
        )
        if result is not None:
            UserAnswerFactory(
                attempt=attempt,
                exam_question=placed,
                result=result,
                marks_awarded=D(awarded),
                time_spent_seconds=seconds,
            )
        return placed

    question(part_a, mechanics, "easy", "correct", "4.00", 30, marks=D("4"))
    question(part_a, mechanics, "medium", "incorrect", "-1.00", 45, negative_marks=D("1"))
    question(part_a, optics, "hard", "partial", "2.00", 60, partial_marks=D("1"))
    question(part_b, optics, "easy", "incorrect", "3.00", 20, marks=D("3"), is_bonus=True)
    question(part_b, physics, "medium", "unanswered", "0.00", 5)
    question(part_b, chemistry, None, "pending", "0.00", 120, question__type=Question.Type.ESSAY)
    question(part_c, chemistry, "easy")
    question(part_c, None, "hard", "correct", "1.00", 10)

    stats = attempt_statistics(Attempt.objects.get(pk=attempt.pk))
    ids = {
        "Part A": part_a.pk,
        "Part B": part_b.pk,
        "Part C": part_c.pk,
        "Physics": physics.pk,
        "Mechanics": mechanics.pk,
        "Optics": optics.pk,
        "Chemistry": chemistry.pk,
    }
    return stats, ids


def test_sections_follow_their_order_with_outcomes_score_and_time(report):
    stats, ids = report
    # (id, title, order, (total, correct, incorrect, partial, unanswered, pending, score, s))
    assert [astuple(row) for row in stats.sections] == [
        (ids["Part A"], "Part A", 1, (3, 1, 1, 1, 0, 0, D("5.00"), 135)),
        (ids["Part B"], "Part B", 2, (3, 0, 1, 0, 1, 1, D("3.00"), 145)),
        (ids["Part C"], "Part C", 3, (2, 1, 0, 0, 1, 0, D("1.00"), 10)),
    ]


def test_a_parent_subject_sums_its_subtree_and_no_subject_comes_last(report):
    stats, ids = report
    physics = ids["Physics"]
    # (id, name, parent, depth, is_leaf, counts as in the sections test). Physics adds up
    # Mechanics (q1, q2), Optics (q3, q4) and its own q5; Biology has no question.
    assert [astuple(row) for row in stats.subjects] == [
        (physics, "Physics", None, 0, False, (5, 1, 2, 1, 1, 0, D("8.00"), 160)),
        (ids["Mechanics"], "Mechanics", physics, 1, True, (2, 1, 1, 0, 0, 0, D("3.00"), 75)),
        (ids["Optics"], "Optics", physics, 1, True, (2, 0, 1, 1, 0, 0, D("5.00"), 80)),
        (ids["Chemistry"], "Chemistry", None, 0, True, (2, 0, 0, 0, 1, 1, D("0.00"), 120)),
        (None, "No subject", None, 0, True, (1, 1, 0, 0, 0, 0, D("1.00"), 10)),
    ]


def test_difficulties_are_easy_medium_hard_then_unlabelled(report):
    stats, _ = report
    assert [astuple(row) for row in stats.difficulties] == [
        ("easy", (3, 1, 1, 0, 1, 0, D("7.00"), 50)),
        ("medium", (2, 0, 1, 0, 1, 0, D("-1.00"), 50)),
        ("hard", (2, 1, 0, 1, 0, 0, D("3.00"), 70)),
        (None, (1, 0, 0, 0, 0, 1, D("0.00"), 120)),
    ]


def test_totals_time_and_speed_of_a_finished_attempt(report):
    stats, _ = report
    assert astuple(stats.totals) == (8, 2, 2, 1, 2, 1, D("9.00"), 290)
    assert stats.time_taken == timedelta(minutes=12)
    assert stats.remaining_time == timedelta(0)  # finished: nothing left
    assert stats.speed == D("0.50")  # 6 answered (8 - 2 unanswered) in 12 minutes
    # Pending evaluation is not completed: no rank yet, and nobody is ranked in this exam.
    assert stats.standing == Standing(rank=None, percentile=None, population=0)


def test_a_section_without_questions_appears_with_zeros(db):
    exam = ExamFactory()
    empty = SectionFactory(exam=exam, title="Empty", order=1)
    attempt = AttemptFactory(exam=exam, state=Attempt.State.RUNNING, started_at=T0)

    stats = attempt_statistics(attempt, now=T0 + timedelta(minutes=5))

    assert [astuple(row) for row in stats.sections] == [
        (empty.pk, "Empty", 1, (0, 0, 0, 0, 0, 0, D("0.00"), 0))
    ]
    assert (stats.subjects, stats.difficulties) == ([], [])


def test_a_missing_bonus_answer_row_counts_unanswered_with_no_marks(db):
    # The services store a row (with the full marks) for every question of a finished
    # attempt; a missing row, bonus or not, is read as unanswered, 0 marks, 0 seconds.
    bonus = ExamQuestionFactory(marks=D("4"), is_bonus=True, question__difficulty="hard")
    attempt = AttemptFactory(exam=bonus.exam, state=Attempt.State.RUNNING, started_at=T0)

    stats = attempt_statistics(attempt, now=T0)

    assert astuple(stats.totals) == (1, 0, 0, 0, 1, 0, D("0.00"), 0)


def test_a_running_attempt_reports_time_so_far_and_time_left(db):
    exam = ExamFactory(duration=timedelta(hours=1))
    placed = ExamQuestionFactory(section__exam=exam)
    ExamQuestionFactory(section=placed.section)
    attempt = AttemptFactory(
        exam=exam,
        state=Attempt.State.RUNNING,
        started_at=T0,
        deadline_at=T0 + timedelta(hours=1),
    )
    UserAnswerFactory(attempt=attempt, exam_question=placed, result="correct", marks_awarded=1)

    stats = attempt_statistics(attempt, now=T0 + timedelta(minutes=20))

    assert stats.time_taken == timedelta(minutes=20)
    assert stats.remaining_time == timedelta(minutes=40)
    assert stats.speed == D("0.05")  # 1 answered in 20 minutes
    assert (stats.standing.rank, stats.standing.percentile) == (None, None)


def test_a_not_started_attempt_has_no_time_and_no_speed(db):
    attempt = AttemptFactory(state=Attempt.State.NOT_STARTED)

    stats = attempt_statistics(attempt, now=T0)

    assert (stats.time_taken, stats.remaining_time, stats.speed) == (None, None, None)


# --------------------------------------------------------------------------- pure blocks


def row(subject_id=None, path="", result=Outcome.CORRECT, marks="1.00", seconds=1, section=1):
    return QuestionRow(
        exam_question_id=0,
        section_id=section,
        subject_id=subject_id,
        subject_path=path,
        difficulty=None,
        result=result,
        marks_awarded=D(marks),
        time_spent_seconds=seconds,
    )


def test_subject_rows_are_in_tree_order_by_numeric_ids_along_the_path():
    # Siblings 9 and 100 under root 1, then roots 3 and 10: a string sort of the paths would
    # put "1/100/" before "1/9/" and "10/" before "3/".
    nodes = [
        SubjectNode(10, "Ten", None, "10/", 0),
        SubjectNode(1, "One", None, "1/", 0),
        SubjectNode(9, "Nine", 1, "1/9/", 1),
        SubjectNode(100, "Hundred", 1, "1/100/", 1),
        SubjectNode(3, "Three", None, "3/", 0),
    ]
    rows = [row(100, "1/100/"), row(9, "1/9/"), row(10, "10/"), row(3, "3/")]

    report = subject_stats(rows, nodes)

    assert [(r.subject_id, r.depth, r.is_leaf, r.counts.total) for r in report] == [
        (1, 0, False, 2),
        (9, 1, True, 1),
        (100, 1, True, 1),
        (3, 0, True, 1),
        (10, 0, True, 1),
    ]


def test_a_subject_with_own_questions_and_children_is_not_a_leaf():
    nodes = [SubjectNode(1, "Physics", None, "1/", 0), SubjectNode(2, "Optics", 1, "1/2/", 1)]
    rows = [row(1, "1/", marks="2.00"), row(2, "1/2/", Outcome.INCORRECT, "-0.50")]

    report = subject_stats(rows, nodes)

    assert [astuple(r) for r in report] == [
        (1, "Physics", None, 0, False, (2, 1, 1, 0, 0, 0, D("1.50"), 2)),
        (2, "Optics", 1, 1, True, (1, 0, 1, 0, 0, 0, D("-0.50"), 1)),
    ]


def test_sections_sort_by_order_then_id():
    rows = [row(section=7), row(section=7), row(section=5)]

    report = section_stats(rows, [(7, "Later id", 1), (5, "Earlier id", 1), (2, "First", 0)])

    assert [(s.section_id, s.counts.total) for s in report] == [(2, 0), (5, 1), (7, 2)]


def test_outcome_counts_add_up_and_answered_excludes_unanswered():
    counts = OutcomeCounts.of(
        [row(result=outcome) for outcome in Outcome] + [row(result=Outcome.UNANSWERED)]
    )
    assert (counts.total, counts.unanswered, counts.answered) == (6, 2, 4)


def test_docstring_examples_hold():
    assert doctest.testmod(statistics).failed == 0


@pytest.mark.parametrize(
    ("answered", "time_taken", "expected"),
    [
        (30, timedelta(minutes=15), D("2.00")),
        (0, timedelta(minutes=15), D("0.00")),
        (5, timedelta(0), D("0.00")),  # no time taken yet: no division by zero
        (1, timedelta(minutes=8), D("0.13")),  # 0.125 rounds half-up
        (2, timedelta(minutes=3), D("0.67")),
        (1, timedelta(seconds=90), D("0.67")),
        (3, None, None),  # never started
    ],
)
def test_speed_is_answered_questions_per_minute(answered, time_taken, expected):
    assert speed(answered, time_taken) == expected


# --------------------------------------------------------------------------- standing


def completed(exam, score, **kwargs):
    kwargs.setdefault("user", UserFactory())
    kwargs.setdefault("counts_for_rank", True)
    return AttemptFactory(
        exam=exam,
        state=COMPLETED,
        started_at=T0,
        completed_at=T0 + timedelta(minutes=30),
        score=D(score),
        **kwargs,
    )


@pytest.fixture
def ranked_exam(db):
    """Ranked scores 90, 80, 80, 70, plus attempts that must not count."""
    exam = ExamFactory()
    attempts = [completed(exam, score) for score in ("90", "80", "80", "70")]
    completed(ExamFactory(), "100")  # another exam
    # An earlier attempt of the 70 learner that the rank policy did not pick.
    completed(exam, "95", user=attempts[3].user, attempt_number=2, counts_for_rank=False)
    return exam, attempts


def test_ties_share_a_rank_and_percentile_counts_scores_at_or_below(
    ranked_exam, django_assert_num_queries
):
    _, attempts = ranked_exam

    with django_assert_num_queries(len(attempts)):  # one aggregate per attempt
        standings = [standing(attempt) for attempt in attempts]

    assert [(s.rank, s.percentile, s.population) for s in standings] == [
        (1, D("100.00"), 4),
        (2, D("75.00"), 4),
        (2, D("75.00"), 4),
        (4, D("25.00"), 4),
    ]


def test_a_retake_outside_the_population_has_no_rank(ranked_exam):
    exam, attempts = ranked_exam
    retake = completed(exam, "85", user=attempts[1].user, attempt_number=2, counts_for_rank=False)

    # The policy kept the learner's other attempt: this one stands for nobody in the ranks.
    assert standing(retake) == Standing(rank=None, percentile=None, population=4)


def test_an_attempt_that_is_not_completed_has_no_rank(ranked_exam):
    exam, _ = ranked_exam
    running = AttemptFactory(exam=exam, state=Attempt.State.RUNNING, started_at=T0)

    assert standing(running) == Standing(rank=None, percentile=None, population=4)


def test_a_single_attempt_ranks_first_at_100(db):
    only = completed(ExamFactory(), "12.50")

    assert standing(only) == Standing(rank=1, percentile=D("100.00"), population=1)


def test_an_attempt_outside_an_empty_population_has_no_rank(db):
    outside = completed(ExamFactory(), "0", counts_for_rank=False)

    assert standing(outside) == Standing(rank=None, percentile=None, population=0)


def test_percentile_has_two_places_rounded_half_up(db):
    exam = ExamFactory()
    scores = ["10", "20", "30", "40", "50", "60", "70", "80"]
    attempts = [completed(exam, score) for score in scores]

    # 1 of 8 at or below 10: 12.5 exactly -> 12.50; 3 of 8 -> 37.50.
    assert standing(attempts[0]).percentile == D("12.50")
    assert standing(attempts[2]).percentile == D("37.50")
    three = ExamFactory()
    trio = [completed(three, score) for score in ("1", "2", "3")]
    # 1 of 3 -> 33.333.. -> 33.33; 2 of 3 -> 66.666.. -> 66.67.
    assert [standing(a).percentile for a in trio] == [D("33.33"), D("66.67"), D("100.00")]


# --------------------------------------------------------------------------- query budget


def build_attempt(questions: int) -> Attempt:
    """A completed, ranked attempt over ``questions`` questions (bulk-created), spread over
    3 sections, a 3-level subject tree plus a second root and no subject, 4 difficulty
    labels and 5 results, with every seventh question left without an answer row."""
    root = SubjectFactory()
    child = SubjectFactory(parent=root)
    grandchild = SubjectFactory(parent=child)
    subjects = [grandchild, child, SubjectFactory(), None]
    difficulties = ["easy", "medium", "hard", None]
    exam = ExamFactory()
    sections = [SectionFactory(exam=exam, order=i) for i in range(3)]
    bank = Question.objects.bulk_create(
        Question(
            type=Question.Type.SINGLE,
            text_html=f"<p>{i}</p>",
            subject=subjects[i % 4],
            difficulty=difficulties[i % 3],
        )
        for i in range(questions)
    )
    placements = ExamQuestion.objects.bulk_create(
        ExamQuestion(exam=exam, section=sections[i % 3], question=question, order=i)
        for i, question in enumerate(bank)
    )
    attempt = completed(exam, "3.00")
    results = list(Outcome)
    UserAnswer.objects.bulk_create(
        UserAnswer(
            attempt=attempt,
            exam_question=placed,
            result=results[i % 5],
            marks_awarded=D("1.00") if results[i % 5] == Outcome.CORRECT else D("0.00"),
            time_spent_seconds=i,
        )
        for i, placed in enumerate(placements)
        if i % 7
    )
    return Attempt.objects.get(pk=attempt.pk)


@pytest.mark.parametrize("questions", [10, 200])
def test_attempt_statistics_stays_within_its_query_budget(db, questions, django_assert_num_queries):
    attempt = build_attempt(questions)

    # exam questions + question + subject, answers, sections, subjects, standing aggregate
    with django_assert_num_queries(QUERY_BUDGET):
        stats = attempt_statistics(attempt, now=T0)

    assert stats.totals.total == questions
    assert sum(s.counts.total for s in stats.sections) == questions
    assert sum(d.counts.total for d in stats.difficulties) == questions


def test_attempt_statistics_runs_the_same_queries_at_10_and_200_questions(
    db, django_assert_num_queries
):
    small, large = build_attempt(10), build_attempt(200)

    # The five queries of QUERY_BUDGET, whatever the number of questions.
    with django_assert_num_queries(QUERY_BUDGET) as small_queries:
        attempt_statistics(small, now=T0)
    with django_assert_num_queries(QUERY_BUDGET) as large_queries:
        attempt_statistics(large, now=T0)

    # The same statements, not only as many: only the ids they bind differ.
    assert [q["sql"].split(" WHERE ")[0] for q in small_queries.captured_queries] == [
        q["sql"].split(" WHERE ")[0] for q in large_queries.captured_queries
    ]
