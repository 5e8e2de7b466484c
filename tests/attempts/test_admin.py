"""The Django admin cannot corrupt results: attempts are read-only, changes go through the
services as actions, and a change of marks or key flags the exam for a rescore.

Kit: 6 questions × 4 marks (max 24), negative 1, pass mark 50 %, 60 minutes
(tests/attempts/conftest.py).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question
from attempts.models import Attempt, AttemptEvent
from tests import play
from tests.play import NOW

D = Decimal
State = Attempt.State


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def finished(kit, *, single=0):
    """The learner's attempt with the single choice question answered (choice ``single``)."""
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[single])
    return play.submit(attempt, now=NOW + timedelta(minutes=5))


def exam_question_form(eq, **changes):
    """The POST of the exam question's change form, as the admin renders it, with changes."""
    data = {
        "exam": eq.exam_id,
        "section": eq.section_id,
        "question": eq.question_id,
        "marks": eq.marks,
        "negative_marks": eq.negative_marks,
        "partial_marks": "" if eq.partial_marks is None else eq.partial_marks,
        "order": eq.order,
    }
    if eq.is_bonus:
        data["is_bonus"] = "on"
    return {**data, **changes}


class TestAttemptsAreReadOnly:
    def test_a_post_that_tries_to_change_the_state_changes_nothing(self, admin_client, kit):
        attempt = kit.start()
        events = AttemptEvent.objects.count()

        response = admin_client.post(
            url(Attempt, "change", attempt.pk),
            {"state": State.COMPLETED, "score": "24", "attempt_number": 7, "passed": "on"},
        )

        assert response.status_code == 403
        attempt.refresh_from_db()
        assert (attempt.state, attempt.score, attempt.attempt_number) == (State.RUNNING, 0, 1)
        assert AttemptEvent.objects.count() == events

    def test_the_change_form_shows_fields_but_no_inputs(self, admin_client, kit):
        attempt = finished(kit)

        html = admin_client.get(url(Attempt, "change", attempt.pk)).content.decode()

        assert 'name="state"' not in html
        assert 'name="attempt_number"' not in html
        assert "History" in html  # the events inline

    def test_attempts_cannot_be_added_or_deleted(self, admin_client, kit):
        attempt = finished(kit)
        assert admin_client.get(url(Attempt, "add")).status_code == 403
        assert admin_client.post(url(Attempt, "delete", attempt.pk), {"post": "yes"}).status_code
        assert Attempt.objects.filter(pk=attempt.pk).exists()


class TestActions:
    def test_finalize_now_completes_running_attempts_and_records_who(self, admin_client, kit):
        running = kit.start()

        response = admin_client.post(
            url(Attempt, "changelist"),
            {"action": "finalize_now", "_selected_action": [running.pk]},
            follow=True,
        )

        assert "Finalized 1 running attempt(s)." in response.content.decode()
        running.refresh_from_db()
        assert running.state == State.COMPLETED
        event = AttemptEvent.objects.filter(attempt=running).last()
        assert (event.kind, event.actor.username) == (AttemptEvent.Kind.FINALIZED, "admin")

    def test_rescore_selected_uses_the_current_key(self, admin_client, kit):
        attempt = finished(kit, single=1)  # wrong: -1
        assert attempt.score == D("-1")
        AnswerChoice.objects.filter(pk=kit.choices["single"][0].pk).update(is_correct=False)
        AnswerChoice.objects.filter(pk=kit.choices["single"][1].pk).update(is_correct=True)

        admin_client.post(
            url(Attempt, "changelist"), {"action": "rescore", "_selected_action": [attempt.pk]}
        )

        attempt.refresh_from_db()
        assert attempt.score == D("4")
        assert AttemptEvent.objects.filter(attempt=attempt).last().kind == "rescored"


class TestMarkingChangesFlagTheExam:
    def test_changing_marks_flags_the_exam_and_the_banner_counts_finished_attempts(
        self, admin_client, kit
    ):
        finished(kit)
        eq = kit.eq["single"]
        banner = url(Exam, "change", kit.exam.pk)
        assert "rescore-banner" not in admin_client.get(banner).content.decode()

        response = admin_client.post(
            url(ExamQuestion, "change", eq.pk), exam_question_form(eq, marks="10")
        )

        assert response.status_code == 302
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None
        html = admin_client.get(banner).content.decode()
        assert "rescore-banner" in html
        assert "1 finished attempt still has its old score" in html
        assert "Rescore 1 attempt" in html

    def test_the_banner_button_rescores_and_clears_the_flag(self, admin_client, kit):
        attempt = finished(kit)  # 4 of 24
        eq = kit.eq["single"]
        admin_client.post(url(ExamQuestion, "change", eq.pk), exam_question_form(eq, marks="10"))

        response = admin_client.post(
            reverse("admin:assessments_exam_rescore", args=[kit.exam.pk]), follow=True
        )

        assert "Rescored 1 finished attempt(s)" in response.content.decode()
        attempt.refresh_from_db()
        assert (attempt.score, attempt.max_score) == (D("10"), D("30"))
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is None
        assert "rescore-banner" not in response.content.decode()

    def test_the_rescore_url_takes_only_a_post(self, admin_client, kit):
        path = reverse("admin:assessments_exam_rescore", args=[kit.exam.pk])
        assert admin_client.get(path).status_code == 403

    def test_a_change_that_is_not_marking_leaves_the_exam_alone(self, admin_client, kit):
        eq = kit.eq["single"]
        admin_client.post(url(ExamQuestion, "change", eq.pk), exam_question_form(eq, order=9))
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is None

    @pytest.mark.parametrize(
        ("field", "value"), [("negative_marks", "2"), ("partial_marks", "1"), ("is_bonus", "on")]
    )
    def test_each_marking_field_flags_the_exam(self, admin_client, kit, field, value):
        eq = kit.eq["single"]
        admin_client.post(
            url(ExamQuestion, "change", eq.pk), exam_question_form(eq, **{field: value})
        )
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None

    def test_changing_a_choice_key_flags_every_exam_placing_the_question(self, admin_client, kit):
        choice = kit.choices["single"][1]
        response = admin_client.post(
            url(AnswerChoice, "change", choice.pk),
            {"question": choice.question_id, "text_html": choice.text_html, "is_correct": "on",
             "order": choice.order},
        )  # fmt: skip
        assert response.status_code == 302
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None

    def test_changing_a_numeric_answer_flags_the_exam(self, admin_client, kit):
        question = kit.eq["numeric"].question
        response = admin_client.post(
            url(Question, "change", question.pk),
            {
                "type": question.type,
                "text_html": question.text_html,
                "explanation_html": "",
                "numeric_answer": "9.9",
                "numeric_tolerance": question.numeric_tolerance,
                "accepted_answers": "[]",
                "difficulty": "",
                "choices-TOTAL_FORMS": 0,
                "choices-INITIAL_FORMS": 0,
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None

    def test_removing_a_question_from_the_exam_flags_it(self, admin_client, kit):
        eq = kit.eq["essay"]
        admin_client.post(url(ExamQuestion, "delete", eq.pk), {"post": "yes"})
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None
