"""Testpress's paging: ``page`` and ``per_page`` in the query, ``count``, ``next``,
``previous``, ``per_page`` and ``results`` in the body."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class TestpressPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``per_page``, ``results``.

    ``page`` must be a whole number from 1 (else 400); a page past the end is a 404, as DRF
    does. ``per_page`` may ask for 1 to ``max_page_size`` rows (else 400).
    """

    page_size = 200
    page_size_query_param = "per_page"
    max_page_size = 1000

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"per_page": [f"Enter a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw not in (None, "") and not (raw.isdigit() and 0 < int(raw) < 2**31):
            raise ValidationError({"page": ["Enter a whole number greater than 0."]})
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

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters

    def get_paginated_response_schema(self, schema):
        wrapped = super().get_paginated_response_schema(schema)
        wrapped["properties"]["per_page"] = {"type": "integer", "example": self.page_size}
        wrapped["required"] = ["count", "next", "previous", "per_page", "results"]
        return wrapped


class UserAnswersPagination(TestpressPagination):
    page_size = 250
