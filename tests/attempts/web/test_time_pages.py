"""Overdue attempts and time on the pages: the Overdue label (list, attempt page, my
attempts), "finalize now" from the list, extending one attempt's deadline, not-started
attempts, and the user's display time zone (preferences page and middleware).

Kit exam: 60 minutes. Attempts started at the kit's NOW (2026-10-01 09:00 UTC) are long past
their deadline by the wall clock the pages read, so they are overdue; attempts started at the
wall clock's now are not.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Exam
from attempts import services
from attempts.models import Attempt, AttemptEvent
from tests.attempts.conftest import NOW
from tests.attempts.web.conftest import detail_url, summary
from tests.factories import CourseFactory, UserFactory

HOUR = timedelta(minutes=60)


def list_url(exam, query=""):
    return reverse("exam-attempts", args=[exam.pk]) + query


def finalize_url(exam):
    return reverse("exam-attempts-finalize", args=[exam.pk])


def extend_url(attempt):
    return reverse("attempt-extend", args=[attempt.pk])


@pytest.fixture
def overdue(kit):
    """ada's attempt, started at the kit's NOW: months past its 60-minute deadline."""
    return kit.start()


@pytest.fixture
def on_time(kit):
    """bob's attempt, started a minute ago by the wall clock (the exam kept open till then)."""
    Exam.objects.filter(pk=kit.exam.pk).update(closes_at=timezone.now() + timedelta(days=1))
    kit.exam.refresh_from_db()
    return kit.start(kit.enrol("bob"), now=timezone.now() - timedelta(minutes=1))


def states(response) -> dict[str, str]:
    table = response.context["table"]
    return {row.record.user.username: row.get_cell_value("state") for row in table.rows}


class TestOverdueLabel:
    def test_the_list_labels_overdue_attempts_and_offers_finalize_now(
        self, client, kit, overdue, on_time
    ):
        client.force_login(kit.instructor)
        response = client.get(list_url(kit.exam))
        assert states(response) == {"ada": "Overdue", "bob": "Running"}
        html = response.content.decode()
        assert f'name="attempt" value="{overdue.pk}"' in html
        assert f'name="attempt" value="{on_time.pk}"' not in html  # not overdue: no box
        assert 'id="finalize-now"' in html

    def test_no_finalize_form_without_overdue_attempts(self, client, kit, on_time):
        client.force_login(kit.instructor)
        assert 'id="finalize-now"' not in client.get(list_url(kit.exam)).content.decode()

    def test_the_attempt_page_says_overdue_and_caps_the_time_taken(self, client, kit, overdue):
        client.force_login(kit.instructor)
        response = client.get(detail_url(overdue))
        figures = summary(response)
        assert figures["State"] == "Overdue"
        # Months by the clock; 1:00:30 (the hour and the 30-second grace) by the rules.
        assert figures["Time taken"] == "1:00:30"
        assert figures["Remaining time"] == "0:00:00"
        assert 'id="overdue"' in response.content.decode()

    def test_the_learner_sees_overdue_in_their_list(self, client, kit, overdue):
        client.force_login(kit.learner)
        assert "badge-overdue" in client.get(reverse("my-attempts")).content.decode()

    def test_the_api_state_text_is_unchanged(self, kit, overdue):
        # The pages' label is not the contract's state: the model's state stays running.
        assert overdue.get_state_display() == "Running"


class TestFinalizeNow:
    def test_finalizes_the_selected_overdue_attempts_at_their_deadline(
        self, client, kit, overdue, on_time
    ):
        client.force_login(kit.instructor)
        response = client.post(
            finalize_url(kit.exam), {"attempt": [overdue.pk, on_time.pk], "query": "state=0"}
        )
        assert response.status_code == 303
        assert response.url == list_url(kit.exam, "?state=0")
        overdue.refresh_from_db()
        on_time.refresh_from_db()
        assert overdue.state == Attempt.State.COMPLETED
        assert overdue.completed_at == overdue.deadline_at  # time taken: the hour
        assert on_time.state == Attempt.State.RUNNING  # not overdue: left alone
        event = AttemptEvent.objects.filter(attempt=overdue).last()
        assert (event.kind, event.actor) == (AttemptEvent.Kind.FINALIZED, kit.instructor)
        page = client.get(response.url).content.decode()
        assert "Finalized 1 overdue attempt." in page
        assert "1 selected attempt(s) were no longer overdue" in page

    @pytest.mark.parametrize("chosen", [[], ["abc"], ["1e3"], ["99999999999999999999"]])
    def test_nothing_or_a_bad_id_is_a_400(self, client, kit, overdue, chosen):
        client.force_login(kit.instructor)
        response = client.post(finalize_url(kit.exam), {"attempt": chosen})
        assert response.status_code == 400
        assert "Select at least one overdue attempt" in response.content.decode()
        assert Attempt.objects.get(pk=overdue.pk).state == Attempt.State.RUNNING

    def test_a_learner_gets_403_and_another_instructor_404(self, client, kit, overdue):
        client.force_login(kit.learner)
        assert client.post(finalize_url(kit.exam), {"attempt": [overdue.pk]}).status_code == 403
        other = UserFactory()
        CourseFactory(instructors=[other])
        client.force_login(other)
        assert client.post(finalize_url(kit.exam), {"attempt": [overdue.pk]}).status_code == 404
        assert Attempt.objects.get(pk=overdue.pk).state == Attempt.State.RUNNING

    def test_get_is_not_allowed(self, client, kit):
        client.force_login(kit.instructor)
        assert client.get(finalize_url(kit.exam)).status_code == 405


class TestExtendDeadline:
    def test_an_instructor_gives_a_running_attempt_more_minutes(self, client, kit, on_time):
        client.force_login(kit.instructor)
        before = on_time.deadline_at
        assert 'id="extend"' in client.get(detail_url(on_time)).content.decode()
        response = client.post(extend_url(on_time), {"minutes": "15"})
        assert response.status_code == 303
        on_time.refresh_from_db()
        assert on_time.deadline_at == before + timedelta(minutes=15)
        page = client.get(detail_url(on_time)).content.decode()
        assert "The deadline is now" in page
        assert "Deadline extended" in page  # in the history

    def test_an_overdue_attempt_given_enough_minutes_is_running_again(self, client, kit, on_time):
        client.force_login(kit.instructor)
        Attempt.objects.filter(pk=on_time.pk).update(
            deadline_at=timezone.now() - timedelta(minutes=5)
        )
        assert client.post(extend_url(on_time), {"minutes": "30"}).status_code == 303
        on_time.refresh_from_db()
        assert not on_time.is_overdue()

    @pytest.mark.parametrize(
        ("minutes", "message"),
        [
            ("", "This field is required."),
            ("abc", "Enter a whole number."),
            ("0", "Ensure this value is greater than or equal to 1."),
            ("1441", "Ensure this value is less than or equal to 1440."),
        ],
    )
    def test_bad_minutes_stay_on_the_page_with_a_400(self, client, kit, on_time, minutes, message):
        client.force_login(kit.instructor)
        response = client.post(extend_url(on_time), {"minutes": minutes})
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="extend-errors"' in html
        assert message in html
        assert Attempt.objects.get(pk=on_time.pk).deadline_at == on_time.deadline_at

    def test_too_few_minutes_for_an_overdue_attempt_is_the_services_400(self, client, kit, overdue):
        client.force_login(kit.instructor)
        response = client.post(extend_url(overdue), {"minutes": "5"})
        assert response.status_code == 400
        assert "would still be past" in response.content.decode()

    def test_a_finished_attempt_is_a_409(self, client, kit, on_time):
        services.attempt_submit(attempt=on_time)
        client.force_login(kit.instructor)
        assert client.post(extend_url(on_time), {"minutes": "5"}).status_code == 409

    def test_the_learner_and_other_instructors_get_404(self, client, kit, overdue):
        for user in (kit.learner, CourseFactory(instructors=[UserFactory()]).instructors.get()):
            client.force_login(user)
            assert client.post(extend_url(overdue), {"minutes": "5"}).status_code == 404
        assert 'id="extend"' not in client.get(detail_url(overdue)).content.decode()


class TestNotStarted:
    def test_shows_no_start_and_the_exams_time_limit(self, client, kit):
        opened = services.attempt_open(user=kit.learner, exam=kit.exam, now=NOW)
        client.force_login(kit.instructor)
        response = client.get(detail_url(opened))
        figures = summary(response)
        assert figures["Time limit"] == "1:00:00"
        assert "Remaining time" not in figures
        assert figures["Time taken"] == "—"
        assert "not started" in response.content.decode()
        listed = client.get(list_url(kit.exam)).context["table"]
        assert [row.get_cell("started_at") for row in listed.rows] == ["—"]


class TestTimeZone:
    def test_times_show_in_the_users_zone_with_its_name(self, client, kit, overdue):
        kit.instructor.time_zone = "Asia/Kolkata"
        kit.instructor.save()
        client.force_login(kit.instructor)
        # Started 2026-10-01 09:00 UTC = 14:30 in India (UTC+5:30).
        html = client.get(list_url(kit.exam)).content.decode()
        assert "2026-10-01 14:30 IST" in html
        assert "09:00" not in html
        assert "started 2026-10-01 14:30 IST" in client.get(detail_url(overdue)).content.decode()

    def test_utc_by_default(self, client, kit, overdue):
        client.force_login(kit.instructor)
        assert "2026-10-01 09:00 UTC" in client.get(list_url(kit.exam)).content.decode()

    def test_the_preferences_page_stores_the_zone(self, client, kit):
        client.force_login(kit.instructor)
        assert client.get(reverse("preferences")).status_code == 200
        response = client.post(reverse("preferences"), {"time_zone": "Europe/Paris"})
        assert response.status_code == 302
        kit.instructor.refresh_from_db()
        assert kit.instructor.time_zone == "Europe/Paris"

    @pytest.mark.parametrize("zone", ["Mars/Olympus", "", "localtime"])
    def test_an_unknown_zone_is_a_400_beside_the_field(self, client, kit, zone):
        client.force_login(kit.instructor)
        response = client.post(reverse("preferences"), {"time_zone": zone})
        assert response.status_code == 400
        assert 'class="errorlist"' in response.content.decode()
        kit.instructor.refresh_from_db()
        assert kit.instructor.time_zone == "UTC"

    def test_anonymous_is_sent_to_sign_in(self, client):
        assert client.get(reverse("preferences")).status_code == 302

    def test_the_zone_is_only_for_the_request(self, client, kit, overdue):
        kit.instructor.time_zone = "Asia/Kolkata"
        kit.instructor.save()
        client.force_login(kit.instructor)
        response = client.get(reverse("preferences"))
        assert response.status_code == 200
        assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the page
