"""Sending messages: Standard Webhooks signatures, Svix's retry schedule, the delivery log.

One function serves every scheduler: ``deliver_due`` claims the messages whose try is due and
sends them; the Celery task ``pump`` (beat, every 2 s), ``manage.py deliver_webhooks`` and the
tests all call it. A claim moves ``next_try_at`` a lease ahead, on rows locked as they are
read (skipping those another worker holds), so two workers never send the same try, and a
worker killed mid-delivery leaves the message to be claimed again when the lease ends:
delivered late, not lost (receivers drop repeats by ``webhook-id``, as the standard asks).

Several messages are in flight at once: a pool of ``WEBHOOK_DELIVERY_THREADS`` threads does
the HTTP, at most ``WEBHOOK_ENDPOINT_CONCURRENCY`` of them for one endpoint, so a slow endpoint
holds its own slots and never the others'. The claiming and the log stay in the calling thread
(one database connection; the threads touch no database). A message is claimed only when a slot
is free for it, so its lease starts when its send starts. Order: an endpoint's first tries start
in ``sequence`` order (the events' order), one at a time when its concurrency is 1; with more,
or after a retry, they may arrive out of order, which the envelope's ``sequence`` lets receivers
handle (the design promises the sequence, not ordered delivery, as Svix does).

Success is a 2xx within ``WEBHOOK_TIMEOUT_SECONDS`` (15); anything else (redirects, which are
never followed, timeouts, refused connections, a private address) is a failed try. The address
is checked and connected to in one step (``transport``), against DNS rebinding.
"""

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from attempts.webhooks import transport
from attempts.webhooks.models import DeliveryAttempt, Endpoint, Message

# Seconds before each try (Svix's schedule): immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
# 10 h. After the last failure the message is failed.
SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
LEASE = timedelta(seconds=60)  # longer than a try can take (timeout + resolution)
BODY_LOG_BYTES = 1024


class Refused(Exception):
    """The endpoint's URL may not be posted to (not http or https, no host)."""


def jitter(seconds: float) -> float:
    """± 10 %, so that retries of many messages do not arrive together."""
    return seconds * random.uniform(0.9, 1.1)  # noqa: S311 (not for security)


def check_url(url: str) -> str:
    """The host of an http(s) ``url``; ``Refused`` otherwise. Its addresses are checked when
    connecting (``transport``), on every try."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url}")
    return parts.hostname


def sign(endpoint: Endpoint, message_id: str, at: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,`` signature per secret in use (the current
    one, and the previous one during a rotation), space-separated as the standard allows."""
    return " ".join(
        Webhook(secret).sign(message_id, at, body) for secret in endpoint.signing_secrets(at)
    )


def send(message: Message, *, now: datetime) -> DeliveryAttempt:
    """One try of ``message``: POST the payload, signed; the log row is returned unsaved.
    No query (``message.endpoint`` loaded), so it runs in the delivery threads."""
    endpoint = message.endpoint
    body = json.dumps(message.payload, separators=(",", ":"))
    attempt = DeliveryAttempt(message=message, endpoint=endpoint, at=now)
    started = time.monotonic()
    try:
        host = check_url(endpoint.url)
        headers = {
            "content-type": "application/json",
            "webhook-id": message.webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": sign(endpoint, message.webhook_id, now, body),
        }
        with transport.session().post(
            endpoint.url,
            data=body.encode(),
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            attempt.status_code = response.status_code
            attempt.response_body = response.raw.read(BODY_LOG_BYTES, decode_content=True).decode(
                "utf-8", "replace"
            )
        attempt.succeeded = 200 <= response.status_code < 300
        if not attempt.succeeded:
            attempt.error = f"HTTP {response.status_code}"
    except transport.InvalidIPAddress as error:
        attempt.error = f"Refused: {host} resolves to a non-public address {error}"
    except (Refused, requests.RequestException, OSError) as error:
        attempt.error = f"{type(error).__name__}: {error}"[:500]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    return attempt


def claim_due(
    *, now: datetime, limit: int = 100, in_flight: Counter | None = None, cap: int | None = None
) -> list[Message]:
    """Due pending messages (with their endpoint), each taken by this caller alone for
    ``LEASE``, oldest due first: at most ``limit``, and at most ``cap`` in flight per endpoint
    counting ``in_flight`` (endpoint id -> sends this caller has under way).

    The due rows are locked as they are read, skipping rows another worker is claiming
    (PostgreSQL's ``FOR UPDATE SKIP LOCKED``; SQLite's ``BEGIN IMMEDIATE`` makes the whole
    claim one writer's), so two workers claim disjoint messages without waiting on each other.
    Three queries: the due rows, the lease, the claimed messages with their endpoints."""
    in_flight = in_flight if in_flight is not None else Counter()
    full = [pk for pk, count in in_flight.items() if cap is not None and count >= cap]
    taken = Counter(in_flight)
    claimed = []
    with transaction.atomic():
        due = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Message.Status.PENDING, next_try_at__lte=now)
            .exclude(endpoint_id__in=full)
            .order_by("next_try_at", "id")
            .values_list("id", "endpoint_id")[:limit]
        )
        for pk, endpoint_id in due:
            if cap is None or taken[endpoint_id] < cap:
                claimed.append(pk)
                taken[endpoint_id] += 1
        if not claimed:
            return []
        Message.objects.filter(pk__in=claimed).update(next_try_at=now + LEASE)
    messages = Message.objects.select_related("endpoint").in_bulk(claimed)
    return [messages[pk] for pk in claimed]


def record(tries: list[tuple[Message, DeliveryAttempt]], *, now: datetime) -> None:
    """Store the outcome of finished tries in one transaction: the log rows, each message's
    next try or its end, and each endpoint's run of failures (failing for
    ``Endpoint.DISABLE_AFTER`` disables it). A success clears the run, then a failure in the
    same batch starts a new one."""
    if not tries:
        return
    succeeded = [m for m, attempt in tries if attempt.succeeded]
    failed = [m for m, attempt in tries if not attempt.succeeded]
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create([attempt for _, attempt in tries])
        if succeeded:
            Message.objects.filter(pk__in=[m.pk for m in succeeded]).update(
                status=Message.Status.DELIVERED,
                delivered_at=now,
                next_try_at=None,
                tries=F("tries") + 1,
            )
            Endpoint.objects.filter(
                pk__in={m.endpoint_id for m in succeeded}, failing_since__isnull=False
            ).update(failing_since=None)
        for message in failed:  # each its own next try (jittered), or failed for good
            tried = message.tries + 1
            changes = {"tries": tried, "next_try_at": None, "status": Message.Status.FAILED}
            if tried < len(SCHEDULE):
                changes.update(
                    next_try_at=now + timedelta(seconds=jitter(SCHEDULE[tried])),
                    status=Message.Status.PENDING,
                )
            Message.objects.filter(pk=message.pk).update(**changes)
        if failed:
            endpoints = Endpoint.objects.filter(pk__in={m.endpoint_id for m in failed})
            endpoints.filter(failing_since=None).update(failing_since=now)
            endpoints.filter(active=True, failing_since__lte=now - Endpoint.DISABLE_AFTER).update(
                active=False, disabled_at=now
            )


def deliver(message_id: int, *, now: datetime | None = None) -> DeliveryAttempt | None:
    """Send one claimed message and record the outcome. None when it is no longer pending."""
    now = now or timezone.now()
    message = Message.objects.select_related("endpoint").filter(pk=message_id).first()
    if message is None or message.status != Message.Status.PENDING:
        return None
    attempt = send(message, now=now)
    record([(message, attempt)], now=now)
    return attempt


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Claim and send due messages, several at once, until none is due or ``limit`` were
    tried; returns how many were tried. ``now`` fixes the clock (the tests' simulated time);
    otherwise each claim and each record reads the real one."""
    clock: Callable[[], datetime] = (lambda: now) if now else timezone.now
    threads = settings.WEBHOOK_DELIVERY_THREADS
    cap = settings.WEBHOOK_ENDPOINT_CONCURRENCY
    in_flight: Counter = Counter()  # endpoint id -> sends under way
    sending: dict[Future, Message] = {}
    tried = 0
    with ThreadPoolExecutor(threads, thread_name_prefix="webhooks") as pool:
        while True:
            # Fill the free slots; again while a pass left some free because an endpoint
            # reached its cap (the next messages due may be other endpoints').
            while free := min(threads - len(sending), limit - tried - len(sending)):
                at = clock()
                claimed = claim_due(now=at, limit=free, in_flight=in_flight, cap=cap)
                for message in claimed:
                    sending[pool.submit(send, message, now=at)] = message
                    in_flight[message.endpoint_id] += 1
                if len(claimed) in (0, free):
                    break
            if not sending:
                return tried
            done, _ = wait(sending, return_when=FIRST_COMPLETED)
            finished = []
            for future in done:
                message = sending.pop(future)
                in_flight[message.endpoint_id] -= 1
                finished.append((message, future.result()))
            record(finished, now=clock())
            tried += len(finished)


def replay(messages, *, now: datetime) -> int:
    """Send ``messages`` again at once (the admin's "retry now" and "recover"): pending again,
    due now, with a fresh schedule."""
    return messages.update(status=Message.Status.PENDING, next_try_at=now, tries=0)
