"""Both of Thought Industries' pagination styles over one order: creation time, then id,
ascending (``started_at``, ``id``: the ``attempt_started`` index).

- ``page``/``perPage``: offset pages (page 1 is the first ``perPage`` attempts).
- ``cursor``: keyset pagination. Every page answers ``pageInfo.cursor``, a token that
  continues after its last row (``started_at > t or (started_at = t and id > i)``), so a walk
  sees each attempt once even while new ones arrive (they sort after every row already
  returned) and costs the same on its last page as on its first.

``hasMore`` comes from reading one row past the page (no count). ``total`` is counted once
per walk: the first page (no cursor) counts the attempts matching the filters
(``attempts.paging.total``: exact up to ``ESTIMATE_ABOVE``, estimated above), and the cursor
carries that number on, so later pages pay nothing for it; it is the total when the walk
began. Offset pages have no cursor to carry it: their count is kept in the default cache for
``TOTAL_CACHE_SECONDS`` per account and filters. A deep offset page reads its ids before its
rows (``ListPaginator.window``: a deferred join).

Cursors are signed (``django.core.signing``, salted for this use): one that is not ours, was
altered, or was issued for other filters is a 400 naming ``cursor``.
"""

from datetime import datetime

from django.core import signing
from django.core.cache import cache
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from attempts import paging
from attempts.api.thoughtindustries import filters

SALT = "attempts.api.thoughtindustries.cursor"
TOTAL_CACHE_SECONDS = 60
ORDER = ("started_at", "id")
BAD_CURSOR = "Not a cursor of this API, or altered: start again without one."


def encode_cursor(*, last, total: int, fingerprint: str) -> str:
    payload = {"t": last.started_at.isoformat(), "i": last.pk, "n": total, "f": fingerprint}
    return signing.dumps(payload, salt=SALT, compress=True)


def decode_cursor(token: str, *, fingerprint: str) -> tuple[datetime, int, int]:
    """``(started_at, id, total)`` of a cursor we issued for these filters, else a 400."""
    try:
        payload = signing.loads(token, salt=SALT)
        position = datetime.fromisoformat(payload["t"]), int(payload["i"]), int(payload["n"])
        issued_for = payload["f"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError({"cursor": [BAD_CURSOR]}) from None
    if issued_for != fingerprint:
        raise ValidationError(
            {"cursor": ["This cursor continues a walk with other filters: send the same ones."]}
        )
    return position


def total_count(queryset) -> int:
    """The number ``total`` answers (``attempts.paging.total``)."""
    return paging.total(queryset).count


def total_of(queryset, *, account_id: int, fingerprint: str) -> int:
    """The count for an offset page, cached a minute per account and filters."""
    key = f"ti-attempts-total:{account_id}:{fingerprint}"
    total = cache.get(key)
    if total is None:
        total = total_count(queryset)
        cache.set(key, total, TOTAL_CACHE_SECONDS)
    return total


def paginate(queryset, params: dict, *, account_id: int):
    """``(rows, page_info)``: the attempts of the page and Thought Industries' ``pageInfo``."""
    per_page = params.get("perPage", filters.DEFAULT_PER_PAGE)
    fingerprint = filters.fingerprint(params)
    ordered = queryset.order_by(*ORDER)
    if "cursor" in params:
        started_at, pk, total = decode_cursor(params["cursor"], fingerprint=fingerprint)
        after = Q(started_at__gt=started_at) | Q(started_at=started_at, pk__gt=pk)
        # The redundant bound lets the database start its index scan at the cursor instead
        # of filtering every earlier row: a deep page costs what the first one does.
        window = ordered.filter(after, started_at__gte=started_at)[: per_page + 1]
    else:
        page = params.get("page", 1)
        if page == 1:
            total = total_count(queryset)  # the first page of a walk: counted once
        else:
            total = total_of(queryset, account_id=account_id, fingerprint=fingerprint)
        offset = (page - 1) * per_page
        window = paging.ListPaginator(ordered, per_page).window(offset, per_page + 1)
    rows = list(window)
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    cursor = (
        encode_cursor(last=rows[-1], total=total, fingerprint=fingerprint) if has_more else None
    )
    page_info = {"perPage": per_page, "cursor": cursor, "total": total, "hasMore": has_more}
    return rows, page_info
