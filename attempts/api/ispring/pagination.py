"""``pageSize`` and ``pageToken``: keyset pages over (enrolment id, exam id).

The token is opaque and signed (``django.core.signing``, salted for this use): it carries the
last row's position and a digest of the filters. One that is not ours, was altered, or was
issued for other filters is a 400 naming ``pageToken``. A walk sees every (learner, module)
row exactly once, and its last page costs what its first does.
"""

from django.core import signing
from rest_framework.exceptions import ValidationError

SALT = "attempts.api.ispring.page"
BAD_TOKEN = "Not a page token of this API, or altered: start again without one."


def encode(row: dict, *, fingerprint: str) -> str:
    return signing.dumps({"e": row["pk"], "m": row["module_pk"], "f": fingerprint}, salt=SALT)


def decode(token: str, *, fingerprint: str) -> tuple[int, int]:
    try:
        payload = signing.loads(token, salt=SALT)
        position, issued_for = (int(payload["e"]), int(payload["m"])), payload["f"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError({"pageToken": [BAD_TOKEN]}) from None
    if issued_for != fingerprint:
        raise ValidationError(
            {"pageToken": ["This token continues a walk with other filters: send the same."]}
        )
    return position
