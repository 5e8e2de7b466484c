"""``Idempotency-Key`` on the POSTs: a retry returns the first answer and creates nothing."""

from datetime import timedelta

from django.utils import timezone

from assessments.models import Exam
from attempts.models import Attempt, IdempotencyKey
from tests.attempts.api.submissions.conftest import (
    LIST,
    client_for,
    crs,
    enrol,
    sheet,
    submissions_url,
)


def post(user, url, body, key):
    return client_for(user).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


class TestSubmissions:
    def test_a_retry_returns_the_first_answer_and_creates_nothing(self, open_kit):
        kit = open_kit
        url, body = submissions_url(kit.exam), sheet(kit, single=[0], numeric=9.81)
        first = post(kit.learner, url, body, "retry-1")
        assert first.status_code == 201
        assert "Idempotent-Replayed" not in first
        again = post(kit.learner, url, body, "retry-1")
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert Attempt.objects.filter(user=kit.learner).count() == 1

    def test_the_same_key_with_another_body_is_a_422(self, open_kit):
        kit = open_kit
        url = submissions_url(kit.exam)
        post(kit.learner, url, sheet(kit, single=[0]), "k")
        response = post(kit.learner, url, sheet(kit, single=[1]), "k")
        assert response.status_code == 422
        assert response.json()["type"] == "/api/v1/problems/idempotency-key-reused"
        assert Attempt.objects.filter(user=kit.learner).count() == 1

    def test_keys_are_per_user(self, open_kit):
        kit = open_kit
        other = enrol(kit, "grace")
        url, body = submissions_url(kit.exam), sheet(kit, single=[0])
        mine, theirs = post(kit.learner, url, body, "k"), post(other, url, body, "k")
        assert mine.json()["id"] != theirs.json()["id"]

    def test_a_refused_request_stores_nothing_and_may_be_retried(self, open_kit):
        kit = open_kit
        Exam.objects.filter(pk=kit.exam.pk).update(status=Exam.Status.DRAFT)
        url, body = submissions_url(kit.exam), sheet(kit, single=[0])
        assert post(kit.learner, url, body, "k").status_code == 403
        assert not IdempotencyKey.objects.exists()
        Exam.objects.filter(pk=kit.exam.pk).update(status=Exam.Status.PUBLISHED)
        assert post(kit.learner, url, body, "k").status_code == 201

    def test_a_key_expires_after_24_hours(self, open_kit):
        kit = open_kit
        url, body = submissions_url(kit.exam), sheet(kit, single=[0])
        first = post(kit.learner, url, body, "daily")
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
        second = post(kit.learner, url, body, "daily")
        assert second.status_code == 201
        assert "Idempotent-Replayed" not in second
        assert second.json()["id"] != first.json()["id"]
        (key,) = IdempotencyKey.objects.all()
        assert timezone.now() - key.created_at < timedelta(minutes=1)

    def test_a_key_of_23_hours_still_replays(self, open_kit):
        kit = open_kit
        url, body = submissions_url(kit.exam), sheet(kit, single=[0])
        first = post(kit.learner, url, body, "daily")
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23))
        assert post(kit.learner, url, body, "daily").json()["id"] == first.json()["id"]

    def test_an_overlong_key_is_a_400(self, open_kit):
        response = post(
            open_kit.learner, submissions_url(open_kit.exam), {"answers": []}, "k" * 256
        )
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["Idempotency-Key"]


def test_creating_an_assessment_is_idempotent_too(open_kit):
    body = {"course_id": crs(open_kit.course), "title": "Quiz", "passing_score": 60}
    first = post(open_kit.instructor, LIST, body, "new-quiz")
    again = post(open_kit.instructor, LIST, body, "new-quiz")
    assert again.json() == first.json()
    assert Exam.objects.filter(title="Quiz").count() == 1
