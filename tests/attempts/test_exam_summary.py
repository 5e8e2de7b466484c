"""The exam summary (``attempts.reports.exam_summary`` and its page), checked by hand.

The exam: 4 questions worth 4 marks each (max 16), negative marking 1, pass mark 50 %.

    no.  section  subject              type          difficulty  key
    1    Part A   Physics › Optics     single        easy        choice 0
    2    Part A   Physics › Mechanics  single        medium      choice 0
    3    Part B   Physics              multiple      hard        choices 0, 1, 2 (partial 1 each)
    4    Part B   (none)               true/false    (none)      choice 0

Five learners complete it through the services (C correct +4, I incorrect -1, P partial with
2 of the 3 keys +2, - unanswered 0):

    learner  q1 q2 q3 q4   score  percentage  bucket      passed
    ann      C  C  C  C    16     100.00      [90, 100]   yes
    ben      I  I  I  -    -3     -18.75      [0, 10)     no
    cat      C  I  P  -     5      31.25      [30, 40)    no
    dan      C  C  P  I     9      56.25      [50, 60)    yes
    eve      C  -  I  C     7      43.75      [40, 50)    no

Besides them: gus's attempt is running (q1 answered correctly, not submitted), hal's is not
started, ivy's is pending evaluation (score 12, a correct answer to q1): none of the three
may reach a score statistic.
"""

import doctest
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Exam
from attempts import reports
from attempts.models import Attempt, UserAnswer
from attempts.reports import exam_summary
from tests.factories import (
    AnswerChoiceFactory,
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    StaffFactory,
    SubjectFactory,
    UserAnswerFactory,
    UserFactory,
)
from tests.play import NOW, play

D = Decimal
State = Attempt.State

# (question kind, outcome letter) -> indices of the choices to mark.
CHOICES = {
    ("single", "C"): [0],
    ("single", "I"): [1],
    ("multiple", "C"): [0, 1, 2],
    ("multiple", "P"): [0, 1],
    ("multiple", "I"): [3],
    ("true_false", "C"): [0],
    ("true_false", "I"): [1],
}
FIVE = {"ann": "CCCC", "ben": "III-", "cat": "CIP-", "dan": "CCPI", "eve": "C-IC"}
LONG_TEXT = (
    "<p>A body slides down a frictionless incline of angle 30° and length 2 m, starting "
    "from rest. What is its speed at the bottom?</p>"
)


@dataclass
class Kit:
    exam: Exam
    course: object
    instructor: object
    questions: list = field(default_factory=list)  # ExamQuestion, in exam order
    choices: list = field(default_factory=list)  # the AnswerChoice list of each question


def build_exam(course, instructor, subjects) -> Kit:
    """The 4-question exam of the module docstring, in ``course``."""
    physics, optics, mechanics = subjects
    exam = ExamFactory(course=course, pass_percentage=D("50"))
    # Created out of order: sections are reported by their ``order``.
    part_b = SectionFactory(exam=exam, title="Part B", order=2)
    part_a = SectionFactory(exam=exam, title="Part A", order=1)
    kit = Kit(exam=exam, course=course, instructor=instructor)
    plan = [
        (
            part_a,
            "single",
            optics,
            "easy",
            4,
            "<p>Which lens &amp; mirror form a <em>real</em> image?</p>",
        ),
        (part_a, "single", mechanics, "medium", 4, "<p>What is Newton's <b>second</b> law?</p>"),
        (part_b, "multiple", physics, "hard", 4, LONG_TEXT),
        (part_b, "true_false", None, None, 2, "<p>Water boils at 100 °C at sea level.</p>"),
    ]
    for order, (section, kind, subject, difficulty, n, text) in enumerate(plan):
        question = QuestionFactory(
            type=kind, subject=subject, difficulty=difficulty, text_html=text
        )
        keys = 3 if kind == "multiple" else 1  # the key: choices 0 .. keys - 1
        kit.choices.append(
            [AnswerChoiceFactory(question=question, is_correct=i < keys, order=i) for i in range(n)]
        )
        kit.questions.append(
            ExamQuestionFactory(
                exam=exam,
                section=section,
                question=question,
                order=order,
                marks=D("4"),
                negative_marks=D("1"),
                partial_marks=D("1") if kind == "multiple" else None,
            )
        )
    return kit


def take(kit, username, outcomes, *, submit=True, minutes=0):
    """``username`` starts the exam, answers as ``outcomes`` spells (one letter per question)
    and submits, all through the services."""
    learner = UserFactory(username=username)
    EnrollmentFactory(user=learner, course=kit.course, enrolled_at=NOW - timedelta(days=1))
    now = NOW + timedelta(minutes=minutes)
    letters = zip(kit.questions, kit.choices, outcomes, strict=True)
    answers = [
        (question, {"choices": [choices[i] for i in CHOICES[(question.question.type, letter)]]})
        for question, choices, letter in letters
        if letter != "-"
    ]
    submit_at = now + timedelta(minutes=20) if submit else None
    return play(kit.exam, learner, answers, now=now, submit_at=submit_at)


@pytest.fixture
def subjects(db):
    physics = SubjectFactory(name="Physics")
    return (
        physics,
        SubjectFactory(name="Optics", parent=physics),
        SubjectFactory(name="Mechanics", parent=physics),
    )


@pytest.fixture
def kit(subjects):
    instructor = UserFactory(username="teacher")
    course = CourseFactory(instructors=[instructor])
    kit = build_exam(course, instructor, subjects)
    for minutes, (name, outcomes) in enumerate(FIVE.items()):
        take(kit, name, outcomes, minutes=minutes)
    take(kit, "gus", "C---", submit=False)
    AttemptFactory(user=UserFactory(username="hal"), exam=kit.exam, started_at=NOW)
    pending = AttemptFactory(
        user=UserFactory(username="ivy"),
        exam=kit.exam,
        state=State.PENDING_EVALUATION,
        started_at=NOW,
        completed_at=NOW + timedelta(minutes=30),
        score=D("12"),
        percentage=D("75"),
    )
    UserAnswerFactory(
        attempt=pending, exam_question=kit.questions[0], result="correct", marks_awarded=D("4")
    )
    return kit


# ------------------------------------------------------------------------ the numbers


def test_rounding_examples_hold():
    results = doctest.testmod(reports)
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


# -------------------------------------------------------------------------- the page


def url(exam):
    return reverse("exam-summary", args=[exam.pk])


class TestPermissions:
    def test_anonymous_goes_to_the_login_page(self, client, kit):
        response = client.get(url(kit.exam))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_learner_is_refused(self, client, kit):
        client.force_login(UserFactory(username="ann"))
        assert client.get(url(kit.exam)).status_code == 403

    def test_an_instructor_of_another_course_gets_404(self, client, kit):
        other = UserFactory(username="other-teacher")
        CourseFactory(instructors=[other])
        client.force_login(other)
        assert client.get(url(kit.exam)).status_code == 404

    def test_the_course_instructor_sees_it(self, client, kit):
        client.force_login(kit.instructor)
        response = client.get(url(kit.exam))
        assert response.status_code == 200
        assert response.context["summary"].exam == kit.exam

    def test_an_admin_sees_it(self, client, kit):
        client.force_login(StaffFactory())
        assert client.get(url(kit.exam)).status_code == 200

    def test_an_unknown_exam_is_404_even_for_an_admin(self, client, db):
        client.force_login(StaffFactory())
        assert client.get(reverse("exam-summary", args=[999_999])).status_code == 404


class TestPage:
    def test_shows_the_numbers_labelled(self, client, kit):
        client.force_login(kit.instructor)
        html = client.get(url(kit.exam)).content.decode()
        assert '<dd id="mean-score">6.80</dd>' in html
        assert '<dd id="median-score">7.00</dd>' in html
        assert '<dd id="highest-score">16.00 <small>of 16.00</small></dd>' in html
        assert "40.00 % <small>(2 of 5)</small>" in html
        assert "<caption>Attempts by state</caption>" in html
        assert '<th scope="row">[90, 100]</th><td class="num">1</td>' in html
        assert '<th scope="row" class="subject-depth-1">Optics</th>' in html
        assert "Which lens &amp; mirror form a real image?" in html  # escaped once, no tags
        assert f'href="{reverse("exam-attempts", args=[kit.exam.pk])}"' in html
        assert f'href="{reverse("courses")}"' in html

    def test_histogram_is_an_image_with_a_label(self, client, kit):
        client.force_login(kit.instructor)
        html = client.get(url(kit.exam)).content.decode()
        assert 'role="img"' in html
        assert 'aria-label="Completed attempts by percentage: a bar of' in html
        assert html.count('<rect class="bar"') == 10

    def test_says_no_pass_mark(self, client, kit):
        Exam.objects.filter(pk=kit.exam.pk).update(pass_percentage=None)
        client.force_login(kit.instructor)
        html = client.get(url(kit.exam)).content.decode()
        assert '<dd id="pass-rate">no pass mark</dd>' in html

    def test_renders_without_completed_attempts(self, client, subjects):
        instructor = UserFactory(username="t2")
        kit = build_exam(CourseFactory(instructors=[instructor]), instructor, subjects)
        client.force_login(instructor)
        response = client.get(url(kit.exam))
        assert response.status_code == 200
        assert "No completed attempts yet" in response.content.decode()


# ---------------------------------------------------------------------- query budget

# What the page costs an instructor: (1) session, (2) user, (3) reviewer check
# (taught_courses.exists()), (4) exam with its course, (5) attempts aggregate (counts by
# state, score sum, highest, passed), (6) median slice of 1-2 scores, (7) histogram GROUP BY
# bucket, (8) answers of completed attempts GROUP BY exam question, (9) exam questions with
# section, question and subject, (10) subjects and ancestors, (11) texts of the hardest
# questions. 11; the brief's budget is 12. An admin skips (3).
PAGE_BUDGET = 12


def test_page_stays_within_its_query_budget(client, kit, django_assert_max_num_queries):
    client.force_login(kit.instructor)
    with django_assert_max_num_queries(PAGE_BUDGET):
        assert client.get(url(kit.exam)).status_code == 200


def test_page_runs_the_same_queries_for_3_and_30_attempts(client, subjects):
    instructor = UserFactory(username="t3")
    course = CourseFactory(instructors=[instructor])
    small, large = (
        build_exam(course, instructor, subjects),
        build_exam(course, instructor, subjects),
    )
    patterns = ["CCCC", "III-", "CIP-"]
    for i in range(3):
        take(small, f"s{i}", patterns[i])
    for i in range(30):
        take(large, f"l{i}", patterns[i % 3])
    client.force_login(instructor)
    counts = []
    for kit in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(kit.exam)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= PAGE_BUDGET
    assert exam_summary(large.exam).completed == 30


def test_answers_of_unfinished_attempts_exist_but_are_not_counted(kit):
    # Guard for the fixture: gus's running and ivy's pending answers to q1 are there.
    q1 = kit.questions[0]
    assert UserAnswer.objects.filter(exam_question=q1).count() == 7
    hardest = {q.number: q for q in exam_summary(kit.exam).hardest_questions}
    assert hardest[1].answers == 5
