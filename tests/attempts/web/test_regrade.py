"""The regrade pages: preview, commit, progress, undo; who may use them and what bad input
gets.

``ranked`` (conftest.py): ada 13 of 24 (pass), bob 4 of 24 (fail), both completed. The marks
of the single choice question (both answered it right) go from 4 to 10 in ``raise_marks``:
ada 19 of 30 (pass), bob 10 of 30 (fail).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from kombu.exceptions import OperationalError

from assessments.models import ExamQuestion
from assessments.services import exams_marking_changed
from attempts import services
from attempts.models import Attempt, AttemptEvent, Regrade
from tests.attempts.web.conftest import SUBMITTED

D = Decimal


def raise_marks(kit):
    ExamQuestion.objects.filter(pk=kit.eq["single"].pk).update(marks=D("10"))
    exams_marking_changed(exam_ids=[kit.exam.pk], now=SUBMITTED + timedelta(days=1))


def preview_url(kit, query=""):
    return reverse("exam-regrade", args=[kit.exam.pk]) + (f"?{query}" if query else "")


def totals(response) -> dict[str, str]:
    html = response.content.decode()
    block = re.search(r'id="regrade-totals".*?</section>', html, re.S).group(0)
    return dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", block))


def rows(response) -> list[list[str]]:
    html = response.content.decode()
    body = re.search(r'<table id="regrade-rows">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def commit(client, kit, reason="Q1 is worth 10", follow=False, **extra):
    return client.post(preview_url(kit), {"reason": reason, **extra}, follow=follow)


class TestWho:
    @pytest.mark.parametrize(
        ("method", "name"),
        [("get", "exam-regrade"), ("post", "exam-regrade")],
    )
    def test_anonymous_users_are_sent_to_sign_in(self, client, kit, method, name):
        response = getattr(client, method)(reverse(name, args=[kit.exam.pk]))
        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_learners_get_403(self, client, kit, ranked):
        client.force_login(kit.learner)
        assert client.get(preview_url(kit)).status_code == 403
        assert commit(client, kit).status_code == 403
        regrade = services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="x")
        assert client.get(reverse("regrade-detail", args=[regrade.pk])).status_code == 403
        assert client.post(reverse("regrade-undo", args=[regrade.pk])).status_code == 403

    def test_instructors_of_another_course_get_404_and_nothing_changes(
        self, client, kit, ranked, outsider
    ):
        regrade = services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="x")
        client.force_login(outsider)
        assert client.get(preview_url(kit)).status_code == 404
        assert commit(client, kit).status_code == 404
        assert client.get(reverse("regrade-detail", args=[regrade.pk])).status_code == 404
        assert client.post(reverse("regrade-undo", args=[regrade.pk])).status_code == 404
        assert Regrade.objects.count() == 1

    def test_an_unknown_exam_is_404(self, client, kit):
        client.force_login(kit.instructor)
        assert client.get(reverse("exam-regrade", args=[999999])).status_code == 404


class TestPreview:
    def test_the_preview_shows_totals_and_each_changed_attempt(self, client, kit, ranked):
        raise_marks(kit)
        client.force_login(kit.instructor)

        response = client.get(preview_url(kit))

        assert response.status_code == 200
        assert totals(response) == {
            "Finished attempts": "2",
            "Results that change": "2",
            "Pass → fail": "0",
            "Fail → pass": "0",
            "Ranked learners": "2 → 2",
        }
        learner, number, *figures = rows(response)[0]
        assert figures == ["13.00", "19.00", "Pass", "Pass", "1", "1", "100.00", "100.00"]
        assert rows(response)[1][2:] == [
            "4.00",
            "10.00",
            "Fail",
            "Fail",
            "2",
            "2",
            "50.00",
            "50.00",
        ]
        assert Attempt.objects.get(pk=ranked[0].pk).score == D("13.00")  # nothing written

    def test_unchanged_attempts_show_only_when_asked(self, client, kit, ranked):
        client.force_login(kit.instructor)
        assert "No attempt's result would change" in client.get(preview_url(kit)).text
        assert len(rows(client.get(preview_url(kit, "show=all")))) == 2

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("page=abc", "Enter a whole number"),
            ("page=0", "greater than or equal to 1"),
            ("page=99", "There is no page 99"),
            ("show=everything", "Select a valid choice"),
            ("per_page=100000", "less than or equal to 200"),
        ],
    )
    def test_a_bad_query_is_a_400_with_its_message(self, client, kit, ranked, query, message):
        client.force_login(kit.instructor)
        response = client.get(preview_url(kit, query))
        assert response.status_code == 400
        assert message in response.text
        assert 'id="preview-errors"' in response.text

    @pytest.mark.parametrize("learners", [2, 5])
    def test_the_page_runs_the_same_queries_whatever_the_attempts(
        self, client, kit, learners, django_assert_num_queries
    ):
        for n in range(learners):
            attempt = kit.start(kit.enrol(f"l{n}"))
            kit.answer(attempt, "single", choices=[0])
            services.attempt_submit(attempt=attempt)
        raise_marks(kit)
        client.force_login(kit.instructor)
        # session, user, is_reviewer, the exam + course, the recent regrades; the preview:
        # exam questions + questions, key choices, attempts, answers with their choices (a
        # second query for the choices but on PostgreSQL); the page's learners
        with django_assert_num_queries(10 if connection.vendor == "postgresql" else 11):
            assert client.get(preview_url(kit)).status_code == 200


class TestCommit:
    def test_commit_regrades_then_shows_the_regrade(self, client, kit, ranked):
        raise_marks(kit)
        client.force_login(kit.instructor)

        response = commit(client, kit)

        regrade = Regrade.objects.get()
        assert response.status_code == 303
        assert response["Location"] == reverse("regrade-detail", args=[regrade.pk])
        assert (regrade.status, regrade.reason, regrade.actor) == (
            "done",
            "Q1 is worth 10",
            kit.instructor,
        )
        assert sorted(Attempt.objects.values_list("score", flat=True)) == [D("10"), D("19")]
        page = client.get(response["Location"])
        assert 'id="regrade-status">Done<' in page.text
        assert 'http-equiv="refresh"' not in page.text
        assert "Undo this regrade" in page.text

    def test_a_large_exam_goes_to_the_celery_task(self, client, kit, ranked, settings, monkeypatch):
        settings.REGRADE_INLINE_LIMIT = 1  # 2 attempts: "large"
        sent = []
        monkeypatch.setattr("attempts.tasks.regrade_exam.delay", sent.append)
        client.force_login(kit.instructor)

        response = commit(client, kit)

        regrade = Regrade.objects.get()
        assert sent == [regrade.pk]
        assert regrade.status == "queued"  # the worker has not picked it up
        page = client.get(response["Location"])
        assert '<meta http-equiv="refresh" content="2">' in page.text
        assert '<progress id="regrade-progress" value="0" max="2">' in page.text

    def test_a_broker_that_does_not_answer_fails_the_regrade_with_a_message(
        self, client, kit, ranked, settings, monkeypatch
    ):
        settings.REGRADE_INLINE_LIMIT = 1

        def refuse(regrade_id):
            raise OperationalError("Connection refused")

        monkeypatch.setattr("attempts.tasks.regrade_exam.delay", refuse)
        client.force_login(kit.instructor)

        page = commit(client, kit, follow=True)

        assert "The task queue did not answer" in page.text
        assert Regrade.objects.get().status == "failed"
        assert commit(client, kit).status_code == 303  # a failed regrade blocks no other

    def test_a_missing_reason_is_a_400_beside_the_field(self, client, kit, ranked):
        client.force_login(kit.instructor)
        response = commit(client, kit, reason="   ")
        assert response.status_code == 400
        assert "Say why the exam is regraded." in response.text
        assert not Regrade.objects.exists()

    def test_a_second_regrade_while_one_runs_is_a_409(self, client, kit, ranked):
        services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="queued")
        client.force_login(kit.instructor)
        response = commit(client, kit)
        assert response.status_code == 409
        assert "already under way" in response.text

    def test_clearing_overrides_is_carried_to_the_commit(self, client, kit, ranked):
        client.force_login(kit.instructor)
        page = client.get(preview_url(kit, "clear_overrides=on"))
        assert 'name="clear_overrides" value="True"' in page.text
        commit(client, kit, clear_overrides="True")
        assert Regrade.objects.get().clear_overrides


class TestUndo:
    def test_undo_restores_the_scores_and_says_so(self, client, kit, ranked):
        raise_marks(kit)
        client.force_login(kit.instructor)
        commit(client, kit)
        regrade = Regrade.objects.get()

        response = client.post(reverse("regrade-undo", args=[regrade.pk]), follow=True)

        assert response.redirect_chain == [(reverse("regrade-detail", args=[regrade.pk]), 303)]
        assert "Regrade undone: 2 attempt(s)" in response.text
        assert sorted(Attempt.objects.values_list("score", flat=True)) == [D("4"), D("13")]
        assert AttemptEvent.objects.filter(kind="regrade_undone").count() == 2

    def test_undoing_twice_is_a_409_with_the_reason(self, client, kit, ranked):
        client.force_login(kit.instructor)
        commit(client, kit)
        undo = reverse("regrade-undo", args=[Regrade.objects.get().pk])
        client.post(undo)
        response = client.post(undo)
        assert response.status_code == 409
        assert "This regrade is undone." in response.text


class TestLinks:
    def test_the_banner_and_the_summary_lead_to_the_preview(self, client, kit, ranked):
        raise_marks(kit)
        client.force_login(kit.instructor)
        for name in ("exam-attempts", "exam-summary"):
            html = client.get(reverse(name, args=[kit.exam.pk])).text
            assert f'href="{preview_url(kit)}"' in html

    def test_the_admins_exam_page_leads_to_the_preview_while_results_are_stale(
        self, admin_client, kit, ranked
    ):
        raise_marks(kit)
        html = admin_client.get(reverse("admin:assessments_exam_change", args=[kit.exam.pk])).text
        assert f'href="{preview_url(kit)}"' in html

    def test_the_admins_question_page_links_the_exams_placing_it(self, admin_client, kit):
        question = kit.eq["single"].question_id
        html = admin_client.get(reverse("admin:assessments_question_change", args=[question]))
        assert f'href="{preview_url(kit)}"' in html.text

    def test_an_unknown_question_id_in_the_admin_is_not_an_error(self, admin_client, kit):
        response = admin_client.get("/admin/assessments/question/abc/change/")
        assert response.status_code == 302  # the admin's own "does not exist" redirect
