"""The instructor's attempt table (django-tables2). Cells read stored fields and a
``RankTable`` loaded once: rendering a page or an export runs no query per row."""

import django_tables2 as tables
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timezone import localtime

from attempts.durations import format_hms
from attempts.models import Attempt

NUM = {"th": {"class": "num"}, "td": {"class": "num"}}


def by(field: str) -> tuple[str, str]:
    """Sort by ``field`` then id: tables2 flips both for a descending sort, so rows with equal
    values keep one stable order and pages never overlap."""
    return (field, "-id" if field.startswith("-") else "id")


class NumberColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)


# Times carry their zone's abbreviation (the user's display zone, lms.User.time_zone).
DATETIME_FORMAT = "Y-m-d H:i T"


def local_datetime(value) -> str:
    """``value`` in the active (the user's) time zone, with the zone named."""
    return date_filter(localtime(value), DATETIME_FORMAT)


class AttemptTable(tables.Table):
    # "Finalize now": a box on each overdue attempt's row, inside the list's POST form.
    select = tables.Column(
        accessor="pk", verbose_name="Select", orderable=False, exclude_from_export=True
    )
    learner = tables.Column(
        accessor="user__username",
        verbose_name="Learner",
        order_by=by("user__username"),
        attrs={"th": {"class": "nowrap"}},
    )
    email = tables.Column(accessor="user__email", verbose_name="Email", order_by=by("user__email"))
    attempt_number = NumberColumn(verbose_name="Attempt", order_by=by("attempt_number"))
    state = tables.Column(verbose_name="State", order_by=by("state"))
    started_at = tables.Column(
        verbose_name="Started",
        order_by=by("started_at"),
        attrs={"td": {"class": "nowrap"}, "th": {"class": "nowrap"}},
    )
    time_taken = tables.Column(accessor="pk", verbose_name="Time taken", orderable=False, attrs=NUM)
    correct_count = NumberColumn(verbose_name="Correct", order_by=by("correct_count"))
    incorrect_count = NumberColumn(verbose_name="Incorrect", order_by=by("incorrect_count"))
    partial_count = NumberColumn(verbose_name="Partial", order_by=by("partial_count"))
    unanswered_count = NumberColumn(verbose_name="Unanswered", order_by=by("unanswered_count"))
    score = NumberColumn(verbose_name="Score", order_by=by("score"))
    percentage = NumberColumn(verbose_name="Percentage", order_by=by("percentage"))
    result = tables.Column(accessor="result_label", verbose_name="Result", orderable=False)
    # Rank orders like score: among completed attempts a higher score is a better rank.
    rank = NumberColumn(accessor="score", verbose_name="Rank", order_by=by("-score"))

    class Meta:
        model = Attempt
        fields = ()
        sequence = (
            "select",
            "learner",
            "email",
            "attempt_number",
            "state",
            "started_at",
            "time_taken",
            "correct_count",
            "incorrect_count",
            "partial_count",
            "unanswered_count",
            "score",
            "percentage",
            "result",
            "rank",
        )
        order_by = ("-started_at",)
        template_name = "_partials/table.html"
        attrs = {"class": "striped"}
        empty_text = "No attempt matches these filters."

    def __init__(self, *args, ranks, now=None, caption="Attempts", **kwargs):
        super().__init__(*args, **kwargs)
        self.ranks = ranks
        self.now = now
        self.caption = caption

    def render_select(self, record):
        if not record.is_overdue(self.now):
            return ""
        return format_html(
            '<input type="checkbox" name="attempt" value="{}" form="finalize-form" '
            'aria-label="Select the overdue attempt of {}">',
            record.pk,
            record.user.username,
        )

    def render_attempt_number(self, value):
        return f"#{value}"

    def render_started_at(self, record):
        # An opened attempt was never started: its started_at is when it was opened.
        if record.state == Attempt.State.NOT_STARTED:
            return "—"
        return local_datetime(record.started_at)

    def render_learner(self, record):
        url = reverse("attempt-detail", args=[record.pk])
        return format_html(
            '<a href="{}">{}</a><br><small>{}</small>', url, record.user.name, record.user.username
        )

    def value_learner(self, record):
        return f"{record.user.name} ({record.user.username})"

    def render_state(self, record):
        label = record.state_label(self.now)
        if label == "Overdue":
            return format_html('<span class="badge badge-overdue">{}</span>', label)
        return label

    def value_state(self, record):
        return record.state_label(self.now)

    def render_time_taken(self, record):
        return format_hms(record.time_taken(self.now)) or "—"

    def value_time_taken(self, record):
        return format_hms(record.time_taken(self.now)) or ""

    def render_result(self, record):
        label = record.result_label
        return format_html('<span class="badge badge-{}">{}</span>', label.lower(), label)

    def value_result(self, record):
        return record.result_label

    def _rank(self, record):
        """Only attempts of the ranked population have a rank (attempts.statistics.ranking)."""
        return self.ranks.rank_of(record)

    def render_rank(self, record):
        rank = self._rank(record)
        return "—" if rank is None else rank

    def value_rank(self, record):
        rank = self._rank(record)
        return "" if rank is None else rank

    def value_started_at(self, value):
        return value.isoformat()

    def render_score(self, record):
        return self._provisional(record, record.score)

    def render_percentage(self, record):
        return self._provisional(record, record.percentage)

    def _provisional(self, record, value):
        """Pending essays leave the score provisional: it rises as they are marked. A running
        attempt's stored totals are its marks so far; a not-started one has none."""
        if record.state == Attempt.State.PENDING_EVALUATION:
            return format_html('{} <small class="provisional">provisional</small>', value)
        if record.state == Attempt.State.NOT_STARTED:
            return "—"
        return value

    def value_score(self, value):
        return value

    def value_percentage(self, value):
        return value
