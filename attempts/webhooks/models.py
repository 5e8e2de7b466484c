"""Subscriptions (``Endpoint``), one ``Message`` per event and endpoint, and the log of every
try (``DeliveryAttempt``).

The secret is stored as given (``whsec_`` + base64), not hashed: Standard Webhooks signs with
HMAC-SHA256, a symmetric scheme, so the sender needs the key itself to sign every message (a
hash could verify a secret presented to us, but cannot sign). Encrypting it with a key from the
same settings would protect nothing that a database dump plus the settings do not reveal; the
admin never shows it after creation except to its owner, and rotation replaces it.
"""

import base64
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

# What a subscriber can ask for (the envelope's ``type``); attempts.webhooks.relay maps each
# AttemptEvent kind to one of them.
EVENT_TYPES = (
    ("attempt.started", "Started"),
    ("attempt.completed", "Completed (passed, failed or awaiting marks)"),
    ("attempt.evaluated", "Essay evaluated"),
    ("attempt.rescored", "Rescored, overridden or regraded"),
    ("attempt.test", "Test event (from the admin)"),
)
EVENT_TYPE_NAMES = frozenset(name for name, _ in EVENT_TYPES)

# How long the previous secret keeps signing after a rotation (both signatures are sent).
ROTATION_WINDOW = timedelta(hours=24)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_event_types(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("A list of event type names.")
    unknown = sorted(set(value) - EVENT_TYPE_NAMES)
    if unknown:
        raise ValidationError(f"Unknown event types: {', '.join(unknown)}.")


def validate_endpoint_url(url: str) -> None:
    """``https`` URLs only, unless DEBUG (the demo and the tests post to plain http)."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.DEBUG else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise ValidationError(f"An absolute URL with scheme {' or '.join(allowed)}.")


class EndpointQuerySet(models.QuerySet):
    def managed_by(self, user):
        """Endpoints ``user`` may see and change (``lms.access.webhook_endpoints_managed_by``)."""
        from lms import access

        return self.filter(access.webhook_endpoints_managed_by(user))


class Endpoint(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500, validators=[validate_endpoint_url])
    description = models.CharField(max_length=200, blank=True)
    # Empty: every type. Otherwise names from EVENT_TYPES.
    event_types = models.JSONField(default=list, blank=True, validators=[validate_event_types])
    secret = models.CharField(max_length=100, default=new_secret)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    # First failure of the current run of failures; cleared by a success. Failing for
    # DISABLE_AFTER disables the endpoint (``disabled_at`` says when and shows it).
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DISABLE_AFTER = timedelta(days=5)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, now) -> list[str]:
        """The current secret, and the previous one while its rotation window lasts."""
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            keys.append(self.previous_secret)
        return keys

    def rotate_secret(self, now) -> str:
        self.previous_secret, self.previous_secret_until = self.secret, now + ROTATION_WINDOW
        self.secret = new_secret()
        self.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        return self.secret


class Message(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"  # every try of the schedule failed

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="messages")
    # None for a test event sent from the admin.
    event = models.ForeignKey(
        "attempts.AttemptEvent", on_delete=models.CASCADE, null=True, related_name="+"
    )
    event_type = models.CharField(max_length=32)
    # The envelope as sent (built once, so a replay sends the same bytes' content).
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    tries = models.PositiveSmallIntegerField(default=0)
    # When the next try is due; also the lease of a claimed message (delivery.claim_due).
    next_try_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_message_once")
        ]
        indexes = [models.Index(fields=["status", "next_try_at"], name="webhook_message_due")]

    def __str__(self):
        return f"msg_{self.uuid.hex}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.uuid.hex}"


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True)  # the first 1 KB
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "at"], name="webhook_attempt_endpoint_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"


class RelayCursor(models.Model):
    """One row: the last AttemptEvent id the relay has turned into messages for good."""

    last_event_id = models.BigIntegerField(default=0)
    # Ids missing below last_event_id (a transaction not yet committed, or rolled back) ->
    # when the gap was first seen; looked for on every pass for WEBHOOK_RELAY_GAP_GRACE.
    awaited = models.JSONField(default=dict)

    def __str__(self):
        return f"after event {self.last_event_id}"
