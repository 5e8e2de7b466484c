"""Testpress's paging: ``page`` and ``per_page`` in the query, ``count``, ``next``,
``previous``, ``per_page`` and ``results`` in the body.

Deep pages by keyset, hidden in ``next``: from the page whose next one starts
``DEFERRED_JOIN_FROM`` rows in, ``next`` carries, beside ``page``, an opaque ``after``: the
signed key of the page's last row in the list's order, for these very parameters and for
that next page only (``attempts.paging``: keyset pages). A client that follows ``next`` then
reads each deep page from an index seek, as cheap as the first page, instead of an offset
that walks every row before it. ``page=N`` alone (any N) still reads by offset. An ``after``
that is not ours, altered, or sent with other parameters or another page is ignored: the
page is read by offset, so it never changes which rows a page holds on unchanged data
(while attempts are added, a keyset page continues after the row the client saw). Orders
that mix directions (``ordering=-date,correct_answers_count``) are read by offset only.
"""

import hashlib
from urllib.parse import urlencode

from django.core import signing
from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from attempts import paging
from attempts.paging import ESTIMATE_ABOVE, ListPaginator

COUNT_DESCRIPTION = (
    f"Rows matching the filters: exact up to {ESTIMATE_ABOVE:,}; above that, on PostgreSQL, "
    "the planner's estimate (a list of a million attempts is not counted on every page). "
    "`next` is null exactly on the last page, whatever `count` says."
)
NEXT_DESCRIPTION = (
    f"The next page, or null on the last one. From about row {paging.DEFERRED_JOIN_FROM:,} on "
    "it also carries `after`, an opaque key of this page's last row: following `next` as "
    "given makes every page as fast as the first (a keyset read), where `page=N` alone reads "
    "past every earlier row. Both give the same rows on unchanged data."
)
# The hidden keyset parameter, and the salt of its signature.
AFTER = "after"
AFTER_SALT = "attempts.api.testpress.after"


class TestpressPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``per_page``, ``results``.

    ``page`` must be a whole number from 1 to ``max_page`` (else 400); a page past the end is
    a 404, as DRF does. ``per_page`` may ask for 1 to ``max_page_size`` rows (else 400). A
    parameter sent empty (``page=``) is no number: a 400 too, as the schema documents.

    ``count`` and the pages come from ``attempts.paging.ListPaginator``: the count is exact up
    to ``ESTIMATE_ABOVE`` rows and estimated above, and deep pages read their ids first.
    """

    django_paginator_class = ListPaginator

    # Far past any real list, and small enough for every database's integer offset.
    max_page = 2**31 - 1
    page_size = 200
    page_size_query_param = "per_page"
    max_page_size = 1000

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"per_page": [f"Enter a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= self.max_page):
            raise ValidationError({"page": [f"Enter a whole number from 1 to {self.max_page}."]})
        self.request = request
        self.per_page = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, self.per_page)
        number = int(raw or 1)
        try:
            self.page = paginator.page(number, after=self.after(request, number))
        except InvalidPage as exc:
            raise NotFound(
                self.invalid_page_message.format(page_number=number, message=str(exc))
            ) from None
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True  # the browsable API's page links
        return list(self.page)

    def fingerprint(self, request) -> str:
        """The parameters that decide a page's rows other than its number: the list's."""
        kept = sorted(
            (name, value)
            for name, values in request.query_params.lists()
            if name not in (self.page_query_param, AFTER)
            for value in values
        )
        return hashlib.sha256(urlencode(kept).encode()).hexdigest()[:16]

    def after(self, request, number: int) -> list[str] | None:
        """The key of the row before page ``number`` from ``after``, when it is ours and was
        issued for this page of this list; None otherwise (the page is read by offset)."""
        token = request.query_params.get(AFTER)
        if not token:
            return None
        try:
            payload = signing.loads(token, salt=AFTER_SALT)
            issued_for, key = (payload["p"], payload["q"]), payload["k"]
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None
        if issued_for != (number, self.fingerprint(request)) or not isinstance(key, list):
            return None
        return [str(value) for value in key]

    def get_next_link(self):
        if not self.page.has_next():
            return None
        number = self.page.next_page_number()
        url = replace_query_param(self.request.build_absolute_uri(), self.page_query_param, number)
        key = None
        if (number - 1) * self.per_page >= paging.DEFERRED_JOIN_FROM:
            key = self.page.paginator.key_of(self.page.object_list[-1])
        if key is None:
            return remove_query_param(url, AFTER)
        payload = {"p": number, "q": self.fingerprint(self.request), "k": key}
        return replace_query_param(url, AFTER, signing.dumps(payload, salt=AFTER_SALT))

    def get_previous_link(self):
        url = super().get_previous_link()
        return url and remove_query_param(url, AFTER)

    def payload(self, results):
        return {
            "count": self.page.paginator.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "per_page": self.per_page,
            "results": results,
        }

    def get_paginated_response(self, data):
        return Response(self.payload(data))

    @classmethod
    def page_schema(cls) -> dict:
        return {"type": "integer", "minimum": 1, "maximum": cls.max_page}

    @classmethod
    def per_page_schema(cls) -> dict:
        return {
            "type": "integer",
            "minimum": 1,
            "maximum": cls.max_page_size,
            "default": cls.page_size,
        }

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = self.page_schema()
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = self.per_page_schema()
        parameters.append(
            {
                "name": AFTER,
                "required": False,
                "in": "query",
                "description": "Opaque: sent in `next` links of deep pages, never built by "
                "hand. Ignored (the page is read by offset) unless it came with this very "
                "`page` and the same other parameters.",
                "schema": {"type": "string"},
            }
        )
        return parameters

    def get_paginated_response_schema(self, schema):
        wrapped = super().get_paginated_response_schema(schema)
        wrapped["properties"]["per_page"] = {"type": "integer", "example": self.page_size}
        wrapped["properties"]["count"]["description"] = COUNT_DESCRIPTION
        wrapped["properties"]["next"]["description"] = NEXT_DESCRIPTION
        wrapped["required"] = ["count", "next", "previous", "per_page", "results"]
        return wrapped


class UserAnswersPagination(TestpressPagination):
    page_size = 250
