"""``seed_demo``'s content as the builder writes it: cast, subject tree, bank, exams, learners.

The attempts have their own tests (test_play.py, test_bulk.py): these seed no attempts unless
they say so, and need a database without the seeded one of those modules.
"""

from datetime import UTC, datetime

import pytest
from django.db.models import Count, F, Q

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from attempts.models import Attempt, UserAnswer
from lms.demo.plan import build_plan
from lms.demo.simulation import BULK_MARKER, DEMO_MARKER
from lms.models import Course, Enrollment, Subject, User
from tests.lms.demo.seeding import rolled_back, seed_content

pytestmark = pytest.mark.django_db

MODELS = (User, Course, Enrollment, Subject, Question, AnswerChoice, Exam, Section, ExamQuestion)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def bank_snapshot() -> list[tuple]:
    """Question texts and their choices in creation order (pks may differ between databases)."""
    choices = {}
    for question_id, text, correct in AnswerChoice.objects.values_list(
        "question_id", "text_html", "is_correct"
    ):
        choices.setdefault(question_id, []).append((text, correct))
    return [
        (q.type, q.difficulty, q.text_html, choices.get(q.pk, []))
        for q in Question.objects.order_by("pk")
    ]


def seed_on_fresh_database(*args: str) -> list[tuple]:
    """Seed inside a transaction that is rolled back, so the next call starts empty again."""
    with rolled_back():
        seed_content(*args)
        snapshot = bank_snapshot()
    assert Question.objects.count() == 0
    return snapshot


def test_counts_match_the_plan_computed_by_hand():
    seed_content()
    # 13 leaf subjects × 11 questions (3 single, 2 multiple, 2 true/false, 2 numeric,
    # 1 short text, 1 essay) + 5 aptitude questions without subject.
    # Choices: per leaf 3×4 + 2×4 + 2×2 = 24, so 13 × 24 + (4 + 4 + 2) = 322.
    # Placements: 3×7 (mock) + 6+4+4 (JEE) + 10+10 (quiz) + 10+6 (midterm) = 71.
    assert row_counts() | {"Enrollment": 0} == {
        "User": 5 + 20,  # admin, two instructors, learner, deptadmin; 20 learners
        "Course": 3,
        "Enrollment": 0,  # drawn at random: checked against the plan below
        "Subject": 3 + 6 + 13,
        "Question": 148,
        "AnswerChoice": 322,
        "Exam": 4,
        "Section": 3 + 3 + 2 + 2,
        "ExamQuestion": 71,
    }
    planned = sum(len(learner.enrollments) for learner in build_plan(learners=20).learners)
    assert Enrollment.objects.count() == 3 + planned  # "learner" is in all three courses


def test_running_twice_changes_no_counts():
    seed_content()
    first = row_counts()

    seed_content()

    assert row_counts() == first


def test_the_same_seed_gives_the_same_bank_on_a_fresh_database():
    first = seed_on_fresh_database("--seed", "42")
    second = seed_on_fresh_database("--seed", "42")
    other = seed_on_fresh_database("--seed", "7")

    assert first == second
    assert [text for _, _, text, _ in first] != [text for _, _, text, _ in other]


def test_reseeding_rewrites_the_same_rows_with_the_new_seed():
    seed_content("--seed", "42")
    counts, bank = row_counts(), bank_snapshot()

    seed_content("--seed", "7")
    assert bank_snapshot() != bank
    assert Question.objects.count() == counts["Question"]

    seed_content("--seed", "42")
    assert (row_counts(), bank_snapshot()) == (counts, bank)


def bulk_snapshot() -> list[tuple]:
    """Bulk attempts with their answers, by natural keys (pks differ between databases)."""
    chosen = {}
    through = UserAnswer.selected_choices.through.objects
    for answer_id, order in through.values_list("useranswer_id", "answerchoice__order"):
        chosen.setdefault(answer_id, []).append(order)
    bulk = Attempt.objects.filter(institute_attempt_id__gte=BULK_MARKER)
    answers = {}
    for pk, attempt_id, *fields in UserAnswer.objects.filter(attempt__in=bulk).values_list(
        "pk", "attempt_id", "exam_question__order", "result", "marks_awarded", "time_spent_seconds"
    ):
        answers.setdefault(attempt_id, []).append((*fields, sorted(chosen.get(pk, []))))
    rows = bulk.order_by("institute_attempt_id").values_list(
        "pk", "user__username", "exam__title", "attempt_number", "started_at", "score"
    )
    return [(*fields, answers[pk]) for pk, *fields in rows]


def bulk_on_fresh_database(seed: str) -> list[tuple]:
    with rolled_back():
        seed_content("--attempts", "80", "--seed", seed)
        snapshot = bulk_snapshot()
    assert not Attempt.objects.exists()
    return snapshot


def test_the_same_seed_gives_the_same_bulk_attempts_on_a_fresh_database():
    first, second, other = (bulk_on_fresh_database(seed) for seed in ("42", "42", "7"))

    assert len(first) == 80
    assert first == second
    assert first != other


def test_subject_tree_is_three_levels_deep():
    seed_content()

    optics = Subject.objects.get(name="Optics")
    assert optics.depth == 2
    assert optics.full_path == "Science › Physics › Optics"
    assert set(Subject.objects.values_list("depth", flat=True)) == {0, 1, 2}


def test_every_question_type_and_difficulty_occurs():
    seed_content()

    assert set(Question.objects.values_list("type", flat=True)) == set(Question.Type.values)
    assert set(Question.objects.values_list("difficulty", flat=True)) == {
        *Question.Difficulty.values,
        None,
    }
    assert Question.objects.filter(subject__isnull=True).count() == 5
    assert not Question.objects.filter(subject__depth__lt=2).exists()  # leaves only


def test_choices_fit_each_question_type():
    seed_content()
    questions = Question.objects.annotate(
        n=Count("choices"), correct=Count("choices", filter=Q(choices__is_correct=True))
    )

    shapes = {(q.type, q.n, q.correct) for q in questions}

    assert shapes == {
        ("single", 4, 1),
        ("multiple", 4, 2),
        ("multiple", 4, 3),
        ("true_false", 2, 1),
        ("numeric", 0, 0),
        ("short_text", 0, 0),
        ("essay", 0, 0),
    }
    assert not Question.objects.filter(type="numeric", numeric_answer__isnull=True).exists()
    assert all(
        Question.objects.filter(type="short_text").values_list("accepted_answers", flat=True)
    )
    true_false = AnswerChoice.objects.filter(question__type="true_false")
    assert set(true_false.values_list("order", "text_html")) == {(1, "True"), (2, "False")}


def test_exams_show_negative_partial_and_bonus_marking():
    seed_content()
    exams = {exam.title: exam for exam in Exam.objects.all()}

    mock = exams["Physics Mock Test 1"].exam_questions
    assert set(mock.values_list("marks", "negative_marks", "partial_marks")) == {(4, 1, None)}
    jee = exams["JEE-style Multiple Correct Practice"].exam_questions
    assert set(jee.values_list("question__type", "marks", "negative_marks", "partial_marks")) == {
        ("multiple", 4, 2, 1)
    }
    quiz = exams["General Studies Quiz"]
    assert quiz.exam_questions.filter(is_bonus=True).count() == 1
    assert (quiz.pass_percentage, quiz.duration, quiz.max_attempts, quiz.rank_policy) == (
        None,
        None,
        None,
        Exam.RankPolicy.BEST,
    )
    midterm = exams["Mathematics Midterm"]
    assert (midterm.pass_percentage, midterm.max_attempts, midterm.rank_policy) == (50, 2, "last")
    assert set(midterm.exam_questions.values_list("question__type", flat=True)) >= {
        "numeric",
        "short_text",
        "essay",
    }
    assert ExamQuestion.objects.filter(is_bonus=True).count() == 1


def test_exams_are_published_and_open_from_september_2026():
    seed_content()

    windows = set(Exam.objects.values_list("status", "opens_at", "closes_at"))

    assert windows == {
        ("published", datetime(2026, 9, 1, tzinfo=UTC), datetime(2027, 12, 31, 23, 59, tzinfo=UTC))
    }


def test_exam_questions_sit_in_sections_of_their_exam_in_order():
    seed_content()

    assert not ExamQuestion.objects.exclude(section__exam=F("exam")).exists()
    for exam in Exam.objects.all():
        rows = list(exam.exam_questions.order_by("order").values_list("order", "section__order"))
        orders = [order for order, _ in rows]
        assert orders == list(range(1, len(rows) + 1))  # unique, no gaps
        assert [s for _, s in rows] == sorted(s for _, s in rows)  # sections in section order
        assert 10 <= len(rows) <= 40


def test_each_instructor_teaches_only_their_own_courses():
    seed_content()

    def taught(username):
        return set(
            User.objects.get(username=username).taught_courses.values_list("slug", flat=True)
        )

    assert taught("instructor1") == {"physics-for-engineers", "mathematics-foundations"}
    assert taught("instructor2") == {"general-studies"}
    assert not User.objects.filter(username__startswith="instructor", is_staff=True).exists()


def test_logins_work_and_learner_is_in_every_course():
    seed_content()

    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    for username in ("admin", "instructor1", "instructor2", "learner"):
        assert User.objects.get(username=username).check_password(username)
    assert User.objects.get(username="learner020").check_password("learner")
    learner = Enrollment.objects.filter(user__username="learner")
    assert set(learner.values_list("status", flat=True)) == {"active"}
    assert learner.count() == Course.objects.count()


def test_output_lists_logins_and_urls():
    out = seed_content()

    for login in ("admin / admin", "instructor1 / instructor1", "instructor2 / instructor2"):
        assert login in out
    assert "learner / learner" in out
    assert "learner001 … learner020 / learner" in out
    assert "http://127.0.0.1:8000/admin/" in out
    assert "Questions: 148" in out


def test_reseeding_replaces_the_attempts_that_no_longer_fit_the_exams():
    args = ("--demo-attempts", "8", "--attempts", "20")
    seed_content(*args, "--seed", "42")
    assert Attempt.objects.count() == 28

    out = seed_content(*args, "--seed", "7")  # other questions: the old answers cannot stay

    assert "Attempts: 28 removed" in out
    demo = Attempt.objects.filter(institute_attempt_id__lt=BULK_MARKER)
    assert demo.filter(institute_attempt_id__gte=DEMO_MARKER).count() == 8
    assert Attempt.objects.filter(institute_attempt_id__gte=BULK_MARKER).count() == 20


def test_departments_and_the_department_administrator():
    from lms import access
    from lms.models import Department

    out = seed_content()
    assert "deptadmin / deptadmin" in out
    assert Department.objects.filter(depth=2).count() == 4
    assert Department.objects.count() == 7
    learners = User.objects.filter(username__startswith="learner")
    # Every demo learner is in exactly one leaf.
    members = Department.members.through.objects.filter(user__in=learners)
    assert members.count() == learners.count()
    assert set(members.values_list("department__depth", flat=True)) == {2}
    boss = User.objects.get(username="deptadmin")
    assert boss.check_password("deptadmin")
    [managed] = boss.managed_departments.all()
    assert managed.full_path == "Northwind › Sales"
    branch = {d.pk for d in Department.objects.filter(path__startswith=managed.path)}
    in_branch = set(
        Department.members.through.objects.filter(department__in=branch).values_list(
            "user_id", flat=True
        )
    )
    reviewed = set(User.objects.reviewable_by(boss).values_list("pk", flat=True))
    assert reviewed == in_branch
    assert in_branch
    assert set(Attempt.objects.reviewable_by(boss).values_list("user_id", flat=True)) <= in_branch
    assert access.is_reviewer(boss)


def test_many_new_rows_are_copied_as_bulk_create_would_insert_them(monkeypatch):
    """From ``COPY_FROM`` new rows PostgreSQL gets them by COPY (SQLite: bulk_create
    always): the same rows, defaults included, whichever way they went in."""
    from lms.demo import builder
    from lms.models import Department

    def learner_rows():
        users = User.objects.filter(username__startswith="learner0").order_by("username")
        return (
            list(
                users.values_list(
                    "username",
                    "first_name",
                    "email",
                    "phone",
                    "is_active",
                    "is_staff",
                    "token_version",
                    "time_zone",
                    "date_joined",
                )
            ),  # fmt: skip
            sorted(
                Enrollment.objects.filter(user__in=users).values_list(
                    "user__username", "course__slug", "status", "enrolled_at", "expires_at"
                )
            ),
            sorted(
                Department.members.through.objects.filter(user__in=users).values_list(
                    "user__username", "department__name"
                )
            ),
        )

    with rolled_back():
        seed_content()
        by_insert = learner_rows()
    monkeypatch.setattr(builder, "COPY_FROM", 1)

    seed_content()

    assert learner_rows() == by_insert
    assert len(by_insert[0]) == 20
    assert User.objects.get(username="learner007").check_password("learner")
