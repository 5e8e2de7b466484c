"""Forgiving an attempt: an event, off the retake limit, reviewers only; from the page and
the admin. And ``original_percentage``, kept from the first finish."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from attempts import services
from attempts.errors import AttemptLimitError, ConflictError, NotAllowedError
from attempts.models import Attempt, AttemptEvent, UserAnswer
from lms import access
from tests.admin_pages import url
from tests.factories import UserFactory
from tests.play import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(kit):
    kit.exam.max_attempts = 1
    kit.exam.save()
    return kit


def finished(kit):
    attempt = kit.start()
    return services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=5))


def test_a_forgiven_attempt_no_longer_counts_against_the_limit(limited):
    first = finished(limited)
    with pytest.raises(AttemptLimitError):
        limited.start(now=NOW + timedelta(minutes=10))
    services.attempt_forgive(attempt=first, actor=limited.instructor, now=NOW + timedelta(hours=1))
    second = limited.start(now=NOW + timedelta(hours=2))
    assert second.attempt_number == 2  # numbered after every attempt, forgiven or not
    services.attempt_submit(attempt=second, now=NOW + timedelta(hours=3))
    with pytest.raises(AttemptLimitError):
        limited.start(now=NOW + timedelta(hours=4))


def test_forgiving_records_one_event_and_twice_changes_nothing(kit):
    attempt = finished(kit)
    services.attempt_forgive(attempt=attempt, actor=kit.instructor, now=NOW + timedelta(hours=1))
    services.attempt_forgive(attempt=attempt, actor=kit.instructor, now=NOW + timedelta(hours=2))
    attempt.refresh_from_db()
    assert attempt.forgiven_at == NOW + timedelta(hours=1)
    (event,) = AttemptEvent.objects.filter(attempt=attempt, kind=AttemptEvent.Kind.FORGIVEN)
    assert (event.actor, event.state_before, event.state_after) == (
        kit.instructor,
        Attempt.State.COMPLETED,
        Attempt.State.COMPLETED,
    )


def test_only_a_reviewer_forgives_and_only_finished_attempts(kit):
    running = kit.start()
    with pytest.raises(NotAllowedError):
        services.attempt_forgive(attempt=running, actor=UserFactory())
    with pytest.raises(ConflictError):
        services.attempt_forgive(attempt=running, actor=kit.instructor)
    assert Attempt.objects.get(pk=running.pk).forgiven_at is None


def test_forgive_from_the_attempt_page(client, kit):
    attempt = finished(kit)
    client.force_login(kit.instructor)
    page = client.get(reverse("attempt-detail", args=[attempt.pk])).content.decode()
    assert reverse("attempt-forgive", args=[attempt.pk]) in page
    response = client.post(reverse("attempt-forgive", args=[attempt.pk]))
    assert response.status_code == 303
    assert Attempt.objects.get(pk=attempt.pk).forgiven_at is not None
    assert "Forgiven" in client.get(reverse("attempt-detail", args=[attempt.pk])).content.decode()


def test_a_learner_cannot_forgive_from_the_page(client, kit):
    attempt = finished(kit)
    client.force_login(kit.learner)
    assert client.post(reverse("attempt-forgive", args=[attempt.pk])).status_code == 403
    assert Attempt.objects.get(pk=attempt.pk).forgiven_at is None


def test_forgive_admin_action_skips_running_attempts(admin_client, kit):
    done, running = finished(kit), kit.start(kit.enrol("bob"))
    admin_client.post(
        url(Attempt, "changelist"),
        {"action": "forgive", "_selected_action": [done.pk, running.pk]},
    )
    forgiven = set(Attempt.objects.filter(forgiven_at__isnull=False).values_list("pk", flat=True))
    assert forgiven == {done.pk}
    assert AttemptEvent.objects.filter(kind=AttemptEvent.Kind.FORGIVEN).count() == 1


def test_original_percentage_is_kept_from_the_first_finish(kit):
    """Submitted with the essay pending: 4 of 24 (16.67 %); the essay marked 4 makes it 8 of
    24 (33.33 %): the original stays."""
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[0])
    kit.answer(attempt, "essay", text="An essay")
    assert Attempt.objects.get(pk=attempt.pk).original_percentage is None  # still running
    services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=5))
    assert Attempt.objects.get(pk=attempt.pk).original_percentage == Decimal("16.67")
    essay = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"])
    services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=Decimal("4"))
    stored = Attempt.objects.get(pk=attempt.pk)
    assert (stored.percentage, stored.original_percentage) == (Decimal("33.33"), Decimal("16.67"))


def test_forgiving_hides_the_key_again_until_the_last_attempt(kit):
    """Results wait for the last attempt: a forgiven attempt frees one, so the learner who may
    retake no longer sees the key (lms.access.learner_sees_results counts as the limit does)."""

    kit.exam.max_attempts = 1
    kit.exam.review_policy = kit.exam.ReviewPolicy.AFTER_LAST_ATTEMPT
    kit.exam.save()
    attempt = finished(kit)
    now = NOW + timedelta(hours=1)  # the exam is still open
    assert access.learner_sees_results(kit.learner, Attempt.objects.get(pk=attempt.pk), now=now)
    services.attempt_forgive(attempt=attempt, actor=kit.instructor)
    assert not access.learner_sees_results(kit.learner, Attempt.objects.get(pk=attempt.pk), now=now)


def test_the_migration_fills_the_original_percentage_of_finished_attempts(kit):
    """Attempts finished before the field existed take their percentage; running ones none."""

    migration = importlib.import_module("attempts.migrations.0006_original_grade_and_forgiven")
    done = finished(kit)
    running = kit.start(kit.enrol("bob"))
    Attempt.objects.filter(pk=done.pk).update(percentage=Decimal("41.50"))
    Attempt.objects.update(original_percentage=None)
    migration.fill_original_percentage(apps, None)
    stored = dict(Attempt.objects.values_list("pk", "original_percentage"))
    assert stored == {done.pk: Decimal("41.50"), running.pk: None}
