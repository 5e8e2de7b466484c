"""Delivery to a real receiver on 127.0.0.1: signatures checked with the ``standardwebhooks``
library, Svix's retry schedule, the log, refusals (private addresses, redirects, timeouts),
leases that survive a killed worker, and the outbox relay that loses nothing."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from attempts import services
from attempts.models import AttemptEvent
from attempts.webhooks import delivery
from attempts.webhooks.management.commands import deliver_webhooks
from attempts.webhooks.models import DeliveryAttempt, Endpoint, Message, RelayCursor
from attempts.webhooks.relay import _advance, relay_events
from lms import access
from lms.models import Enrollment, User
from tests import play
from tests.attempts.webhooks.receiver import receiver
from tests.factories import StaffFactory, UserFactory
from tests.play import NOW

pytestmark = pytest.mark.django_db

KEYS = {
    "clientId", "user", "activity", "item", "attemptId", "attemptNumber", "status",
    "scoreScaled", "scoreRaw", "scoreMinimum", "scoreMaximum", "startedDateTime",
    "completedDateTime", "durationSeconds", "dataSource", "interactions",
}  # fmt: skip


@pytest.fixture
def hook(settings, kit):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with receiver() as state:
        state.endpoint = Endpoint.objects.create(owner=kit.instructor, url=state.url)
        yield state


def submitted(kit, learner=None):
    attempt = kit.start(learner)
    kit.answer(attempt, "single", choices=[0])
    return play.submit(attempt, now=NOW + timedelta(minutes=10))


def pump(now=None):
    while relay_events():
        pass
    return delivery.deliver_due(now=now or timezone.now())


def test_a_submission_gives_one_signed_delivery_with_every_key(kit, hook):
    attempt = submitted(kit)
    assert pump() == 2  # started and completed
    assert len(hook.received) == 2
    # Sent at once, they may arrive in either order: the envelope's sequence orders them.
    started, completed = sorted(hook.received, key=lambda got: json.loads(got[1])["sequence"])
    headers, body = completed
    # Verified by the library any receiver would use (it also checks the timestamp is fresh).
    envelope = Webhook(hook.endpoint.secret).verify(body, headers)
    assert envelope["type"] == "attempt.completed"
    assert envelope["id"] == headers["webhook-id"]
    assert set(envelope["data"]) == KEYS
    assert envelope["data"]["attemptId"] == str(attempt.uuid)
    event = AttemptEvent.objects.get(attempt=attempt, kind="submitted")
    assert envelope["sequence"] == event.pk
    assert Webhook(hook.endpoint.secret).verify(*reversed(started))["type"] == ("attempt.started")
    assert list(Message.objects.values_list("status", "tries")) == [("delivered", 1)] * 2
    log = DeliveryAttempt.objects.order_by("id").last()
    assert (log.status_code, log.succeeded, log.response_body) == (204, True, "")


def test_a_wrong_secret_does_not_verify(kit, hook):
    submitted(kit)
    pump()
    headers, body = hook.received[0]
    with pytest.raises(Exception, match="No matching signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(body, headers)


def test_the_relay_writes_each_message_once(kit, hook):
    submitted(kit)
    assert relay_events() == 3  # started, answer saved, submitted
    RelayCursor.objects.update(last_event_id=0)  # as if the pass crashed before its commit
    relay_events()
    assert Message.objects.count() == 2


def test_event_types_filter_what_an_endpoint_gets(kit, hook):
    hook.endpoint.event_types = ["attempt.completed"]
    hook.endpoint.save()
    submitted(kit)
    pump()
    assert [json.loads(b)["type"] for _, b in hook.received] == ["attempt.completed"]


def test_retries_follow_the_schedule_then_the_message_fails(kit, hook, monkeypatch):
    monkeypatch.setattr(delivery, "jitter", lambda seconds: seconds)
    hook.status = 500
    hook.endpoint.event_types = ["attempt.started"]
    hook.endpoint.save()
    kit.start()
    relay_events()
    now = timezone.now()
    gaps = []
    for _ in delivery.SCHEDULE:
        assert delivery.deliver_due(now=now) == 1
        message = Message.objects.get()
        if message.next_try_at:
            gaps.append((message.next_try_at - now).total_seconds())
            now = message.next_try_at
    assert gaps == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert (message.status, message.tries) == ("failed", 8)
    assert DeliveryAttempt.objects.filter(status_code=500, error="HTTP 500").count() == 8
    assert len(hook.received) == 8


def test_receiver_down_for_an_hour_is_caught_up_with_nothing_lost(kit, hook):
    hook.status = 503
    learners = [kit.enrol(f"l{i}") for i in range(5)]
    for learner in learners:
        submitted(kit, learner)
    start = timezone.now()
    pump(start)
    for minutes in (1, 10, 40):  # tries while it is down
        delivery.deliver_due(now=start + timedelta(minutes=minutes))
    assert not Message.objects.filter(status="delivered").exists()
    hook.status = 200
    delivery.deliver_due(now=start + timedelta(hours=3))
    assert Message.objects.filter(status="delivered").count() == 10
    delivered = {json.loads(b)["sequence"] for _, b in hook.received}
    assert delivered == set(
        AttemptEvent.objects.filter(kind__in=["started", "submitted"]).values_list("pk", flat=True)
    )


def test_a_worker_killed_mid_delivery_leaves_the_message_for_later(kit, hook):
    submitted(kit)
    relay_events()
    now = timezone.now()
    claimed = delivery.claim_due(now=now)  # the worker dies before sending
    assert len(claimed) == 2
    assert delivery.deliver_due(now=now + timedelta(seconds=30)) == 0  # still leased
    assert delivery.deliver_due(now=now + delivery.LEASE) == 2
    assert Message.objects.filter(status="delivered").count() == 2


def test_a_redirect_is_a_failure_and_is_not_followed(kit, hook):
    hook.status, hook.location = 302, hook.url + "/elsewhere"
    submitted(kit)
    pump()
    assert len(hook.received) == 2  # the two posts, nothing to /elsewhere
    assert set(DeliveryAttempt.objects.values_list("status_code", "succeeded")) == {(302, False)}


def test_a_slow_receiver_times_out(kit, hook, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    hook.delay = 0.5
    hook.endpoint.event_types = ["attempt.started"]
    hook.endpoint.save()
    kit.start()
    pump()
    log = DeliveryAttempt.objects.get()
    assert (log.status_code, log.succeeded) == (None, False)
    assert "ReadTimeout" in log.error


def test_private_addresses_are_refused_unless_allowed(kit, hook, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    submitted(kit)
    pump()
    assert hook.received == []
    log = DeliveryAttempt.objects.first()
    assert log.error == "Refused: 127.0.0.1 resolves to a non-public address 127.0.0.1"
    for url in (
        "http://10.0.0.1/x",
        "http://169.254.169.254/",
        "http://[::1]/",
        "http://localhost/",
        "http://100.64.0.1/",  # carrier-grade NAT
    ):
        hook.endpoint.url = url
        attempt = delivery.send(Message(endpoint=hook.endpoint, payload={}), now=timezone.now())
        assert "resolves to a non-public address" in attempt.error, url
    hook.endpoint.url = "ftp://example.com/"
    attempt = delivery.send(Message(endpoint=hook.endpoint, payload={}), now=timezone.now())
    assert attempt.error == "Refused: not an http(s) URL: ftp://example.com/"


def test_a_410_is_retried_and_an_endpoint_failing_for_five_days_is_disabled(kit, hook):
    hook.status = 410
    hook.endpoint.event_types = ["attempt.started"]
    hook.endpoint.save()
    kit.start()
    relay_events()
    now = timezone.now()
    delivery.deliver_due(now=now)
    Message.objects.update(next_try_at=now)
    delivery.deliver_due(now=now + timedelta(days=5))
    hook.endpoint.refresh_from_db()
    assert (hook.endpoint.active, hook.endpoint.disabled_at) == (False, now + timedelta(days=5))


def test_during_a_rotation_both_secrets_sign(kit, hook):
    old = hook.endpoint.secret
    new = hook.endpoint.rotate_secret(timezone.now())
    kit.start()
    pump()
    headers, body = hook.received[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers)["type"] == Webhook(new).verify(body, headers)["type"]


def test_replay_sends_a_delivered_message_again(kit, hook):
    kit.start()
    pump()
    assert delivery.replay(Message.objects.all(), now=timezone.now()) == 1
    delivery.deliver_due()
    assert len(hook.received) == 2
    assert hook.received[0][1] == hook.received[1][1]  # the same payload
    assert hook.received[0][0]["webhook-id"] == hook.received[1][0]["webhook-id"]


def test_owners_manage_their_endpoints_and_admins_all(kit, hook):
    other = UserFactory(username="other")
    admin = StaffFactory(is_superuser=True)
    assert list(Endpoint.objects.managed_by(kit.instructor)) == [hook.endpoint]
    assert list(Endpoint.objects.managed_by(other)) == []
    assert list(Endpoint.objects.managed_by(admin)) == [hook.endpoint]
    assert access.webhook_endpoints_managed_by(admin).children == []


def test_create_webhook_endpoint_prints_its_id_and_secret(kit, settings, capsys):
    settings.DEBUG = False
    call_command("create_webhook_endpoint", "https://hooks.example.com/x", "--owner", "teacher")
    printed = json.loads(capsys.readouterr().out.splitlines()[-1])
    endpoint = Endpoint.objects.get()
    assert printed == {"id": str(endpoint.uuid), "secret": endpoint.secret}
    assert endpoint.secret.startswith("whsec_")
    with pytest.raises(Exception, match="scheme https"):
        call_command("create_webhook_endpoint", "http://hooks.example.com/x", "--owner", "teacher")


def test_deliver_webhooks_once(kit, hook, capsys):
    submitted(kit)
    call_command("deliver_webhooks", "--once")
    assert (
        capsys.readouterr().out.strip() == "3 events read, 2 tries"
    )  # started, answer saved, submitted
    assert len(hook.received) == 2


def test_the_relay_awaits_ids_committed_late_for_the_grace_period(settings):
    settings.WEBHOOK_RELAY_GAP_GRACE = 60
    now = timezone.now()
    cursor = RelayCursor.objects.create(last_event_id=4)
    _advance(cursor, [5, 6, 9], set(), now)  # 7 and 8 not committed yet
    assert (cursor.last_event_id, sorted(cursor.awaited)) == (9, ["7", "8"])
    _advance(cursor, [], {7}, now + timedelta(seconds=10))  # 7 shows up
    assert sorted(cursor.awaited) == ["8"]
    _advance(cursor, [10], set(), now + timedelta(seconds=61))  # 8 was rolled back
    assert (cursor.last_event_id, cursor.awaited) == (10, {})


def test_an_idle_relay_pass_reads_and_writes_nothing(kit, django_assert_num_queries):
    kit.start()
    relay_events()
    with django_assert_num_queries(5):
        # 1 get_or_create's SELECT of the cursor; 2 SAVEPOINT (the atomic block, inside the
        # test's transaction); 3 SELECT ... FOR UPDATE of the cursor; 4 the events past it
        # (none); 5 RELEASE SAVEPOINT. No UPDATE of the cursor: nothing moved.
        assert relay_events() == 0


def test_an_event_committed_late_still_becomes_a_message(kit, hook):
    attempt = kit.start()
    relay_events()
    late = AttemptEvent.objects.get(attempt=attempt, kind="started")
    Message.objects.all().delete()
    RelayCursor.objects.update(
        last_event_id=late.pk, awaited={str(late.pk): timezone.now().isoformat()}
    )
    relay_events()
    assert list(Message.objects.values_list("event_id", flat=True)) == [late.pk]


def test_recover_failed_messages_since_a_day(kit, hook, capsys):
    submitted(kit)
    relay_events()
    Message.objects.update(status="failed", tries=8, next_try_at=None)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("deliver_webhooks", "--once", "--recover-since", "yesterday")
    call_command("deliver_webhooks", "--once", "--recover-since", "2000-01-01")
    out = capsys.readouterr().out.splitlines()
    assert out == ["2 failed messages to recover", "0 events read, 2 tries"]
    assert Message.objects.filter(status="delivered", tries=1).count() == 2


def test_a_hundred_submissions_give_a_hundred_deliveries_none_missing(kit, hook):
    hook.endpoint.event_types = ["attempt.completed"]
    hook.endpoint.save()
    attempts = [submitted(kit, kit.enrol(f"n{i}")) for i in range(100)]
    while pump():
        pass
    got = sorted(json.loads(body)["data"]["attemptId"] for _, body in hook.received)
    assert got == sorted(str(a.uuid) for a in attempts)
    assert DeliveryAttempt.objects.filter(succeeded=True).count() == 100


def test_a_thousand_submissions_give_a_thousand_deliveries_none_missing(kit, hook):
    """The thousand finished attempts come from one set-based service call (paper results,
    ``attempts_import_offline``: submitting them one by one takes 20 s); their messages come
    from the relay, over HTTP, each verified."""
    hook.endpoint.event_types = ["attempt.completed"]
    hook.endpoint.save()
    learners = User.objects.bulk_create(User(username=f"k{i:04}") for i in range(1000))
    Enrollment.objects.bulk_create(
        Enrollment(user=u, course=kit.course, enrolled_at=NOW - timedelta(days=2)) for u in learners
    )
    # Every third learner chose B (wrong: -1), the others A (right: 4 marks).
    rows = [
        {
            "username": learner.username,
            "exam": str(kit.exam.uuid),
            "started_at": "2026-10-01T09:00:00+00:00",
            "completed_at": "2026-10-01T09:10:00+00:00",
            "q1": "B" if i % 3 == 0 else "A",
        }
        for i, learner in enumerate(learners)
    ]
    admin = StaffFactory(is_superuser=True)
    report = services.attempts_import_offline(rows=rows, actor=admin, now=NOW + timedelta(hours=1))
    assert report.imported == 1000
    while relay_events():
        pass
    assert Message.objects.count() == 1000
    while delivery.deliver_due():
        pass

    verify = Webhook(hook.endpoint.secret).verify
    sent = [verify(body, headers) for headers, body in hook.received]
    assert len(sent) == 1000
    events = AttemptEvent.objects.filter(kind="imported")
    assert sorted(m["sequence"] for m in sent) == sorted(events.values_list("pk", flat=True))
    scores = {m["data"]["user"]["username"]: m["data"]["scoreRaw"] for m in sent}
    assert scores == {u.username: -1 if i % 3 == 0 else 4 for i, u in enumerate(learners)}
    # The log: one successful try per message, every message delivered.
    assert Message.objects.filter(status="delivered", tries=1).count() == 1000
    assert DeliveryAttempt.objects.filter(succeeded=True).count() == 1000
    assert not DeliveryAttempt.objects.filter(succeeded=False).exists()


def test_deliver_webhooks_loops_and_reports_the_passes_that_did_something(
    kit, hook, capsys, monkeypatch
):
    sleeps = []

    def sleep(seconds):  # the third pause ends the loop
        sleeps.append(seconds)
        if len(sleeps) == 1:
            submitted(kit)  # something to do on the second pass
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(deliver_webhooks, "sleep", sleep)
    with pytest.raises(KeyboardInterrupt):
        call_command("deliver_webhooks", "--interval", "0.5")
    # Pass 1: nothing yet (silent); pass 2: the submission; pass 3: nothing new (silent).
    assert capsys.readouterr().out.splitlines() == ["3 events read, 2 tries"]
    assert sleeps == [0.5, 0.5, 0.5]
    assert len(hook.received) == 2
