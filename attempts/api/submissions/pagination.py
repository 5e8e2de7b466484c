"""Paging of this contract: ``page`` (from 1) and ``per_page`` (1 to 100, default 20) in the
query; ``data`` and a ``pagination`` object (``page``, ``per_page``, ``total``,
``total_pages``) in the body. A value outside those bounds is a 400 naming the parameter; a
page past the last one is a 404 (an empty list is page 1 of 1... of none: ``total_pages``
0). ``total`` comes from ``attempts.paging``: exact up to ``ESTIMATE_ABOVE`` rows, the
planner's estimate above (PostgreSQL)."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from attempts.paging import ESTIMATE_ABOVE, ListPaginator


class SubmissionsPagination(PageNumberPagination):
    # The largest page number any database's integer offset takes with 100 per page.
    max_page = 2**31 // 100
    page_size = 20
    page_size_query_param = "per_page"
    max_page_size = 100
    django_paginator_class = ListPaginator

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
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "data": data,
                "pagination": {
                    "page": self.page.number,
                    "per_page": paginator.per_page,
                    "total": paginator.count,
                    "total_pages": paginator.num_pages if paginator.count else 0,
                },
            }
        )

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page, at most {self.max_page_size}.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]

    def get_paginated_response_schema(self, schema):
        count = {"type": "integer", "minimum": 0}
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["page", "per_page", "total", "total_pages"],
                    "properties": {
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1},
                        "total": {
                            **count,
                            "description": f"Exact up to {ESTIMATE_ABOVE:,}; above that "
                            "(PostgreSQL) the planner's estimate.",
                        },
                        "total_pages": count,
                    },
                },
            },
        }
