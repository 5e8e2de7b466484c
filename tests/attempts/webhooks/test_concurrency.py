"""Several deliveries in flight at once: a slow endpoint holds only its own slots, the cap per
endpoint holds, and an endpoint with one slot gets its messages in sequence order."""

import json
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from attempts.webhooks import delivery
from attempts.webhooks.models import DeliveryAttempt, Endpoint, Message
from tests.attempts.webhooks.receiver import receiver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    return UserFactory(username="owner")


def queue(endpoint, count, *, due):
    """``count`` pending messages for ``endpoint``, due at ``due``, ``sequence`` 0, 1, 2…"""
    Message.objects.bulk_create(
        Message(
            endpoint=endpoint,
            event_type="attempt.completed",
            payload={"type": "attempt.completed", "sequence": n, "data": {}},
            next_try_at=due,
        )
        for n in range(count)
    )


def test_a_slow_endpoint_does_not_hold_up_a_fast_one(owner, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_DELIVERY_THREADS, settings.WEBHOOK_ENDPOINT_CONCURRENCY = 4, 2
    now = timezone.now()
    with receiver() as slow, receiver() as fast:
        slow.delay = 1.5  # every try times out
        # The slow endpoint's messages are due first: sent one after another, the fast
        # endpoint's would wait behind four timeouts.
        queue(Endpoint.objects.create(owner=owner, url=slow.url), 4, due=now - timedelta(1))
        queue(Endpoint.objects.create(owner=owner, url=fast.url), 10, due=now)
        started = time.monotonic()
        assert delivery.deliver_due() == 14
        elapsed = time.monotonic() - started
        # All ten reached the fast receiver before the first slow try timed out.
        assert len(fast.received) == 10
        assert max(fast.arrived) - started < settings.WEBHOOK_TIMEOUT_SECONDS
        # The slow endpoint's four tries ran two at a time: two, then two more a timeout
        # later (the receiver holds each a while longer, so it counts more at once).
        waves = [round(at - started) for at in sorted(slow.arrived)]
        assert waves == [0, 0, 1, 1]
        assert 2 * 1 <= elapsed < 3 * 1
    tries = DeliveryAttempt.objects.values_list("endpoint__url", "succeeded")
    assert set(tries) == {(slow.url, False), (fast.url, True)}
    assert DeliveryAttempt.objects.filter(error__contains="ReadTimeout").count() == 4


def test_the_cap_on_one_endpoint_holds(owner, settings):
    settings.WEBHOOK_DELIVERY_THREADS, settings.WEBHOOK_ENDPOINT_CONCURRENCY = 8, 3
    with receiver() as hook, receiver() as other:
        hook.delay = other.delay = 0.3
        queue(Endpoint.objects.create(owner=owner, url=hook.url), 10, due=timezone.now())
        queue(Endpoint.objects.create(owner=owner, url=other.url), 10, due=timezone.now())
        assert delivery.deliver_due() == 20
    # Three at a time each (the 8 threads could have taken more), never more.
    assert (hook.most_in_flight, other.most_in_flight) == (3, 3)
    assert Message.objects.filter(status="delivered").count() == 20


def test_with_one_slot_an_endpoint_gets_its_messages_in_sequence_order(owner, settings):
    settings.WEBHOOK_ENDPOINT_CONCURRENCY = 1
    with receiver() as hook:
        queue(Endpoint.objects.create(owner=owner, url=hook.url), 12, due=timezone.now())
        assert delivery.deliver_due() == 12
    assert [json.loads(body)["sequence"] for _, body in hook.received] == list(range(12))
    assert hook.most_in_flight == 1


def test_the_limit_bounds_one_pass(owner, settings):
    with receiver() as hook:
        queue(Endpoint.objects.create(owner=owner, url=hook.url), 7, due=timezone.now())
        assert delivery.deliver_due(limit=5) == 5
        assert delivery.deliver_due(limit=5) == 2
        assert delivery.deliver_due(limit=5) == 0
    assert len(hook.received) == 7


def test_a_claim_is_three_queries_and_respects_the_cap(owner, django_assert_num_queries):
    first = Endpoint.objects.create(owner=owner, url="http://127.0.0.1:9/a")
    second = Endpoint.objects.create(owner=owner, url="http://127.0.0.1:9/b")
    now = timezone.now()
    queue(first, 5, due=now - timedelta(seconds=1))
    queue(second, 5, due=now)
    in_flight = Counter({first.pk: 1})
    # savepoint, the due rows (locked), the lease, release, the messages with their endpoints
    with django_assert_num_queries(5):
        claimed = delivery.claim_due(now=now, limit=10, in_flight=in_flight, cap=3)
    assert [m.endpoint_id for m in claimed] == [first.pk] * 2 + [second.pk] * 3
    assert [m.payload["sequence"] for m in claimed] == [0, 1, 0, 1, 2]
    leased = Message.objects.filter(next_try_at=now + delivery.LEASE)
    assert set(leased.values_list("pk", flat=True)) == {m.pk for m in claimed}
    # Claimed once: the next claim gets the rest, up to the cap.
    assert len(delivery.claim_due(now=now, limit=10)) == 5
    assert delivery.claim_due(now=now, limit=10) == []
