"""``Idempotency-Key`` on this contract's POSTs: a retried request returns the first answer
and creates nothing more.

The key (1 to 255 characters) is the caller's, per user. The request is fingerprinted
(method, path and its JSON body, keys sorted); the answer of a successful request (2xx) is
stored with the key in the same transaction as what it created, so both exist or neither:

- the same key and request again: the stored status and body, with ``Idempotent-Replayed:
  true``;
- the same key with another request: 422 (``idempotency-key-reused``);
- a request that failed stored nothing: a retry with its key runs again;
- two requests with one key at once: the unique (user, key) constraint makes the second wait
  for the first's transaction and then replay its answer;
- keys live ``IdempotencyKey.LIFETIME`` (24 hours): after that the key is new again.

Without the header every POST is a new request (two submissions, say).
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from attempts.api.submissions.errors import IdempotencyKeyReused
from attempts.errors import ConflictError
from attempts.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any string of 1 to 255 characters that you choose for this request. Sent again "
        "with the same body within 24 hours, the request returns the first answer (with "
        "`Idempotent-Replayed: true`) and creates nothing; with another body it is a 422. "
        "Only successful answers are stored: a refused request may be retried with its key."
    ),
)


def fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(user, key: str, digest: str, now) -> IdempotencyKey | None:
    """Insert the key (None: this request is the first) or return the stored one. An
    expired key is deleted and claimed anew; a key deleted meanwhile by a concurrent
    request is tried again."""
    for _ in range(3):
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    fingerprint=digest,
                    response_status=0,
                    response_body={},
                    created_at=now,
                )
            return None
        except IntegrityError:
            stored = IdempotencyKey.objects.filter(user=user, key=key).first()
            if stored is not None and not stored.is_expired(now):
                return stored
            if stored is not None:
                stored.delete()  # expired: the key is new again
    raise ConflictError("Another request with this Idempotency-Key is being handled; try again.")


class IdempotentCreateMixin:
    """A POST runs at most once per (user, key) when the request carries the header."""

    def post(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return super().post(request, *args, **kwargs)
        if not 1 <= len(key) <= MAX_LENGTH:
            raise ValidationError({HEADER: [f"Send 1 to {MAX_LENGTH} characters."]})
        digest = fingerprint(request)
        with transaction.atomic():
            stored = _claim(request.user, key, digest, timezone.now())
            if stored is not None:
                if stored.fingerprint != digest:
                    raise IdempotencyKeyReused
                return Response(
                    stored.response_body,
                    status=stored.response_status,
                    headers={"Idempotent-Replayed": "true"},
                )
            response = super().post(request, *args, **kwargs)
            # What the client received, numbers as numbers (DRF's encoder), to replay as is.
            body = json.loads(JSONRenderer().render(response.data))
            IdempotencyKey.objects.filter(user=request.user, key=key).update(
                response_status=response.status_code, response_body=body
            )
            return response
