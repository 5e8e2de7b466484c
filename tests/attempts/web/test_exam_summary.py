"""The exam summary page (attempts/web/exam_summary.py): who sees it, what it shows and its
query budget, on the exam of tests/attempts/summary_exam.py (its docstring has the table the
numbers come from)."""

import pytest
from django.urls import reverse

from assessments.models import Exam
from attempts.statistics.exam import exam_summary
from tests.attempts.summary_exam import build_exam, make_subjects, played_exam, take
from tests.factories import CourseFactory, StaffFactory, UserFactory


@pytest.fixture
def subjects(db):
    return make_subjects()


@pytest.fixture
def kit(subjects):
    return played_exam(subjects)


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
# (taught_courses.exists()), (4) exam with its course, (5) the exam's stored ExamTally cells
# (counts by state; completed attempts by score and percentage, passed: the mean, median,
# highest and histogram), (6) its QuestionTally cells GROUP BY exam question, (7) exam
# questions with section, question and subject, (8) subjects and ancestors, (9) texts of the
# hardest questions. An admin skips (3).
PAGE_QUERIES = 9


def test_page_stays_within_its_query_budget(client, kit, django_assert_num_queries):
    client.force_login(kit.instructor)
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url(kit.exam)).status_code == 200


def test_page_runs_the_same_queries_for_3_and_30_attempts(
    client, subjects, django_assert_num_queries
):
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
    for kit in (small, large):
        with django_assert_num_queries(PAGE_QUERIES):
            assert client.get(url(kit.exam)).status_code == 200
    assert exam_summary(large.exam).completed == 30
