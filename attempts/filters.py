"""Filters of attempts: the form fields that lists of attempts read their query with (ids, a
day or an instant), shared by the pages and every API contract.

The pages' filter set is ``attempts.web.filters``; each API contract names its own parameters
with these fields in its own ``filters`` module (``attempts.api.testpress.filters``).
"""

from datetime import UTC, datetime, time

import django_filters as filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1  # a larger id would overflow PostgreSQL's bigint: reject it as input


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.Filter):
    field_class = IdField


class IdListFilter(filters.BaseInFilter, IdFilter):
    """``?users=1,2,3``: any of the comma-separated ids."""


class DayOrDateTimeField(forms.Field):
    """A day (``2024-05-01``) or an ISO 8601 datetime (``2024-05-01T10:30:00Z``).

    A day stands for its first instant (``end=False``) or its last (``end=True``) in UTC, so
    both ends of a range include the whole day. A datetime without offset is taken as UTC.
    """

    default_error_messages = {"invalid": "Enter a valid date."}

    def __init__(self, *args, end: bool = False, allow_blank: bool = True, **kwargs):
        self.end = end
        # A page's form sends its empty inputs (``?started_from=``); an API may refuse them.
        self.allow_blank = allow_blank
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value is None:  # the parameter is absent
            return None
        value = value.strip()
        if not value:
            if self.allow_blank:
                return None
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            # A bare day first: Python 3.11's datetime parser would read it as midnight.
            day = parse_date(value)
            # "+" of an offset arrives as a space when the URL did not encode it.
            moment = None if day else parse_datetime(value.replace(" ", "+"))
        except ValueError:
            moment = day = None
        if day is not None:
            moment = datetime.combine(day, time.max if self.end else time.min)
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        try:
            # Stored and compared in UTC: an instant that leaves the calendar there (year 1
            # at +10:00, say) is no valid date.
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


DAY_OR_DATETIME_SCHEMA = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$",
    "example": "2026-10-01",
}


@extend_schema_field(DAY_OR_DATETIME_SCHEMA)
class StartedFromFilter(filters.Filter):
    field_class = DayOrDateTimeField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, field_name="started_at", lookup_expr="gte", **kwargs)


@extend_schema_field(DAY_OR_DATETIME_SCHEMA)
class StartedUntilFilter(filters.Filter):
    field_class = DayOrDateTimeField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, field_name="started_at", lookup_expr="lte", end=True, **kwargs)
