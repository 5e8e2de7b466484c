"""Testpress's paging: ``page`` and ``per_page`` in the query, ``count``, ``next``,
``previous``, ``per_page`` and ``results`` in the body."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from attempts.paging import ESTIMATE_ABOVE, ListPaginator

COUNT_DESCRIPTION = (
    f"Rows matching the filters: exact up to {ESTIMATE_ABOVE:,}; above that, on PostgreSQL, "
    "the planner's estimate (a list of a million attempts is not counted on every page). "
    "`next` is null exactly on the last page, whatever `count` says."
)


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
        self.per_page = self.get_page_size(request)
        return super().paginate_queryset(queryset, request, view)

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
        return parameters

    def get_paginated_response_schema(self, schema):
        wrapped = super().get_paginated_response_schema(schema)
        wrapped["properties"]["per_page"] = {"type": "integer", "example": self.page_size}
        wrapped["properties"]["count"]["description"] = COUNT_DESCRIPTION
        wrapped["required"] = ["count", "next", "previous", "per_page", "results"]
        return wrapped


class UserAnswersPagination(TestpressPagination):
    page_size = 250
