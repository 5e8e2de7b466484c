"""Time on the clock: extending one attempt's deadline, accommodations applied at start, and
a finalized attempt's time taken capped at the time allowed plus the grace.

Kit: 60 minutes, started at NOW (deadline NOW + 60 min); grace 30 seconds.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from attempts import services
from attempts.errors import AttemptNotRunningError, InvalidAnswerError, NotAllowedError
from attempts.models import Accommodation, Attempt, AttemptEvent
from tests.attempts.conftest import NOW
from tests.factories import UserFactory

D = Decimal
HOUR = timedelta(minutes=60)
GRACE = services.DEADLINE_GRACE


class TestOverdue:
    def test_a_running_attempt_is_overdue_only_past_its_deadline(self, kit):
        attempt = kit.start()
        assert not attempt.is_overdue(NOW + HOUR)
        assert attempt.state_label(NOW + HOUR) == "Running"
        assert attempt.is_overdue(NOW + HOUR + timedelta(seconds=1))
        assert attempt.state_label(NOW + HOUR + timedelta(seconds=1)) == "Overdue"

    def test_time_taken_of_a_forgotten_running_attempt_stops_at_the_deadline_and_grace(self, kit):
        attempt = kit.start()
        # 2022 hours later the clock says 2022:00:00; the attempt stopped at 1:00:30.
        assert attempt.time_taken(NOW + timedelta(hours=2022)) == HOUR + GRACE

    def test_submitting_an_overdue_attempt_completes_it_at_its_deadline(self, kit):
        attempt = kit.start()
        done = services.attempt_submit(attempt=attempt, now=NOW + timedelta(days=3))
        assert done.completed_at == NOW + HOUR
        assert done.time_taken() == HOUR

    def test_a_submit_within_the_grace_keeps_its_own_time(self, kit):
        attempt = kit.start()
        done = services.attempt_submit(attempt=attempt, now=NOW + HOUR + GRACE)
        assert done.completed_at == NOW + HOUR + GRACE

    def test_finalize_now_of_an_overdue_attempt_completes_it_at_its_deadline(self, kit):
        attempt = kit.start()
        on_time = kit.start(kit.enrol("bob"), now=NOW + timedelta(minutes=50))
        later = NOW + timedelta(minutes=90)
        assert (
            services.attempts_finalize(
                attempt_ids=[attempt.pk, on_time.pk], actor=kit.instructor, now=later
            )
            == 2
        )
        attempt.refresh_from_db()
        on_time.refresh_from_db()
        assert attempt.completed_at == NOW + HOUR  # 30 minutes overdue: stops at deadline
        assert on_time.completed_at == later  # 40 of its 60 minutes used
        assert attempt.time_taken() == HOUR
        assert on_time.time_taken() == timedelta(minutes=40)


class TestExtendDeadline:
    def test_moves_the_deadline_and_records_who_and_how_much(self, kit):
        attempt = kit.start()
        services.attempt_extend_deadline(
            attempt=attempt, minutes=15, actor=kit.instructor, now=NOW + timedelta(minutes=50)
        )
        attempt.refresh_from_db()
        assert attempt.deadline_at == NOW + timedelta(minutes=75)
        event = AttemptEvent.objects.filter(attempt=attempt).last()
        assert event.kind == AttemptEvent.Kind.EXTENDED
        assert event.actor == kit.instructor
        assert event.details["minutes"] == 15
        assert event.details["deadline_after"] == (NOW + timedelta(minutes=75)).isoformat()
        # The learner can answer in the extra time now.
        kit.answer(attempt, "single", choices=[0], now=NOW + timedelta(minutes=70))

    def test_an_overdue_attempt_can_be_extended_past_now(self, kit):
        attempt = kit.start()
        services.attempt_extend_deadline(
            attempt=attempt, minutes=20, actor=kit.instructor, now=NOW + timedelta(minutes=70)
        )
        attempt.refresh_from_db()
        assert not attempt.is_overdue(NOW + timedelta(minutes=70))

    def test_an_extension_that_leaves_the_deadline_past_is_refused(self, kit):
        attempt = kit.start()
        with pytest.raises(InvalidAnswerError, match="still be past") as refused:
            services.attempt_extend_deadline(
                attempt=attempt, minutes=5, actor=kit.instructor, now=NOW + 2 * HOUR
            )
        assert refused.value.field == "minutes"
        assert Attempt.objects.get(pk=attempt.pk).deadline_at == NOW + HOUR

    @pytest.mark.parametrize("minutes", [0, -5, 1441, True])
    def test_minutes_out_of_range_are_refused(self, kit, minutes):
        attempt = kit.start()
        with pytest.raises(InvalidAnswerError):
            services.attempt_extend_deadline(
                attempt=attempt, minutes=minutes, actor=kit.instructor, now=NOW
            )

    def test_only_a_reviewer_of_the_course_extends(self, kit):
        attempt = kit.start()
        with pytest.raises(NotAllowedError):
            services.attempt_extend_deadline(
                attempt=attempt, minutes=5, actor=UserFactory(), now=NOW
            )
        with pytest.raises(NotAllowedError):
            services.attempt_extend_deadline(attempt=attempt, minutes=5, actor=kit.learner, now=NOW)

    def test_a_finished_attempt_is_not_extended(self, kit):
        attempt = services.attempt_submit(attempt=kit.start(), now=NOW)
        with pytest.raises(AttemptNotRunningError):
            services.attempt_extend_deadline(
                attempt=attempt, minutes=5, actor=kit.instructor, now=NOW
            )


class TestAccommodation:
    def test_time_and_a_half_plus_ten_minutes_applies_at_start(self, kit):
        services.accommodation_set(
            user=kit.learner,
            exam=kit.exam,
            actor=kit.instructor,
            time_multiplier=D("1.5"),
            extra_minutes=10,
            now=NOW,
        )
        attempt = kit.start()
        # 60 × 1.5 + 10 = 100 minutes.
        assert attempt.deadline_at == NOW + timedelta(minutes=100)
        started = AttemptEvent.objects.get(attempt=attempt, kind=AttemptEvent.Kind.STARTED)
        assert started.details["accommodation"] == {
            "time_multiplier": "1.50",
            "extra_minutes": 10,
            "seconds_allowed": 6000,
        }

    def test_other_learners_keep_the_exams_time(self, kit):
        services.accommodation_set(
            user=kit.learner, exam=kit.exam, actor=kit.instructor, extra_minutes=30
        )
        other = kit.start(kit.enrol("bob"))
        assert other.deadline_at == NOW + HOUR

    def test_an_opened_attempt_gets_it_when_started(self, kit):
        services.attempt_open(user=kit.learner, exam=kit.exam, now=NOW)
        services.accommodation_set(
            user=kit.learner, exam=kit.exam, actor=kit.instructor, extra_minutes=15
        )
        attempt = services.attempt_start(user=kit.learner, exam=kit.exam, now=NOW)
        assert attempt.deadline_at == NOW + timedelta(minutes=75)

    def test_setting_again_replaces_it(self, kit):
        for minutes in (10, 20):
            services.accommodation_set(
                user=kit.learner, exam=kit.exam, actor=kit.instructor, extra_minutes=minutes
            )
        assert Accommodation.objects.get().extra_minutes == 20

    @pytest.mark.parametrize(
        ("given", "field"),
        [
            ({"time_multiplier": D("0.5")}, "time_multiplier"),
            ({"time_multiplier": D("5.01")}, "time_multiplier"),
            ({"extra_minutes": 1441}, "extra_minutes"),
        ],
    )
    def test_out_of_range_is_refused(self, kit, given, field):
        with pytest.raises(InvalidAnswerError) as refused:
            services.accommodation_set(
                user=kit.learner, exam=kit.exam, actor=kit.instructor, **given
            )
        assert refused.value.field == field
        assert not Accommodation.objects.exists()

    def test_only_a_reviewer_of_the_course_gives_it(self, kit):
        with pytest.raises(NotAllowedError):
            services.accommodation_set(
                user=kit.learner, exam=kit.exam, actor=UserFactory(), extra_minutes=5
            )
