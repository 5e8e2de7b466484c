"""Essay evaluation and the evaluation queue (attempts/web/evaluation.py).

Attempts are built through the services on the kit exam (tests/attempts/conftest.py:
6 questions × 4 marks, max 24, negative 1, pass mark 50 %, 60 minutes; the played attempts
are in tests/attempts/web/conftest.py); the expected numbers are worked out by hand in the
comments next to them.

Who may evaluate: ``Attempt.objects.reviewable_by`` decides for the POST endpoint (404
outside it) and the queue (learners 403).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import Question
from attempts.models import Attempt, UserAnswer
from tests.attempts.conftest import NOW
from tests.attempts.web.conftest import (
    PAYLOADS,
    SUBMITTED,
    detail_url,
    evaluate_url,
    has_form,
    summary,
)
from tests.factories import (
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    StaffFactory,
)
from tests.play import play, submit

D = Decimal
QUEUE_URL = reverse("evaluation-queue")


# ------------------------------------------------------------------------------ reading


def field_errors(response, answer_row, field="marks") -> list[str]:
    """Messages of the error list tied to one field of one answer's form (its id is in the
    input's aria-describedby), i.e. shown beside that field."""
    html = response.content.decode()
    error_id = f"answer{answer_row.pk}-{field}_error"
    match = re.search(rf'<ul class="errorlist" id="{error_id}">(.*?)</ul>', html, re.S)
    if not match:
        return []
    field_tag = re.search(rf'<[^>]*id="answer{answer_row.pk}-{field}"[^>]*>', html).group(0)
    assert error_id in field_tag
    assert 'aria-invalid="true"' in field_tag
    return re.findall(r"<li>(.*?)</li>", match.group(1))


def unchanged(attempt, essay):
    essay.refresh_from_db()
    attempt.refresh_from_db()
    return (
        essay.evaluated_marks is None
        and essay.result == "pending"
        and attempt.state == Attempt.State.PENDING_EVALUATION
        and attempt.score == D("13.00")
    )


# ------------------------------------------------------------------------------ access


class TestEvaluateAccess:
    def test_anonymous_is_sent_to_sign_in_and_nothing_is_saved(self, client, pending):
        attempt, essay = pending
        response = client.post(evaluate_url(essay), {"marks": "3"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert unchanged(attempt, essay)

    def test_the_learner_cannot_mark_their_own_essay(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.learner)
        assert client.post(evaluate_url(essay), {"marks": "4"}).status_code == 404
        assert unchanged(attempt, essay)

    def test_instructor_of_another_course_gets_404(self, client, pending, outsider):
        attempt, essay = pending
        client.force_login(outsider)
        assert client.post(evaluate_url(essay), {"marks": "3"}).status_code == 404
        assert unchanged(attempt, essay)

    def test_get_is_not_allowed(self, client, kit, pending):
        _, essay = pending
        client.force_login(kit.instructor)
        assert client.get(evaluate_url(essay)).status_code == 405

    def test_admin_may_evaluate(self, client, pending):
        attempt, essay = pending
        client.force_login(StaffFactory())
        response = client.post(evaluate_url(essay), {"marks": "2.5"})
        assert response.status_code == 303
        attempt.refresh_from_db()
        assert attempt.score == D("15.50")  # 13 + 2.5


class TestQueueAccess:
    def test_anonymous_is_sent_to_sign_in(self, client):
        response = client.get(QUEUE_URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_learners_get_403(self, client, kit, pending):
        client.force_login(kit.learner)
        assert client.get(QUEUE_URL).status_code == 403

    def test_instructor_of_another_course_does_not_see_the_essay(self, client, pending, outsider):
        client.force_login(outsider)
        response = client.get(QUEUE_URL)
        assert response.status_code == 200
        assert list(response.context["answers"]) == []
        assert "No essay awaits marks." in response.content.decode()

    @pytest.mark.parametrize("who", ["instructor", "admin"])
    def test_reviewers_of_the_course_see_the_essay(self, client, kit, pending, who):
        attempt, essay = pending
        client.force_login(kit.instructor if who == "instructor" else StaffFactory())
        response = client.get(QUEUE_URL)
        assert response.status_code == 200
        assert list(response.context["answers"]) == [essay]
        html = response.content.decode()
        assert f'href="{detail_url(attempt)}#q{kit.eq["essay"].pk}"' in html
        assert has_form(response, essay)
        assert f'name="next" value="{QUEUE_URL}"' in html


# ------------------------------------------------------------------------------ evaluating


class TestEvaluate:
    def test_marking_the_last_essay_completes_the_attempt_and_empties_the_queue(
        self, client, kit, pending
    ):
        attempt, essay = pending
        client.force_login(kit.instructor)
        before = summary(client.get(detail_url(attempt)))
        assert (before["Score"], before["Percentage"], before["State"]) == (
            "13.00 / 24.00 (provisional)",
            "54.17 % (provisional)",
            "Pending evaluation",
        )
        assert list(client.get(QUEUE_URL).context["answers"]) == [essay]

        response = client.post(
            evaluate_url(essay), {"marks": "3", "comment": "Good", "next": QUEUE_URL}
        )

        assert response.status_code == 303
        assert response["Location"] == QUEUE_URL
        queue = client.get(QUEUE_URL)
        assert list(queue.context["answers"]) == []
        assert "Marks saved: 3.00 of 4.00." in queue.content.decode()
        after = summary(client.get(detail_url(attempt)))
        assert after == {
            **before,
            "Score": "16.00 / 24.00",  # 13 + 3
            "Percentage": "66.67 %",  # 16 / 24 = 66.666…
            "Result": "Pass",
            "Rank": "1 of 1",  # the only completed attempt
            "Percentile": "100.00",
            "State": "Completed",
        }

    def test_without_next_it_returns_to_the_question(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(essay), {"marks": "4", "comment": "Spot on"})
        assert response.status_code == 303
        assert response["Location"] == f"{detail_url(attempt)}#q{kit.eq['essay'].pk}"
        page = client.get(detail_url(attempt))
        html = page.content.decode()
        assert "Marks saved: 4.00 of 4.00." in html
        assert "Comment: Spot on" in html
        assert not has_form(page, essay)  # marked: no longer awaiting evaluation

    def test_a_foreign_next_is_ignored(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(essay), {"marks": "1", "next": "https://evil.example/"})
        assert response["Location"] == f"{detail_url(attempt)}#q{kit.eq['essay'].pk}"

    @pytest.mark.parametrize(
        ("marks", "message"),
        [
            ("abc", "Enter a number."),
            ("NaN", "Enter a number."),
            ("4.01", "Award between 0 and 4.00 marks."),  # the question is worth 4
            ("-1", "Award between 0 and 4.00 marks."),
            ("", "This field is required."),
            ("1.234", "Ensure that there are no more than 2 decimal places."),
        ],
    )
    def test_bad_marks_are_refused_beside_the_field(self, client, kit, pending, marks, message):
        attempt, essay = pending
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(essay), {"marks": marks, "next": QUEUE_URL})
        assert response.status_code == 400
        assert field_errors(response, essay) == [message]
        html = response.content.decode()
        assert "The marks were not saved" in html
        assert f'name="next" value="{QUEUE_URL}"' in html  # a retry still returns to the queue
        assert unchanged(attempt, essay)

    def test_an_answer_that_is_not_an_essay_is_refused(self, client, kit, pending):
        attempt, _ = pending
        single = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["single"])
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(single), {"marks": "1"})
        assert response.status_code == 400
        assert field_errors(response, single) == ["Only essay answers are evaluated by hand."]
        single.refresh_from_db()
        assert (single.result, single.marks_awarded, single.evaluated_marks) == (
            "correct",
            D("4.00"),
            None,
        )

    def test_a_running_attempt_is_refused_with_409(self, client, kit):
        attempt = kit.start()
        essay = kit.answer(attempt, "essay", text="Draft")
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(essay), {"marks": "1"})
        assert response.status_code == 409
        assert "The attempt is still running" in response.content.decode()
        essay.refresh_from_db()
        assert essay.evaluated_marks is None

    def test_an_unanswered_essay_is_refused_with_409(self, client, kit, ranked):
        ada, _ = ranked
        blank = UserAnswer.objects.get(attempt=ada, exam_question=kit.eq["essay"])
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(blank), {"marks": "1"})
        assert response.status_code == 409
        assert "nothing to evaluate" in response.content.decode()

    def test_a_missing_answer_is_404(self, client, db):
        client.force_login(StaffFactory())
        assert (
            client.post(reverse("answer-evaluate", args=[999999]), {"marks": "1"}).status_code
            == 404
        )


# ------------------------------------------------------------------------------ the queue


class TestQueue:
    def test_oldest_first_and_running_attempts_left_out(self, client, kit):
        late, early, running = (kit.enrol(name) for name in ("late", "early", "running"))
        for learner, minute in ((late, 20), (early, 10)):
            attempt = kit.start(learner)
            kit.answer(attempt, "essay", text=f"By {learner}", now=NOW + timedelta(minutes=minute))
            submit(attempt, now=SUBMITTED)
        kit.answer(kit.start(running), "essay", text="Still writing")
        client.force_login(kit.instructor)
        response = client.get(QUEUE_URL)
        assert [a.attempt.user.username for a in response.context["answers"]] == ["early", "late"]
        assert "2 essays awaiting marks" in response.content.decode()

    def test_question_html_becomes_a_plain_excerpt(self, client, kit, pending):
        Question.objects.filter(pk=kit.eq["essay"].question_id).update(
            text_html="<p>Explain <b>why</b> &amp; how</p>" + "".join(PAYLOADS)
        )
        client.force_login(kit.instructor)
        html = client.get(QUEUE_URL).content.decode()
        assert "Explain why &amp; how" in html
        assert "<script" not in html
        assert "alert(1)" not in html
        assert "onerror" not in html
        assert "Because &lt;b&gt;gravity&lt;/b&gt; pulls." in html  # the learner's text, escaped

    def test_pages_of_25(self, client, kit):
        essay_exam(kit, 26)
        client.force_login(kit.instructor)
        first = client.get(QUEUE_URL)
        assert len(first.context["answers"]) == 25
        assert "Page 1 of 2" in first.content.decode()
        assert len(client.get(QUEUE_URL, {"page": 2}).context["answers"]) == 1
        # past the end (its last essay just marked): the last page, not a 404
        assert client.get(QUEUE_URL, {"page": 9}).status_code == 200


# ------------------------------------------------------------------------------ query budgets


def essay_exam(kit, n):
    """An exam of ``n`` essays, all answered in one submitted attempt: ``n`` pending answers."""
    exam = ExamFactory(course=kit.course)
    section = SectionFactory(exam=exam)
    eqs = [
        ExamQuestionFactory(
            exam=exam, section=section, question=QuestionFactory(type=Question.Type.ESSAY)
        )
        for _ in range(n)
    ]
    answers = [
        (eq, {"text": "An essay", "now": NOW + timedelta(minutes=minute)})
        for minute, eq in enumerate(eqs)
    ]
    return play(exam, kit.learner, answers, submit_at=NOW + timedelta(hours=1))


class TestQueryBudgets:
    def test_queue_runs_the_same_queries_at_1_and_20_essays(
        self, client, kit, django_assert_num_queries
    ):
        client.force_login(kit.instructor)
        for added, listed in ((1, 1), (19, 20)):
            essay_exam(kit, added)
            # session, user, is_reviewer, count, the page (answers + attempt + learner +
            # exam + exam question + question), the filter's course menu and exam menu
            with django_assert_num_queries(7):
                response = client.get(QUEUE_URL)
            assert len(response.context["answers"]) == listed
