"""Overriding an answer's marks from the attempt page, and the answers' marks history there.

``ranked`` (conftest.py): ada 13 of 24 (true/false wrong: -1), bob 4 of 24. Marks may go from
-1 (the negative marks) to 4; an essay's from 0.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from attempts.models import Attempt, MarkChange, UserAnswer
from tests.attempts.web.conftest import detail_url

D = Decimal


def answer_of(attempt, kit, name):
    return UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq[name])


def override_url(answer):
    return reverse("answer-override", args=[answer.pk])


def post(client, answer, marks="3", comment="Both readings are right"):
    return client.post(override_url(answer), {"marks": marks, "comment": comment})


class TestWho:
    def test_anonymous_users_are_sent_to_sign_in(self, client, kit, ranked):
        response = post(client, answer_of(ranked[0], kit, "true_false"))
        assert response.status_code == 302
        assert "login" in response["Location"]

    @pytest.mark.parametrize("who", ["learner", "outsider"])
    def test_learners_and_other_instructors_get_404_and_nothing_changes(
        self, client, kit, ranked, outsider, who
    ):
        client.force_login(kit.learner if who == "learner" else outsider)
        answer = answer_of(ranked[0], kit, "true_false")
        assert post(client, answer).status_code == 404
        assert answer_of(ranked[0], kit, "true_false").override_marks is None

    def test_learners_see_neither_the_form_nor_the_history(self, client, kit, ranked):
        client.force_login(kit.instructor)
        post(client, answer_of(ranked[0], kit, "true_false"))
        client.force_login(kit.learner)
        html = client.get(detail_url(ranked[0])).text
        assert "Override the marks" not in html
        assert "Marks history" not in html


class TestOverride:
    def test_the_override_is_saved_and_the_page_shows_it_with_its_history(
        self, client, kit, ranked
    ):
        ada, _ = ranked
        client.force_login(kit.instructor)

        response = post(client, answer_of(ada, kit, "true_false"))

        question = kit.eq["true_false"].pk
        assert response.status_code == 303
        assert response["Location"] == f"{detail_url(ada)}#q{question}"
        assert Attempt.objects.get(pk=ada.pk).score == D("17.00")  # 13 + 1 + 3
        page = client.get(response["Location"])
        assert "Marks overridden: 3.00." in page.text
        history = page.text.split(f'id="history-q{question}"')[1].split("</details>")[0]
        assert "Overridden" in history
        assert "Incorrect → Partly correct" in history
        assert "-1.00 → 3.00" in history
        assert "teacher" in history
        assert "Both readings are right" in history

    def test_an_empty_mark_removes_the_override(self, client, kit, ranked):
        ada, _ = ranked
        client.force_login(kit.instructor)
        post(client, answer_of(ada, kit, "true_false"))
        response = post(client, answer_of(ada, kit, "true_false"), marks="", comment="Undo")
        assert response.status_code == 303
        assert answer_of(ada, kit, "true_false").override_marks is None
        assert MarkChange.objects.count() == 2

    @pytest.mark.parametrize(
        ("marks", "comment", "message"),
        [
            ("4.01", "x", "Set between -1.00 and 4.00 marks."),
            ("-1.5", "x", "Set between -1.00 and 4.00 marks."),
            ("abc", "x", "Enter a number."),
            ("1.005", "x", "Ensure that there are no more than 2 decimal places."),
            ("2", "", "Say why the marks are overridden."),
            ("2", "   ", "Say why the marks are overridden."),
        ],
    )
    def test_bad_input_is_a_400_beside_the_field_and_nothing_is_saved(
        self, client, kit, ranked, marks, comment, message
    ):
        ada, _ = ranked
        client.force_login(kit.instructor)
        response = post(client, answer_of(ada, kit, "true_false"), marks=marks, comment=comment)
        assert response.status_code == 400
        assert message in response.text
        assert "The marks were not saved" in response.text
        assert answer_of(ada, kit, "true_false").override_marks is None
        assert not MarkChange.objects.exists()

    def test_an_essay_cannot_lose_marks(self, client, kit, pending):
        _, essay = pending
        client.force_login(kit.instructor)
        response = post(client, essay, marks="-1")
        assert response.status_code == 400
        assert "Set between 0.00 and 4.00 marks." in response.text

    def test_a_running_attempt_is_a_409(self, client, kit):
        attempt = kit.start()
        saved = kit.answer(attempt, "single", choices=[1])
        client.force_login(kit.instructor)
        response = post(client, saved)
        assert response.status_code == 409
        assert "still running" in response.text

    def test_every_answer_of_a_finished_attempt_has_the_form(self, client, kit, ranked):
        client.force_login(kit.instructor)
        html = client.get(detail_url(ranked[0])).text
        assert html.count("Override the marks of question") == 6
