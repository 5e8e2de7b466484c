"""The query parameters, exactly as Thought Industries names them, validated in one place.

A bad value is a 400 keyed by the parameter (``{"courseId": ["Must be a valid UUID."]}``).
``startDate``/``endDate`` take ISO 8601 (a date alone means its midnight, UTC; an instant
without offset is UTC) and bound the attempt's creation time, inclusive.
"""

import hashlib
import json

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

MAX_PAGE = 2**31 - 1  # far past any list; fits every database's integer offset
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
FILTERS = ("startDate", "endDate", "courseId", "userId")


class QuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=2000, trim_whitespace=False)
    startDate = serializers.DateTimeField(required=False)  # noqa: N815 (the contract's name)
    endDate = serializers.DateTimeField(required=False)  # noqa: N815
    courseId = serializers.UUIDField(required=False)  # noqa: N815
    userId = serializers.UUIDField(required=False)  # noqa: N815
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)
    perPage = serializers.IntegerField(  # noqa: N815
        required=False, min_value=1, max_value=MAX_PER_PAGE
    )

    def validate(self, attrs):
        if "cursor" in attrs and "page" in attrs:
            raise ValidationError(
                {
                    "cursor": ["Send either cursor or page, not both."],
                    "page": ["Send either cursor or page, not both."],
                }
            )
        return attrs


def parse(query_params) -> dict:
    """The validated parameters; a 400 naming each bad one. A parameter sent twice, or
    sent empty, is bad too (an empty value is no date, uuid or number)."""
    data, errors = {}, {}
    for name in QuerySerializer().fields:
        values = query_params.getlist(name)
        if len(values) > 1:
            errors[name] = ["Send this parameter once."]
        elif values:
            data[name] = values[0]
    if errors:
        raise ValidationError(errors)
    query = QuerySerializer(data=data)
    query.is_valid(raise_exception=True)
    return query.validated_data


def apply(queryset, params: dict):
    """The attempts that match the filters."""
    if "startDate" in params:
        queryset = queryset.filter(started_at__gte=params["startDate"])
    if "endDate" in params:
        queryset = queryset.filter(started_at__lte=params["endDate"])
    if "courseId" in params:
        queryset = queryset.filter(exam__course__uuid=params["courseId"])
    if "userId" in params:
        queryset = queryset.filter(user__uuid=params["userId"])
    return queryset


def fingerprint(params: dict) -> str:
    """A short digest of the filters, carried in cursors: a cursor continues only the walk
    (filters) it was issued for."""
    chosen = {name: str(params[name]) for name in FILTERS if name in params}
    text = json.dumps(chosen, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
