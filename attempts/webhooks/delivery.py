"""Sending messages: Standard Webhooks signatures, Svix's retry schedule, the delivery log.

One function serves every scheduler: ``deliver_due`` claims the messages whose try is due and
sends each; the Celery task ``pump`` (beat, every 2 s), ``manage.py deliver_webhooks`` and the
tests all call it. A claim moves ``next_try_at`` a lease ahead in one UPDATE that only one
worker can win, so two workers never send the same try, and a worker killed mid-delivery leaves
the message to be claimed again when the lease ends: delivered late, not lost (receivers drop
repeats by ``webhook-id``, as the standard asks).

Success is a 2xx within ``WEBHOOK_TIMEOUT_SECONDS`` (15); anything else (redirects, which are
never followed, timeouts, refused connections, a private address) is a failed try.
"""

import ipaddress
import json
import random
import socket
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from attempts.webhooks.models import DeliveryAttempt, Endpoint, Message

# Seconds before each try (Svix's schedule): immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
# 10 h. After the last failure the message is failed.
SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
LEASE = timedelta(seconds=60)  # longer than a try can take (timeout + resolution)
BODY_LOG_BYTES = 1024


class Refused(Exception):
    """The endpoint's address may not be reached (private network, bad URL)."""


def jitter(seconds: float) -> float:
    """± 10 %, so that retries of many messages do not arrive together."""
    return seconds * random.uniform(0.9, 1.1)  # noqa: S311 (not for security)


def check_address(url: str) -> None:
    """Resolve the host and refuse when any of its addresses is private, loopback, link-local,
    multicast, reserved or unspecified, unless ``WEBHOOK_ALLOW_PRIVATE``. Checked on every try,
    so a name that later resolves elsewhere (DNS rebinding) is caught at the next try."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url}")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Refused(f"cannot resolve {parts.hostname}: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise Refused(f"{parts.hostname} resolves to a non-public address {address}")


def sign(endpoint: Endpoint, message_id: str, at: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,`` signature per secret in use (the current
    one, and the previous one during a rotation), space-separated as the standard allows."""
    return " ".join(
        Webhook(secret).sign(message_id, at, body) for secret in endpoint.signing_secrets(at)
    )


def send(message: Message, *, now: datetime) -> DeliveryAttempt:
    """One try of ``message``: POST the payload, signed; the log row is returned unsaved."""
    endpoint = message.endpoint
    body = json.dumps(message.payload, separators=(",", ":"))
    attempt = DeliveryAttempt(message=message, endpoint=endpoint, at=now)
    started = time.monotonic()
    try:
        check_address(endpoint.url)
        headers = {
            "content-type": "application/json",
            "user-agent": "lms-webhooks/1",
            "webhook-id": message.webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": sign(endpoint, message.webhook_id, now, body),
        }
        with requests.post(
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
    except (Refused, requests.RequestException, OSError) as error:
        attempt.error = f"{type(error).__name__}: {error}"[:500]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    return attempt


def claim_due(*, now: datetime, limit: int = 100) -> list[int]:
    """Ids of due pending messages, each taken by this caller alone for ``LEASE``."""
    due = list(
        Message.objects.filter(status=Message.Status.PENDING, next_try_at__lte=now)
        .order_by("next_try_at", "id")
        .values_list("id", "next_try_at")[:limit]
    )
    claimed = []
    for pk, due_at in due:
        # Compare-and-set: only the caller that still sees the same due time wins it.
        won = Message.objects.filter(pk=pk, status=Message.Status.PENDING, next_try_at=due_at)
        if won.update(next_try_at=now + LEASE):
            claimed.append(pk)
    return claimed


def deliver(message_id: int, *, now: datetime | None = None) -> DeliveryAttempt | None:
    """Send one claimed message and record the outcome. None when it is no longer pending."""
    now = now or timezone.now()
    message = Message.objects.select_related("endpoint").filter(pk=message_id).first()
    if message is None or message.status != Message.Status.PENDING:
        return None
    attempt = send(message, now=now)
    with transaction.atomic():
        attempt.save()
        tries = message.tries + 1
        changes = {"tries": tries}
        endpoint = Endpoint.objects.filter(pk=message.endpoint_id)
        if attempt.succeeded:
            changes.update(status=Message.Status.DELIVERED, delivered_at=now, next_try_at=None)
            endpoint.exclude(failing_since=None).update(failing_since=None)
        else:
            if tries >= len(SCHEDULE):
                changes.update(status=Message.Status.FAILED, next_try_at=None)
            else:
                changes["next_try_at"] = now + timedelta(seconds=jitter(SCHEDULE[tries]))
            endpoint.filter(failing_since=None).update(failing_since=now)
            endpoint.filter(active=True, failing_since__lte=now - Endpoint.DISABLE_AFTER).update(
                active=False, disabled_at=now
            )
        Message.objects.filter(pk=message.pk).update(**changes)
    return attempt


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Claim and send every due message (up to ``limit``); returns how many were tried."""
    now = now or timezone.now()
    claimed = claim_due(now=now, limit=limit)
    for pk in claimed:
        deliver(pk, now=now)
    return len(claimed)


def replay(messages, *, now: datetime) -> int:
    """Send ``messages`` again at once (the admin's "retry now" and "recover"): pending again,
    due now, with a fresh schedule."""
    return messages.update(status=Message.Status.PENDING, next_try_at=now, tries=0)
