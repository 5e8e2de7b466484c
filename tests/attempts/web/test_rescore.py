"""The rescore banner of an exam's pages, its button, and the attempt history of the detail
page.

``ranked`` (web/conftest.py): ada 13 of 24 and bob 4 of 24, both completed. The single choice
question (key: choice 0) is the one whose marks change below.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import ExamQuestion
from assessments.services import exams_marking_changed
from attempts.models import Attempt, AttemptEvent
from tests.attempts.web.conftest import SUBMITTED, detail_url

D = Decimal


def change_single_marks(kit, marks):
    """What the admin does when an exam question's marks change."""
    ExamQuestion.objects.filter(pk=kit.eq["single"].pk).update(marks=D(marks))
    exams_marking_changed(exam_ids=[kit.exam.pk], now=SUBMITTED + timedelta(days=1))


def rescore_url(kit):
    return reverse("exam-rescore", args=[kit.exam.pk])


@pytest.mark.parametrize("page_name", ["exam-attempts", "exam-summary"])
class TestBanner:
    def test_no_banner_while_results_are_up_to_date(self, client, kit, ranked, page_name):
        client.force_login(kit.instructor)
        html = client.get(reverse(page_name, args=[kit.exam.pk])).content.decode()
        assert "rescore-banner" not in html

    def test_the_banner_counts_the_finished_attempts_scored_before_the_change(
        self, client, kit, ranked, page_name
    ):
        kit.start(kit.learner)  # a running attempt: scored at submit, not affected
        change_single_marks(kit, "10")
        client.force_login(kit.instructor)

        html = client.get(reverse(page_name, args=[kit.exam.pk])).content.decode()

        assert "rescore-banner" in html
        assert "2 finished attempts still have their old scores" in html
        assert "Rescore 2 attempts" in html
        assert f'action="{rescore_url(kit)}"' in html


class TestRescoreButton:
    def test_rescoring_stores_the_new_scores_and_clears_the_banner(self, client, kit, ranked):
        ada, bob = ranked
        change_single_marks(kit, "10")  # both answered it right: +6 each, max 24 -> 30
        client.force_login(kit.instructor)

        response = client.post(rescore_url(kit), {"from": "attempts"})

        assert response.status_code == 303
        assert response.url == reverse("exam-attempts", args=[kit.exam.pk])
        scores = dict(Attempt.objects.values_list("pk", "score"))
        assert (scores[ada.pk], scores[bob.pk]) == (D("19"), D("10"))
        page = client.get(response.url).content.decode()
        assert "Rescored 2 finished attempt(s)" in page
        assert "rescore-banner" not in page
        rescored = AttemptEvent.objects.filter(kind="rescored", actor=kit.instructor)
        assert rescored.count() == 2

    def test_a_large_exam_becomes_a_regrade_whose_page_follows(self, client, kit, ranked, settings):
        """Above ``REGRADE_INLINE_LIMIT`` finished attempts: a regrade, run by its task
        (inline without a broker), and the button leads to the regrade's page."""
        from attempts.models import Regrade
        from attempts.tasks import RESCORE_REASON

        settings.REGRADE_INLINE_LIMIT = 1
        ada, bob = ranked
        change_single_marks(kit, "10")
        client.force_login(kit.instructor)

        response = client.post(rescore_url(kit), {"from": "attempts"})

        regrade = Regrade.objects.get()
        assert response.status_code == 303
        assert response.url == reverse("regrade-detail", args=[regrade.pk])
        assert (regrade.reason, regrade.status, regrade.total, regrade.changed) == (
            RESCORE_REASON,
            "done",
            2,
            2,
        )
        scores = dict(Attempt.objects.values_list("pk", "score"))
        assert (scores[ada.pk], scores[bob.pk]) == (D("19"), D("10"))
        assert client.get(response.url).status_code == 200

    def test_a_regrade_under_way_is_said_and_nothing_rescored(self, client, kit, ranked, settings):
        from attempts.models import Regrade

        settings.REGRADE_INLINE_LIMIT = 1
        Regrade.objects.create(
            exam=kit.exam, reason="earlier", actor=kit.instructor, status="running", snapshot={}
        )
        change_single_marks(kit, "10")
        client.force_login(kit.instructor)

        response = client.post(rescore_url(kit), {"from": "attempts"}, follow=True)

        assert "A regrade of this exam is already under way" in response.text
        assert not AttemptEvent.objects.filter(kind__in=["rescored", "regraded"]).exists()

    def test_from_the_summary_it_goes_back_to_the_summary(self, client, kit, ranked):
        change_single_marks(kit, "10")
        client.force_login(kit.instructor)
        response = client.post(rescore_url(kit), {"from": "summary"})
        assert response.url == reverse("exam-summary", args=[kit.exam.pk])

    def test_learners_get_403(self, client, kit, ranked):
        client.force_login(kit.learner)
        assert client.post(rescore_url(kit)).status_code == 403

    def test_instructors_of_another_course_get_404(self, client, kit, ranked, outsider):
        client.force_login(outsider)
        assert client.post(rescore_url(kit)).status_code == 404

    def test_only_a_post_rescores(self, client, kit, ranked):
        client.force_login(kit.instructor)
        assert client.get(rescore_url(kit)).status_code == 405


class TestHistory:
    def test_reviewers_see_every_change_in_order(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.instructor)

        html = client.get(detail_url(attempt)).content.decode()

        history = html[
            html.index('id="history"') : html.index("</table>", html.index('id="history"'))
        ]
        kinds = [k for k in ("Started", "Answer saved", "Submitted") if k in history]
        assert kinds == ["Started", "Answer saved", "Submitted"]
        assert history.count("Answer saved") == 6  # five answers and the essay
        assert "Running → Pending evaluation" in history
        assert "ada" in history  # the learner made every change so far

    def test_learners_do_not_see_the_history(self, client, kit, pending):
        attempt, _ = pending
        client.force_login(kit.learner)
        html = client.get(detail_url(attempt)).content.decode()
        assert 'id="history"' not in html
