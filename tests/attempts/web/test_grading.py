"""Grading question by question (attempts/web/grading.py) and the evaluation queue's filters.

Kit exam (6 questions × 4 marks; the essay is the 6th). Three learners, ann, ben and cat,
each submit an attempt answering only the essay: three pending answers, in that order.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from attempts.models import Attempt, AttemptEvent, UserAnswer
from tests.attempts.conftest import NOW
from tests.factories import CourseFactory, ExamFactory, UserFactory
from tests.play import submit

D = Decimal
QUEUE_URL = reverse("evaluation-queue")


@pytest.fixture
def essays(kit):
    """username -> pending essay answer, in submission order."""
    made = {}
    for minute, name in enumerate(("ann", "ben", "cat")):
        attempt = kit.start(kit.enrol(name, display_name=name.title()))
        kit.answer(attempt, "essay", text=f"{name}'s essay", now=NOW + timedelta(minutes=minute))
        submit(attempt, now=NOW + timedelta(minutes=10 + minute))
        made[name] = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"])
    return made


def grade_url(kit, query=""):
    return reverse("grade-question", args=[kit.eq["essay"].pk]) + query


class TestWalk:
    def test_the_first_pending_answer_with_its_position_and_next(self, client, kit, essays):
        client.force_login(kit.instructor)
        response = client.get(grade_url(kit))
        assert response.status_code == 200
        context = response.context
        assert (context["answer"], context["position"], context["total"]) == (
            essays["ann"],
            1,
            3,
        )
        assert context["previous_url"] is None
        assert context["next_url"] == grade_url(kit, f"?answer={essays['ben'].pk}")
        html = response.content.decode()
        assert "ann&#x27;s essay" in html
        assert "Ann (ann)" in html
        assert 'src="/static/js/grading.js"' in html
        assert "<script>" not in html  # no inline script: the CSP forbids it

    def test_next_and_previous_walk_the_answers(self, client, kit, essays):
        client.force_login(kit.instructor)
        response = client.get(grade_url(kit, f"?answer={essays['ben'].pk}"))
        assert response.context["position"] == 2
        assert response.context["previous_url"] == grade_url(kit, f"?answer={essays['ann'].pk}")
        assert response.context["next_url"] == grade_url(kit, f"?answer={essays['cat'].pk}")

    def test_anonymous_mode_hides_names_and_keeps_itself_in_the_links(self, client, kit, essays):
        client.force_login(kit.instructor)
        response = client.get(grade_url(kit, f"?answer={essays['ann'].pk}&anonymous=1"))
        html = response.content.decode()
        assert "Ann" not in html
        assert "ann@" not in html
        assert "(ann)" not in html
        assert "Answer 1" in html
        assert response.context["next_url"].endswith(f"answer={essays['ben'].pk}&anonymous=1")
        assert 'name="anonymous" value="1"' in html

    def test_saving_moves_on_to_the_next_answer(self, client, kit, essays):
        client.force_login(kit.instructor)
        response = client.post(
            grade_url(kit), {"answer": essays["ann"].pk, "marks": "3.5", "comment": "Good"}
        )
        assert response.status_code == 303
        assert response.url == grade_url(kit, f"?answer={essays['ben'].pk}")
        essays["ann"].refresh_from_db()
        assert (essays["ann"].evaluated_marks, essays["ann"].result) == (D("3.50"), "partial")
        event = AttemptEvent.objects.filter(attempt=essays["ann"].attempt).last()
        assert (event.kind, event.actor) == (AttemptEvent.Kind.EVALUATED, kit.instructor)
        # ann's attempt: the essay was the only pending answer, so it completes.
        attempt = Attempt.objects.get(pk=essays["ann"].attempt_id)
        assert attempt.state == Attempt.State.COMPLETED
        page = client.get(response.url)
        assert (page.context["position"], page.context["total"]) == (1, 2)
        assert "Marks saved: 3.50 of 4.00." in page.content.decode()

    def test_saving_the_last_answer_returns_to_a_skipped_one_then_to_the_queue(
        self, client, kit, essays
    ):
        client.force_login(kit.instructor)
        response = client.post(grade_url(kit), {"answer": essays["cat"].pk, "marks": "4"})
        assert response.url == grade_url(kit, f"?answer={essays['ann'].pk}")
        client.post(grade_url(kit), {"answer": essays["ann"].pk, "marks": "4"})
        response = client.post(grade_url(kit), {"answer": essays["ben"].pk, "marks": "4"})
        assert response.url == f"{QUEUE_URL}?question={kit.eq['essay'].pk}"
        assert (
            "Every answer to this question is marked." in client.get(response.url).content.decode()
        )

    def test_an_answer_no_longer_pending_shows_the_next_with_a_note(self, client, kit, essays):
        client.force_login(kit.instructor)
        client.post(grade_url(kit), {"answer": essays["ann"].pk, "marks": "4"})
        response = client.get(grade_url(kit, f"?answer={essays['ann'].pk}"))
        assert response.context["answer"] == essays["ben"]
        assert "no longer awaits marks" in response.content.decode()


class TestRefusals:
    @pytest.mark.parametrize(
        ("marks", "message"),
        [("5", "Award between 0 and 4.00 marks."), ("-1", "Award between"), ("x", "number")],
    )
    def test_bad_marks_stay_on_the_same_answer_with_a_400(
        self, client, kit, essays, marks, message
    ):
        client.force_login(kit.instructor)
        response = client.post(
            grade_url(kit, "?anonymous=1"),
            {"answer": essays["ben"].pk, "marks": marks, "anonymous": "1"},
        )
        assert response.status_code == 400
        assert response.context["answer"] == essays["ben"]
        assert response.context["anonymous"] is True
        assert message in response.content.decode()
        essays["ben"].refresh_from_db()
        assert essays["ben"].evaluated_marks is None

    @pytest.mark.parametrize("answer", ["abc", "", "99999999999999999999"])
    def test_a_bad_answer_id_is_a_400(self, client, kit, essays, answer):
        client.force_login(kit.instructor)
        assert client.post(grade_url(kit), {"answer": answer, "marks": "1"}).status_code == 400
        if answer:
            assert client.get(grade_url(kit, f"?answer={answer}")).status_code == 400

    def test_an_answer_to_another_question_is_a_404(self, client, kit, essays):
        client.force_login(kit.instructor)
        other_eq = reverse("grade-question", args=[kit.eq["single"].pk])
        response = client.post(other_eq, {"answer": essays["ann"].pk, "marks": "1"})
        assert response.status_code == 404

    def test_a_learner_gets_403_and_another_instructor_404(self, client, kit, essays):
        client.force_login(kit.learner)
        assert client.get(grade_url(kit)).status_code == 403
        other = UserFactory()
        CourseFactory(instructors=[other])
        client.force_login(other)
        assert client.get(grade_url(kit)).status_code == 404
        response = client.post(grade_url(kit), {"answer": essays["ann"].pk, "marks": "1"})
        assert response.status_code == 404
        essays["ann"].refresh_from_db()
        assert essays["ann"].evaluated_marks is None

    def test_anonymous_is_sent_to_sign_in(self, client, kit):
        assert client.get(grade_url(kit)).status_code == 302


class TestQueueFilters:
    def test_by_course_exam_and_question(self, client, kit, essays):
        other_exam = ExamFactory(course=kit.course)
        client.force_login(kit.instructor)
        cases = {
            f"?course={kit.course.pk}": 3,
            f"?exam={kit.exam.pk}": 3,
            f"?exam={other_exam.pk}": 0,
            f"?question={kit.eq['essay'].pk}": 3,
        }
        for query, expected in cases.items():
            response = client.get(QUEUE_URL + query)
            assert response.status_code == 200, query
            assert len(response.context["answers"]) == expected, query

    @pytest.mark.parametrize(
        "query", ["?course=abc", "?exam=999999", "?question=1.5", "?question=-1"]
    )
    def test_an_invalid_filter_is_a_400_beside_its_field(self, client, kit, essays, query):
        client.force_login(kit.instructor)
        response = client.get(QUEUE_URL + query)
        assert response.status_code == 400
        html = response.content.decode()
        assert "Some filters are not valid" in html
        assert 'class="errorlist"' in html

    def test_another_courses_exam_is_not_a_choice(self, client, kit, essays):
        foreign = ExamFactory()
        client.force_login(kit.instructor)
        assert client.get(QUEUE_URL + f"?exam={foreign.pk}").status_code == 400

    def test_each_item_links_to_grading_its_question(self, client, kit, essays):
        client.force_login(kit.instructor)
        html = client.get(QUEUE_URL).content.decode()
        assert f'href="{grade_url(kit)}?answer={essays["ann"].pk}"' in html
