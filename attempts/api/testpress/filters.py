"""Query parameters of the admin attempts list, named as Testpress names them.

``date_0``/``date_1`` are two filters rather than one django-filter range filter so that a
bad value is reported under the parameter's own name (``{"date_0": [...]}``) and the OpenAPI
schema names exactly the parameters the filter reads.
"""

import django_filters as filters
from django import forms
from django_filters.fields import BaseCSVField

from attempts.filters import IdListFilter, StartedFromFilter, StartedUntilFilter
from attempts.models import Attempt


class OrderingCSVField(BaseCSVField):
    """The comma-separated list of ``ordering``, where an empty item (``,`` or ``date,``) is
    an error: ``order_by("")`` would raise a FieldError, a 500."""

    def clean(self, value):
        values = super().clean(value)
        if values and "" in values:
            raise forms.ValidationError(self.error_messages["invalid_choice"] % {"value": ""})
        return values


class TiebreakOrderingFilter(filters.OrderingFilter):
    """Testpress's ``ordering``; ties are broken by id in the same direction, so pages of an
    ordered list never overlap or skip a row. An unknown field is a 400 naming the valid ones."""

    base_field_class = OrderingCSVField

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
        "or this instant (ISO 8601 datetime; UTC when it has no offset).",
        allow_blank=False,  # the schema's pattern needs a date: "date_0=" is a 400
    )
    date_1 = StartedUntilFilter(
        help_text="Attempts started on or before this day (YYYY-MM-DD, the whole day counts) "
        "or this instant (ISO 8601 datetime; UTC when it has no offset).",
        allow_blank=False,  # likewise "date_1="
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
