"""The exam summary's numbers (``attempts.statistics.exam.exam_summary``), checked by hand on the
exam of tests/attempts/summary_exam.py: its docstring has the table the numbers come from."""

import doctest
from decimal import Decimal

import pytest

from assessments import html
from assessments.models import Exam, ExamQuestion, Question
from attempts.models import Attempt, UserAnswer
from attempts.statistics import exam as reports
from attempts.statistics import rounding
from attempts.statistics.exam import exam_summary
from tests.attempts.summary_exam import build_exam, make_subjects, played_exam, take
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    ExamFactory,
    ExamQuestionFactory,
    SectionFactory,
    UserAnswerFactory,
    UserFactory,
)
from tests.play import NOW

D = Decimal
State = Attempt.State


@pytest.fixture
def subjects(db):
    return make_subjects()


@pytest.fixture
def kit(subjects):
    return played_exam(subjects)


@pytest.mark.parametrize("module", [rounding, html])
def test_rounding_and_excerpt_examples_hold(module):
    results = doctest.testmod(module)
    assert (results.attempted > 0, results.failed) == (True, 0)


def test_the_fixture_scores_are_the_ones_computed_by_hand(kit):
    got = dict(
        Attempt.objects.filter(exam=kit.exam, state=State.COMPLETED).values_list(
            "user__username", "percentage"
        )
    )
    assert got == {
        "ann": D("100.00"),
        "ben": D("-18.75"),
        "cat": D("31.25"),
        "dan": D("56.25"),
        "eve": D("43.75"),
    }


def test_counts_attempts_by_state(kit):
    summary = exam_summary(kit.exam)
    assert summary.state_rows() == [
        ("Running", 1),
        ("Completed", 5),
        ("Pending evaluation", 1),
        ("Not started", 1),
    ]
    assert summary.total == 8


def test_scores_use_completed_attempts_only(kit):
    summary = exam_summary(kit.exam)
    # (16 - 3 + 5 + 9 + 7) / 5 = 34 / 5; ivy's pending 12 would make it 46 / 6 = 7.67.
    assert summary.mean_score == D("6.80")
    # Sorted: -3, 5, 7, 9, 16 -> the third.
    assert summary.median_score == D("7.00")
    assert (summary.highest_score, summary.max_score) == (D("16.00"), D("16.00"))
    # ann and dan of 5 (ivy has no result yet).
    assert (summary.passed, summary.pass_rate) == (2, D("40.00"))
    # As the page prints them: 2 places on every database (Decimal equality ignores them).
    shown = (summary.mean_score, summary.median_score, summary.highest_score, summary.max_score)
    assert [str(value) for value in shown] == ["6.80", "7.00", "16.00", "16.00"]


def test_median_of_an_even_count_averages_the_two_middle_scores(kit):
    take(kit, "fay", "CC--", minutes=30)  # 4 + 4 = 8 of 16: exactly 50.00 %, a pass
    summary = exam_summary(kit.exam)
    # Sorted: -3, 5, 7, 8, 9, 16 -> (7 + 8) / 2.
    assert summary.median_score == D("7.50")
    assert summary.mean_score == D("7.00")  # 42 / 6
    assert summary.pass_rate == D("50.00")  # ann, dan, fay of 6


def test_median_of_a_single_attempt_is_its_score(subjects):
    kit = build_exam(CourseFactory(), UserFactory(), subjects)
    take(kit, "solo", "CIP-")
    assert exam_summary(kit.exam).median_score == D("5.00")


def test_pass_rate_is_none_without_a_pass_mark(kit):
    Exam.objects.filter(pk=kit.exam.pk).update(pass_percentage=None)
    kit.exam.refresh_from_db()
    summary = exam_summary(kit.exam)
    assert summary.pass_rate is None
    assert summary.has_pass_mark is False


def test_histogram_buckets_take_negatives_first_and_100_last(kit):
    summary = exam_summary(kit.exam)
    assert [(b.interval, b.count) for b in summary.buckets] == [
        ("[0, 10)", 1),  # ben, -18.75
        ("[10, 20)", 0),
        ("[20, 30)", 0),
        ("[30, 40)", 1),  # cat, 31.25
        ("[40, 50)", 1),  # eve, 43.75
        ("[50, 60)", 1),  # dan, 56.25
        ("[60, 70)", 0),
        ("[70, 80)", 0),  # not ivy's pending 75
        ("[80, 90)", 0),
        ("[90, 100]", 1),  # ann, exactly 100
    ]


def test_a_lower_edge_belongs_to_the_bucket_above_it(kit):
    take(kit, "fay", "CC--", minutes=30)  # exactly 50.00
    buckets = {b.interval: b.count for b in exam_summary(kit.exam).buckets}
    assert (buckets["[40, 50)"], buckets["[50, 60)"]) == (1, 2)


def test_average_marks_per_section(kit):
    rows = [
        (r.name, r.questions, r.max_marks, r.average, r.average_percentage)
        for r in exam_summary(kit.exam).sections
    ]
    # Marks per question over the 5 completed attempts (gus's and ivy's q1 left out):
    # q1 4 + (-1) + 4 + 4 + 4 = 15; q2 4 - 1 - 1 + 4 + 0 = 6;
    # q3 4 - 1 + 2 + 2 - 1 = 6;   q4 4 + 0 + 0 - 1 + 4 = 7.
    assert rows == [
        ("Part A", 2, D("8.00"), D("4.20"), D("52.50")),  # (15 + 6) / 5; 21 / 40
        ("Part B", 2, D("8.00"), D("2.60"), D("32.50")),  # (6 + 7) / 5; 13 / 40
    ]


def test_average_marks_per_subject_roll_up_into_the_parent(kit):
    rows = [
        (r.name, r.depth, r.questions, r.max_marks, r.average, r.average_percentage)
        for r in exam_summary(kit.exam).subjects
    ]
    assert rows == [
        # q1 + q2 + q3 (its own): (15 + 6 + 6) / 5 = 5.40 of 12; 27 / 60 = 45 %.
        ("Physics", 0, 3, D("12.00"), D("5.40"), D("45.00")),
        ("Optics", 1, 1, D("4.00"), D("3.00"), D("75.00")),  # 15 / 5; 15 / 20
        ("Mechanics", 1, 1, D("4.00"), D("1.20"), D("30.00")),  # 6 / 5; 6 / 20
        ("No subject", 0, 1, D("4.00"), D("1.40"), D("35.00")),  # 7 / 5; 7 / 20
    ]


def test_hardest_questions_by_lowest_correct_share_then_exam_order(kit):
    rows = [
        (
            q.number,
            q.answers,
            q.correct_share,
            q.partial_share,
            q.incorrect_share,
            q.unanswered_share,
        )
        for q in exam_summary(kit.exam).hardest_questions
    ]
    assert rows == [
        (3, 5, D("20.0"), D("40.0"), D("40.0"), D("0.0")),  # C P P I I
        (2, 5, D("40.0"), D("0.0"), D("40.0"), D("20.0")),  # C I I C -  (tie: q2 first)
        (4, 5, D("40.0"), D("0.0"), D("20.0"), D("40.0")),  # C - - I C
        (1, 5, D("80.0"), D("0.0"), D("20.0"), D("0.0")),  # C I C C C
    ]


def test_hardest_questions_show_plain_text_type_and_difficulty(kit):
    first, second, _, last = exam_summary(kit.exam).hardest_questions
    assert (first.type_label, first.difficulty_label) == ("Multiple choice", "Hard")
    assert first.excerpt == (
        "A body slides down a frictionless incline of angle 30° and length 2 m, starting…"
    )
    assert len(first.excerpt) == reports.EXCERPT_CHARS
    assert second.excerpt == "What is Newton's second law?"
    assert (last.excerpt, last.difficulty_label) == (
        "Which lens & mirror form a real image?",
        "Easy",
    )


def test_hardest_questions_leak_no_style_or_script_text(kit):
    # Stored HTML written around Question.save (an old import, say) is not cleaned on the way
    # in: the excerpt must still drop <style> and <script> with their content.
    first = exam_summary(kit.exam).hardest_questions[0]
    Question.objects.filter(pk=first_question_id(kit, first)).update(
        text_html="<style>p { color: red }</style><script>alert(1)</script><p>Plain &lt;text&gt;</p>"
    )

    assert exam_summary(kit.exam).hardest_questions[0].excerpt == "Plain <text>"


def first_question_id(kit, shares):
    return ExamQuestion.objects.get(pk=shares.exam_question_id).question_id


def test_only_the_ten_lowest_correct_shares_are_listed(db):
    exam = ExamFactory()
    section = SectionFactory(exam=exam)
    placed = [
        ExamQuestionFactory(exam=exam, section=section, order=i, question__text_html=f"Q{i}")
        for i in range(12)
    ]
    attempt = AttemptFactory(exam=exam, state=State.COMPLETED, completed_at=NOW, started_at=NOW)
    for i, exam_question in enumerate(placed):
        # Questions 5 and 8 answered correctly: 100 %; the ten others 0 %.
        result = "correct" if i in (5, 8) else "incorrect"
        UserAnswerFactory(attempt=attempt, exam_question=exam_question, result=result)
    numbers = [q.number for q in exam_summary(exam).hardest_questions]
    assert numbers == [1, 2, 3, 4, 5, 7, 8, 10, 11, 12]


def test_an_exam_without_completed_attempts_has_no_score_statistics(subjects):
    kit = build_exam(CourseFactory(), UserFactory(), subjects)
    take(kit, "gus", "CCCC", submit=False)
    summary = exam_summary(kit.exam)
    assert summary.by_state[State.RUNNING] == 1
    assert (summary.mean_score, summary.median_score, summary.highest_score) == (None,) * 3
    assert summary.pass_rate is None
    assert sum(b.count for b in summary.buckets) == 0
    assert [(r.name, r.average) for r in summary.sections] == [
        ("Part A", None),
        ("Part B", None),
    ]
    assert summary.hardest_questions == []


def test_answers_of_unfinished_attempts_exist_but_are_not_counted(kit):
    # Guard for the fixture: gus's running and ivy's pending answers to q1 are there.
    q1 = kit.questions[0]
    assert UserAnswer.objects.filter(exam_question=q1).count() == 7
    hardest = {q.number: q for q in exam_summary(kit.exam).hardest_questions}
    assert hardest[1].answers == 5
