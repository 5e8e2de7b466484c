"""Query parameters of the admin attempts API, named as Testpress names them.

``date_0``/``date_1`` are two filters rather than one django-filter range filter so that a
bad value is reported under the parameter's own name (``{"date_0": [...]}``) and the OpenAPI
schema names exactly the parameters the filter reads.
"""

from datetime import UTC, datetime, time

import django_filters as filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field

from attempts.models import Attempt

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

    def __init__(self, *args, end: bool = False, **kwargs):
        self.end = end
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
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


class TiebreakOrderingFilter(filters.OrderingFilter):
    """Testpress's ``ordering``; ties are broken by id in the same direction, so pages of an
    ordered list never overlap or skip a row. An unknown field is a 400 naming the valid ones."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        valid = ", ".join(value for value, _ in self.extra["choices"])
        self.extra["error_messages"] = {
            "invalid_choice": f"“%(value)s” is not a valid ordering. Use one of: {valid}."
        }

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or ()] or ["-started_at"]
        tiebreak = "-id" if ordering[-1].startswith("-") else "id"
        return qs.order_by(*ordering, tiebreak)


class AdminAttemptFilter(filters.FilterSet):
    state = filters.TypedChoiceFilter(
        choices=Attempt.State.choices,
        coerce=int,
        help_text="0 running, 1 completed, 2 pending evaluation, 3 not started.",
    )
    date_0 = StartedFromFilter(
        help_text="Attempts started on or after this day (YYYY-MM-DD, the whole day counts) "
        "or this instant (ISO 8601 datetime; UTC when it has no offset)."
    )
    date_1 = StartedUntilFilter(
        help_text="Attempts started on or before this day (YYYY-MM-DD, the whole day counts) "
        "or this instant (ISO 8601 datetime; UTC when it has no offset)."
    )
    users = IdListFilter(field_name="user_id", help_text="User ids, comma-separated: 1,2,3.")
    exams = IdListFilter(field_name="exam_id", help_text="Exam ids, comma-separated: 3,5.")
    ordering = TiebreakOrderingFilter(
        fields=(
            ("started_at", "date"),
            ("correct_count", "correct_answers_count"),
            ("incorrect_count", "incorrect_answers_count"),
            ("unanswered_count", "unanswered_count"),
        ),
        help_text="date, correct_answers_count, incorrect_answers_count, unanswered_count, "
        "each also with a leading '-' for descending. Default: -date. Ties: by id.",
    )

    class Meta:
        model = Attempt
        fields = []
