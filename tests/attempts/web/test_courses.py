"""The reviewer's courses page (attempts/web/courses.py): who sees which course, and each
exam's attempt counts, mean score and pass rate, computed by hand."""

from decimal import Decimal

import pytest

from attempts.models import Attempt
from tests.factories import AttemptFactory, CourseFactory, ExamFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher():
    return UserFactory(username="teacher")


def finished(exam, score, passed, state=Attempt.State.COMPLETED):
    return AttemptFactory(
        exam=exam, state=state, score=Decimal(score), max_score=Decimal(10), passed=passed
    )


class TestCourses:
    def test_an_instructor_sees_only_their_courses_with_counts_mean_and_pass_rate(
        self, client, teacher
    ):
        mine = CourseFactory(title="Optics", instructors=[teacher])
        CourseFactory(title="Secret")
        exam = ExamFactory(course=mine, title="Lenses", pass_percentage=Decimal("50"))
        finished(exam, "8", True)
        finished(exam, "6", True)
        finished(exam, "3", False)
        finished(exam, "0", None, state=Attempt.State.RUNNING)
        client.force_login(teacher)
        response = client.get("/courses/")
        html = response.content.decode()
        assert "Optics" in html
        assert "Secret" not in html
        ((course, overviews),) = response.context["courses"]
        overview = overviews[0]
        assert overview.by_state[Attempt.State.COMPLETED] == 3
        assert overview.by_state[Attempt.State.RUNNING] == 1
        assert overview.mean_score == Decimal("5.67")  # (8 + 6 + 3) / 3 = 5.666…
        assert overview.pass_rate == Decimal("66.67")  # 2 of 3 completed passed

    def test_exam_without_pass_mark_has_no_pass_rate(self, client, teacher):
        exam = ExamFactory(course=CourseFactory(instructors=[teacher]), pass_percentage=None)
        finished(exam, "5", None)
        client.force_login(teacher)
        response = client.get("/courses/")
        assert response.context["courses"][0][1][0].pass_rate is None
        assert "no pass mark" in response.content.decode()

    def test_an_admin_sees_every_course(self, client):
        CourseFactory(title="Optics")
        CourseFactory(title="Secret")
        client.force_login(StaffFactory())
        html = client.get("/courses/").content.decode()
        assert "Optics" in html
        assert "Secret" in html

    def test_a_learner_gets_403(self, client):
        client.force_login(UserFactory())
        assert client.get("/courses/").status_code == 403

    def test_the_page_costs_a_fixed_number_of_queries(
        self, client, teacher, django_assert_num_queries
    ):
        for n in range(4):
            course = CourseFactory(instructors=[teacher])
            for _ in range(3):
                finished(ExamFactory(course=course), str(n), True)
        client.force_login(teacher)
        # session, user, is-reviewer check, courses, their exams (prefetch), one grouped
        # aggregate over the exams' attempts
        with django_assert_num_queries(6):
            assert client.get("/courses/").status_code == 200
