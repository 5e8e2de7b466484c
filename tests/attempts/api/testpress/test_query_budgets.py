"""Query budgets of the Testpress endpoints: a fixed number of queries whatever the
number of rows or questions.
"""

from datetime import timedelta

import pytest
from django.db import connection

from assessments.models import AnswerChoice, ExamQuestion, Question
from attempts import paging
from attempts.models import Attempt
from tests import play
from tests.attempts.api.testpress.contract import LIST_URL, answers_url, detail_url, jwt_client
from tests.attempts.api.testpress.scenarios import State
from tests.attempts.conftest import NOW
from tests.factories import ExamFactory, SectionFactory, SubjectFactory, UserFactory


def exam_with_questions(n, *, course, learner):
    """An exam of ``n`` single-choice questions (2 choices each, the first correct) filed
    under two subjects, with one completed attempt of ``learner`` who answered 3 of them."""
    exam = ExamFactory(course=course)
    section = SectionFactory(exam=exam)
    science = SubjectFactory()
    physics = SubjectFactory(parent=science)
    questions = Question.objects.bulk_create(
        Question(
            type=Question.Type.SINGLE,
            text_html=f"<p>Q{i}</p>",
            subject=physics if i % 2 else science,
            difficulty=Question.Difficulty.values[i % 3],
        )
        for i in range(n)
    )
    AnswerChoice.objects.bulk_create(
        AnswerChoice(question=q, text_html=f"<p>{k}</p>", is_correct=k == 0, order=k)
        for q in questions
        for k in range(2)
    )
    placed = ExamQuestion.objects.bulk_create(
        ExamQuestion(exam=exam, section=section, question=q, order=i)
        for i, q in enumerate(questions)
    )
    answers = [
        (eq, {"choices": [AnswerChoice.objects.get(question_id=eq.question_id, order=0)]})
        for eq in placed[:3]
    ]
    return play.play(exam, learner, answers, submit_at=NOW + timedelta(minutes=5))


class TestQueryBudgets:
    """Exact budgets, the same at 1 and at 200 rows, at 5 and at 60 questions; the comment
    beside each says what every query is."""

    @staticmethod
    def completed_attempts_of_kit_course(kit, n):
        """``n`` completed attempts of the kit course, spread over 20 learners and 2 exams so
        that a lookup per row would show."""
        exams = [kit.exam, ExamFactory(course=kit.course)]
        learners = UserFactory.create_batch(20)
        Attempt.objects.bulk_create(
            Attempt(
                user=learners[i % 20],
                exam=exams[i % 2],
                attempt_number=i + 1,
                state=State.COMPLETED,
                started_at=NOW + timedelta(minutes=i),
                completed_at=NOW + timedelta(minutes=i + 30),
                deadline_at=NOW + timedelta(minutes=i + 60),
            )
            for i in range(n)
        )

    @pytest.mark.parametrize("rows", [1, 200])
    def test_list_for_staff(self, kit, staff, rows, django_assert_num_queries):
        self.completed_attempts_of_kit_course(kit, rows)
        client = jwt_client(staff)
        # 1. the token's user, 2. count of the attempts,
        # 3. the page of attempts joined with their user and exam.
        with django_assert_num_queries(3):
            response = client.get(LIST_URL)
        assert len(response.json()["results"]) == rows

    def test_a_deep_page_reads_its_ids_then_its_rows(
        self, kit, staff, monkeypatch, django_assert_num_queries
    ):
        monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", 3)  # 1,000 rows in production
        self.completed_attempts_of_kit_course(kit, 8)
        client = jwt_client(staff)
        # 1. the token's user, 2. count of the attempts, 3. the ids of rows 4 to 7 (the page
        # and one past it), 4. those three attempts by id, joined with their user and exam.
        with django_assert_num_queries(4):
            response = client.get(LIST_URL, {"per_page": 3, "page": 2})
        body = response.json()
        newest_first = Attempt.objects.order_by("-started_at", "-id")
        assert [row["id"] for row in body["results"]] == list(
            newest_first.values_list("pk", flat=True)[3:6]
        )
        assert body["count"] == 8
        assert body["next"] is not None
        last = client.get(LIST_URL, {"per_page": 3, "page": 3}).json()
        assert (len(last["results"]), last["next"]) == (2, None)

    def test_the_count_of_a_long_list_is_estimated_on_postgresql(self, kit, staff, monkeypatch):
        monkeypatch.setattr(paging, "ESTIMATE_ABOVE", 3)  # 1,000 rows in production
        self.completed_attempts_of_kit_course(kit, 8)
        body = jwt_client(staff).get(LIST_URL, {"per_page": 5}).json()
        if connection.vendor == "postgresql":
            # The planner's number, never below the 4 rows the capped count saw.
            assert body["count"] >= 4
        else:
            assert body["count"] == 8  # SQLite counts
        assert len(body["results"]) == 5
        assert body["next"] is not None  # read from the rows, not from the count

    @pytest.mark.parametrize("rows", [1, 200])
    def test_list_for_instructor(self, kit, rows, django_assert_num_queries):
        self.completed_attempts_of_kit_course(kit, rows)
        client = jwt_client(kit.instructor)
        # 1. the token's user, 2. "is a reviewer" (teaches a course: EXISTS),
        # 3. count of the attempts of the courses taught, 4. the page joined with user and exam.
        with django_assert_num_queries(4):
            response = client.get(LIST_URL)
        assert len(response.json()["results"]) == rows

    @pytest.mark.parametrize("who", ["staff", "instructor"])
    def test_detail_does_not_grow_with_the_exam(self, kit, staff, who, django_assert_num_queries):
        small = exam_with_questions(5, course=kit.course, learner=kit.learner)
        large = exam_with_questions(60, course=kit.course, learner=kit.learner)
        client = jwt_client(staff if who == "staff" else kit.instructor)

        # 1. the token's user, 2. the attempt joined with user and exam (scoped to the
        # reviewer: a hit proves the right, no separate "is reviewer" query),
        # 3. the exam's questions with subject and difficulty, 4. the attempt's answers,
        # 5. the exam's sections, 6. the subjects and their ancestors, 7. rank and
        # percentile (one aggregate over the exam's stored RANKED cells).
        with django_assert_num_queries(7):
            response = client.get(detail_url(small.pk))
        assert response.status_code == 200, response.content
        # The same seven at 60 questions as at 5.
        with django_assert_num_queries(7):
            response = client.get(detail_url(large.pk))
        assert response.status_code == 200, response.content

    @pytest.mark.parametrize("who", ["staff", "instructor"])
    def test_user_answers_does_not_grow_with_the_exam(
        self, kit, staff, who, django_assert_num_queries
    ):
        small = exam_with_questions(5, course=kit.course, learner=kit.learner)
        large = exam_with_questions(60, course=kit.course, learner=kit.learner)
        client = jwt_client(staff if who == "staff" else kit.instructor)

        # 1. the token's user, 2. the attempt (scoped to the reviewer), 3. count of its
        # answers, 4. the page of answers joined with exam question and question,
        # 5. their selected choices, 6. the choices of the page's questions.
        with django_assert_num_queries(6):
            response = client.get(answers_url(small.pk))
        assert len(response.json()["results"]["user_answers"]) == 5
        # The same six at 60 questions as at 5.
        with django_assert_num_queries(6):
            response = client.get(answers_url(large.pk))
        assert len(response.json()["results"]["user_answers"]) == 60
