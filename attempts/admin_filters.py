"""Admin list filters that stay cheap on tables of millions of rows."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone
from django.utils.html import format_html, format_html_join


class DateRangeFilter(admin.FieldListFilter):
    """Two date inputs, "on or after" and "on or before", for a datetime field.

    Use as ``list_filter = [("started_at", DateRangeFilter)]``. The query string carries
    ``<field>__date__gte`` and ``<field>__date__lte`` (ISO dates, both optional, days of the
    current time zone), and the filter turns them into the half-open range
    ``field >= first day 00:00 and field < (last day + 1) 00:00``: an indexed range scan on the
    column, where ``__date`` lookups would compute a date for every row, and with none of
    the distinct-years query that ``date_hierarchy`` runs over the whole table.
    """

    label_after = "On or after"
    label_before = "On or before"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.param_after = f"{field_path}__date__gte"
        self.param_before = f"{field_path}__date__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.form = forms.Form(
            data={p: self.used_parameters.get(p, [""])[-1] for p in self.expected_parameters()}
        )
        self.form.fields = {
            self.param_after: self._date_field(self.label_after),
            self.param_before: self._date_field(self.label_before),
        }
        if not self.form.is_valid():
            # The browser's date inputs cannot send this: a hand-edited URL. The admin then
            # shows the unfiltered list with its "invalid parameters" note.
            raise IncorrectLookupParameters(self.form.errors.as_text())
        self.after = self.form.cleaned_data[self.param_after]
        self.before = self.form.cleaned_data[self.param_before]

    @staticmethod
    def _date_field(label):
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )

    def expected_parameters(self):
        return [self.param_after, self.param_before]

    def queryset(self, request, queryset):
        bounds = {}
        if self.after:
            bounds[f"{self.field_path}__gte"] = start_of_day(self.after)
        # The last day of the calendar has no next midnight: every instant is before it.
        if self.before and self.before < datetime.date.max:
            bounds[f"{self.field_path}__lt"] = start_of_day(
                self.before + datetime.timedelta(days=1)
            )
        return queryset.filter(**bounds)

    def choices(self, changelist):
        yield {
            "selected": self.after is None and self.before is None,
            "query_string": changelist.get_query_string(remove=self.expected_parameters()),
            "display": "Any date",
        }
        # The stock filter template (admin/filter.html) wraps every choice in a link, so
        # the form closes that link and opens an empty hidden one for the template's
        # closing tag. A template of its own would avoid this; there is none yet.
        yield {
            "selected": self.after is not None or self.before is not None,
            "query_string": changelist.get_query_string(),
            "display": format_html("</a>{}<a hidden>", self._render_form(changelist)),
        }

    def _render_form(self, changelist):
        # Keep the other filters, the search and the ordering; the page restarts at 1.
        kept = format_html_join(
            "",
            '<input type="hidden" name="{}" value="{}">',
            (
                (name, value)
                for name, values in changelist.filter_params.items()
                if name not in self.expected_parameters()
                for value in values
            ),
        )
        return format_html(
            '<form method="get" class="date-range-filter">{}{}'
            '<input type="submit" value="Filter"></form>',
            kept,
            self.form.as_div(),
        )


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the current time zone (aware when USE_TZ)."""
    midnight = datetime.datetime.combine(day, datetime.time.min)
    return timezone.make_aware(midnight) if settings.USE_TZ else midnight
